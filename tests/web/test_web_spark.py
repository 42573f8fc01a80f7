"""app.py --engine spark over real HTTP: single-user questions answered on Spark, multi-user refused at start."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from assistant.warehouse.db import create_tables
from assistant.warehouse.parquet_export import export_parquet
from assistant.warehouse.users import UserStore
from assistant.web.spark_sessions import MULTI_USER_REFUSED
from tests.test_app import ROOT, free_port, start, stop

pytestmark = [pytest.mark.xdist_group("spark"), pytest.mark.slow]


def test_multi_user_on_spark_is_refused_at_start(sample_db: Path, tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    UserStore(users).add("boss", "manager", "boss-pass-123")
    out = subprocess.run(
        [
            sys.executable,
            "app.py",
            "--engine",
            "spark",
            "--db",
            str(sample_db),
            "--users",
            str(users),
            "--port",
            str(free_port()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert MULTI_USER_REFUSED[0] in out.stderr and MULTI_USER_REFUSED[1] in out.stderr


def test_single_user_questions_run_on_spark(
    sample_db: Path, knowledge_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pyspark", reason="pyspark is an extra: pip install '.[spark]'")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 (Debian: openjdk-17-jre-headless)")
    from gradio_client import Client

    tables = tmp_path / "parquet"
    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        export_parquet(con, tables)
        total = con.execute(
            "SELECT sum(amount) FROM orders JOIN order_items USING (order_id) WHERE status = 'completed'"
        ).fetchone()[0]
    finally:
        con.close()
    # Spark's tables live apart from the DuckDB file: an empty copy of it proves the answer is not DuckDB's.
    empty = tmp_path / "empty.duckdb"
    e = duckdb.connect(str(empty))
    create_tables(e)
    e.close()
    monkeypatch.setenv("ASSISTANT_SPARK_TABLES", str(tables))
    monkeypatch.setenv("ASSISTANT_SPARK", "local[1]")
    monkeypatch.setenv("ASSISTANT_LLM", "off")
    proc, url = start(
        ["--engine", "spark", "--db", str(empty), "--index", str(knowledge_index), "--users", str(tmp_path / "no.json")]
    )
    try:
        ans = Client(url, verbose=False).predict("各大区的销售额", api_name="/ask")
    finally:
        stop(proc)
    col = ans["data"]["columns"].index("revenue")
    assert round(sum(r[col] for r in ans["data"]["rows"]), 2) == round(float(total), 2)


def test_spark_sessions_serve_the_manager_and_refuse_a_rep(sample_db: Path, tmp_path: Path) -> None:
    """The sessions themselves, on an engine that needs no JVM: the local manager is answered on the engine
    opened for the first question, a salesperson (never reached in single-user mode) is refused, not served."""
    from assistant.core.errors import InputError
    from assistant.warehouse.access import Principal
    from assistant.warehouse.duckdb_engine import DuckDBEngine
    from assistant.web.spark_sessions import SparkSessions

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    con = duckdb.connect(str(db), read_only=True)
    opened: list[DuckDBEngine] = []

    def open_engine() -> DuckDBEngine:
        opened.append(DuckDBEngine(con))
        return opened[-1]

    sessions = SparkSessions(db, None, None, open_engine=open_engine)
    try:
        first = sessions.ask(None, "s1", "各大区的销售额")
        second = sessions.ask(None, "s1", "各大区的销售额")
        assert first["tool"] == "metric_query" and first["data"]["rows"] == second["data"]["rows"]
        assert len(opened) == 1  # one engine for the server, opened on the first question
        with pytest.raises(InputError), sessions.using(Principal("zw", "sales", "R001")):
            pass
    finally:
        sessions.close_all()
        con.close()
