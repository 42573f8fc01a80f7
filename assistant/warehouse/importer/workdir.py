"""The import's temporary folder next to the warehouse, and clearing those that killed imports left behind.

An import stages and spills into ``import-*`` beside the warehouse and removes it when it ends; a process that is
killed (SIGKILL, a machine that loses power) cannot. Each folder names its owner (process id and host) in a file,
and the next import removes the folders whose owner is gone. A folder whose owner cannot be told dead is kept: an
import still running on this machine or another one sharing the folder, or a folder without that file younger
than a day (one written by an earlier version, or one whose import has just started).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

PREFIX = "import-"
OWNER = "owner.json"
UNMARKED_MAX_AGE = 24 * 3600  # seconds


def make_workdir(parent: Path | None) -> Path:
    """A new temporary folder under ``parent`` (the system's when None), its owner written first."""
    workdir = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
    (workdir / OWNER).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}), encoding="utf-8")
    return workdir


def sweep_stale(parent: Path, now: float | None = None) -> list[Path]:
    """Remove the import folders under ``parent`` whose owner process is gone; the folders removed."""
    removed = []
    for folder in sorted(parent.glob(f"{PREFIX}*")):
        if folder.is_dir() and not folder.is_symlink() and _stale(folder, time.time() if now is None else now):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _stale(folder: Path, now: float) -> bool:
    try:
        owner = json.loads((folder / OWNER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        try:
            return now - folder.stat().st_mtime > UNMARKED_MAX_AGE
        except OSError:
            return False
    except (OSError, ValueError):
        return False  # unreadable: not ours to judge
    if (
        not isinstance(owner, dict)
        or owner.get("host") != socket.gethostname()
        or not isinstance(owner.get("pid"), int)
    ):
        return False
    return not _alive(owner["pid"])


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True
