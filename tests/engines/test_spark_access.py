"""Per-rep access and the SQL guard on Spark: the same rules as on DuckDB, enforced below the tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.core.errors import InputError
from assistant.warehouse.access import Principal, open_for
from assistant.warehouse.sql_guard import SqlRefused, guarded_query
from tools import load_all

from .parity import differences

pytestmark = [pytest.mark.xdist_group("spark"), pytest.mark.slow]


@pytest.fixture(scope="module")
def rep(sample_db: Path) -> str:
    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        return str(
            con.execute("SELECT rep_id FROM customers GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def rep_engine(spark_session: Any, sample_parquet: Path, rep: str) -> Any:
    from assistant.warehouse.spark_engine import SparkEngine

    # A session of its own: its views are the rep's, the whole tables are not reachable by name.
    return SparkEngine(spark_session.newSession()).load_parquet(sample_parquet, rep_id=rep)


def test_a_rep_sees_exactly_their_duckdb_copy(rep_engine: Any, sample_db: Path, rep: str) -> None:
    copy = open_for(sample_db, Principal("s", "sales", rep))
    try:
        for table in ("customers", "orders", "order_items", "invoices", "surveys", "tickets", "sales_reps"):
            sql = f"SELECT count(*) AS n FROM {table}"
            assert rep_engine.rows(sql)[1] == [list(r) for r in copy.execute(sql).fetchall()], table
        for name, args in (("rfm", {}), ("metric_query", {"metrics": ["revenue"], "by": ["customer"], "top": 5})):
            spec = load_all()[name]
            assert differences(spec.run(copy, args).to_json(), spec.run(rep_engine, args).to_json()) == []
    finally:
        copy.close()


def test_the_whole_tables_are_gone_from_a_rep_session(rep_engine: Any) -> None:
    assert not [t for t in rep_engine.tables() if t.startswith("wh_")]
    assert rep_engine.rows("SELECT count(DISTINCT rep_id) AS n FROM customers")[1] == [[1]]


def test_an_unknown_rep_is_refused(spark_session: Any, sample_parquet: Path) -> None:
    from assistant.warehouse.spark_engine import SparkEngine

    with pytest.raises(InputError, match="not in the warehouse"):
        SparkEngine(spark_session.newSession()).load_parquet(sample_parquet, rep_id="NO-SUCH-REP")


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT reflect('java.lang.System', 'getenv', 'HOME') AS h", "denied_function"),
        ("SELECT java_method('java.lang.Runtime', 'getRuntime') AS r", "denied_function"),
        ("SELECT * FROM wh_customers", "unknown_table"),
        ("SELECT * FROM default.customers", "qualified_table"),
        ("SELECT input_file_name() AS f FROM orders", "denied_function"),
        ("DROP VIEW customers", "not_select"),
    ],
)
def test_the_guard_refuses_on_spark(spark_engine: Any, sql: str, reason: str) -> None:
    with pytest.raises(SqlRefused) as info:
        guarded_query(spark_engine, sql)
    assert info.value.reason == reason


def test_the_guard_caps_rows_on_spark(spark_engine: Any) -> None:
    res = guarded_query(spark_engine, "SELECT customer_id FROM customers ORDER BY customer_id", limit=7)
    assert res.truncated and len(res.rows) == 7
    assert res.rows == sorted(res.rows)


def test_parameters_bind_as_on_duckdb(spark_engine: Any, sample_con: duckdb.DuckDBPyConnection) -> None:
    import datetime as dt

    sql = (
        "SELECT count(*) AS n, count(*) FILTER (WHERE list_contains($regions, region)) AS r "
        "FROM customers WHERE signup_date <= $day AND NOT list_contains($none, customer_id)"
    )
    params = {"regions": ["华东", "华北"], "day": dt.date(2025, 6, 30), "none": []}
    cur = sample_con.execute(sql, params)
    assert spark_engine.rows(sql, params) == ([d[0] for d in cur.description], [list(r) for r in cur.fetchall()])


def test_question_mark_placeholders_bind_by_position(spark_engine: Any, sample_con: duckdb.DuckDBPyConnection) -> None:
    # answering/names.py looks names up this way; the engine answers as a DuckDB connection would.
    sql = "SELECT customer_id, name FROM customers WHERE list_contains(?, customer_id) AND region <> ? ORDER BY 1"
    ids = [r[0] for r in sample_con.execute("SELECT customer_id FROM customers ORDER BY 1 LIMIT 5").fetchall()]
    assert (
        spark_engine.execute(sql, [ids, "nowhere"]).fetchall() == sample_con.execute(sql, [ids, "nowhere"]).fetchall()
    )
