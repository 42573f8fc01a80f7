"""Each CLI command imports only what it uses: a light command never loads a heavy library.

Every command runs in a fresh interpreter (as a user runs it) and reports the modules it loaded when it exits.
Heavy means a start-up cost a user would wait for on every call (pandas alone is ~0.25 s) for work the command
does not do: data frames, charts, the web UI, the vector store, the LLM clients, spreadsheets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.core.config import ROOT

HEAVY = ("pandas", "plotly", "gradio", "chromadb", "langchain_core", "langchain_openai", "openai", "jieba", "openpyxl")

# Runs the CLI exactly as ``python -m assistant`` does and writes the loaded top-level packages at exit.
PROBE = """
import atexit, json, runpy, sys
out, argv = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted({m.split(".")[0] for m in sys.modules}))))
sys.argv = ["assistant", *argv]
runpy.run_module("assistant", run_name="__main__", alter_sys=True)
"""


def loaded(tmp_path: Path, *argv: str) -> set[str]:
    out = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(out.read_text(encoding="utf-8")))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in HEAVY if m in modules)


@pytest.mark.parametrize(
    "argv",
    [
        ("--help",),
        ("tool", "--list"),
        ("tool", "rfm", "--json"),
        ("tool", "business_review", "--json"),
        ("report", "--period", "2025"),
    ],
    ids=lambda a: " ".join(a),
)
def test_light_commands_load_no_heavy_library(argv: tuple[str, ...], sample_db: Path, tmp_path: Path) -> None:
    db = ("--db", str(sample_db)) if argv[0] in ("tool", "report") and len(argv) > 1 and argv[1] != "--list" else ()
    assert heavy(loaded(tmp_path, *argv, *db)) == []


def test_import_of_a_csv_loads_no_heavy_library(tmp_path: Path) -> None:
    csv = tmp_path / "customers.csv"
    csv.write_text("customer_id,name,signup_date\nC1,甲公司,2024-01-05\nC2,乙公司,2024-02-01\n", encoding="utf-8")
    argv = ("data", "import", str(csv), "--table", "customers", "--db", str(tmp_path / "w.duckdb"))
    assert heavy(loaded(tmp_path, *argv)) == []


def test_the_probe_sees_a_heavy_import(tmp_path: Path, sample_db: Path) -> None:
    # The Excel export does need pandas: the probe must notice it, or the tests above prove nothing.
    argv = ("report", "--period", "2025", "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"), "--db", str(sample_db))
    assert "pandas" in heavy(loaded(tmp_path, *argv))
