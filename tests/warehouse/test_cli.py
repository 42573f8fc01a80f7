"""`python -m assistant data …` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from assistant.cli import app
from assistant.warehouse.contract_doc import update_doc

runner = CliRunner()


def test_help_lists_subcommands() -> None:
    out = subprocess.run([sys.executable, "-m", "assistant", "--help"], capture_output=True, text=True, check=True)
    for cmd in ("data", "bench"):
        assert cmd in out.stdout


def test_generate_then_info(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    res = runner.invoke(app, ["data", "generate", "--customers", "30", "--seed", "3", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["rows"]["customers"] == 30
    res = runner.invoke(app, ["data", "info", "--db", str(db), "--json"])
    info = json.loads(res.output)
    assert info["rows"]["customers"] == 30 and info["contract_problems"] == []


def test_db_from_environment(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "env.duckdb"
    monkeypatch.setenv("ASSISTANT_DB", str(db))
    assert runner.invoke(app, ["data", "generate", "--customers", "20"]).exit_code == 0
    assert db.exists()


def test_missing_warehouse_is_a_clear_bilingual_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.duckdb"
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "data", "info", "--db", str(missing)], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "data generate" in out.stderr and "找不到数据仓库" in out.stderr
    assert not missing.exists()  # reading never creates a file


def test_bad_date_option(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "data",
            "generate",
            "--start",
            "2024-13-01",
            "--db",
            str(tmp_path / "x.duckdb"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "--start" in out.stderr and "YYYY-MM-DD" in out.stderr


def test_contract_doc_is_up_to_date() -> None:
    assert update_doc(write=False) is False, "docs/data.md is stale: run `python -m assistant data docs`"
