"""Temporary folders of killed imports are cleared by the next import; nobody else's folder is touched."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from assistant.warehouse.importer import import_files
from assistant.warehouse.importer.workdir import OWNER, UNMARKED_MAX_AGE, make_workdir, sweep_stale

from .helpers import customers_csv


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _folder(parent: Path, name: str, owner: object | None) -> Path:
    folder = parent / name
    (folder / "spill").mkdir(parents=True)
    (folder / "spill" / "x.tmp").write_bytes(b"0" * 10)
    if owner is not None:
        (folder / OWNER).write_text(json.dumps(owner), encoding="utf-8")
    return folder


def test_only_folders_whose_owner_is_gone_are_removed(tmp_path: Path) -> None:
    host = socket.gethostname()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = _folder(tmp_path, "import-dead", {"pid": _dead_pid(), "host": host})
        running = _folder(tmp_path, "import-live", {"pid": live.pid, "host": host})
        elsewhere = _folder(tmp_path, "import-other-host", {"pid": _dead_pid(), "host": host + "-not-this-one"})
        garbled = _folder(tmp_path, "import-garbled", None)
        (garbled / OWNER).write_text("{not json", encoding="utf-8")
        young = _folder(tmp_path, "import-unmarked-young", None)
        old = _folder(tmp_path, "import-unmarked-old", None)
        os.utime(old, (time.time() - UNMARKED_MAX_AGE - 60,) * 2)
        unrelated = _folder(tmp_path, "exports-dead", {"pid": _dead_pid(), "host": host})

        assert sweep_stale(tmp_path) == [dead, old]
        assert not dead.exists() and not old.exists()
        assert all(p.exists() for p in (running, elsewhere, garbled, young, unrelated))
    finally:
        live.send_signal(signal.SIGKILL)
        live.wait()


def test_a_new_folder_names_its_owner_and_survives_a_sweep(tmp_path: Path) -> None:
    folder = make_workdir(tmp_path)
    owner = json.loads((folder / OWNER).read_text(encoding="utf-8"))
    assert owner == {"pid": os.getpid(), "host": socket.gethostname()}
    assert sweep_stale(tmp_path) == [] and folder.exists()


def test_an_import_clears_what_a_killed_import_left_and_leaves_nothing_itself(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    left = _folder(tmp_path, "import-killed", {"pid": _dead_pid(), "host": socket.gethostname()})
    report = import_files([customers_csv(tmp_path / "customers.csv")], db=db)
    assert report.tables
    assert not left.exists()
    assert not list(tmp_path.glob("import-*"))
