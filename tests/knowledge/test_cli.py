from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app

from .test_ingest import write_docx


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ASSISTANT_EMBEDDINGS", raising=False)
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "idx"))
    return tmp_path


def test_index_build_status_add_and_docs_search(env: Path) -> None:
    run = CliRunner().invoke
    r = run(app, ["index", "build", "--json"])
    assert r.exit_code == 0, r.output
    built = json.loads(r.output)
    assert built["index"] == str(env / "idx")
    r = run(app, ["index", "build"])
    assert r.exit_code == 0 and "up to date" in r.output
    r = run(app, ["index", "status", "--json"])
    st = json.loads(r.output)
    assert st["built"] and st["stale"] == [] and st["chunks"] >= built["embedded_chunks"]
    write_docx(env / "kam.docx")
    r = run(app, ["index", "add", str(env / "kam.docx")])
    assert r.exit_code == 0 and "大客户管理手册" in r.output
    r = run(app, ["docs", "search", "总监级负责人每月拜访战略客户", "-k", "5", "--json"])
    hits = json.loads(r.output)
    assert r.exit_code == 0 and len(hits) == 5
    assert {"doc_id", "title", "anchor", "heading", "language", "snippet", "source", "score", "citation"} <= set(
        hits[0]
    )
    assert any(h["title"] == "大客户管理手册" for h in hits)
    r = run(app, ["docs", "search", "战略客户", "--lang", "en", "--json"])
    assert all(h["language"] == "en" for h in json.loads(r.output))
    r = run(app, ["docs", "search", "客户", "--index", str(env / "other")])
    assert r.exit_code == 0 and (env / "other" / "manifest.json").exists()  # built on first use


def test_bad_input_exits_with_both_languages(env: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "add", str(env / "nope.xls")],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "ASSISTANT_INDEX": str(env / "idx")},
    )
    assert out.returncode == 2
    assert "错误" in out.stderr and "Error" in out.stderr and "nope.xls" in out.stderr
    assert not (env / "idx" / "manifest.json").exists()  # nothing half-written
