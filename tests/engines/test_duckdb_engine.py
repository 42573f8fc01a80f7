"""The DuckDB engine behind the seam gives what the connection gives: the default path is unchanged."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from assistant.core.errors import AssistantError
from assistant.warehouse.duckdb_engine import DuckDBEngine, as_engine
from assistant.warehouse.engine import QueryError


def test_rows_are_duckdbs_fetchall(sample_con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT region, count(*) AS n, sum(credit_limit) AS s FROM customers WHERE region <> $r GROUP BY 1 ORDER BY 1"
    cols, rows = DuckDBEngine(sample_con).rows(sql, {"r": "华东"})
    cur = sample_con.execute(sql, {"r": "华东"})
    assert cols == [d[0] for d in cur.description]
    assert rows == [list(r) for r in cur.fetchall()]


def test_arrow_and_numpy_hold_the_same_values(sample_con: duckdb.DuckDBPyConnection) -> None:
    eng = DuckDBEngine(sample_con)
    sql = "SELECT customer_id, credit_limit::DOUBLE AS c FROM customers ORDER BY 1 LIMIT 5"
    table = eng.arrow(sql)
    assert table.column_names == ["customer_id", "c"]
    arrays = eng.numpy(sql)
    assert list(arrays["customer_id"]) == table.column("customer_id").to_pylist()
    assert list(arrays["c"]) == table.column("c").to_pylist()


def test_tables_list_the_contract(sample_con: duckdb.DuckDBPyConnection) -> None:
    names = DuckDBEngine(sample_con).tables()
    assert {"customers", "orders", "order_items"} <= set(names)
    assert names == sorted(names)


def test_errors_map_to_our_root() -> None:
    eng = DuckDBEngine(duckdb.connect())
    with pytest.raises(duckdb.Error) as info:
        eng.rows("SELECT * FROM no_such_table")
    mapped = eng.map_error(info.value)
    assert isinstance(mapped, QueryError) and isinstance(mapped, AssistantError)
    assert "no_such_table" in mapped.en
    assert eng.map_error(ValueError("not ours")) is None


def test_interrupt_stops_a_running_statement() -> None:
    eng = DuckDBEngine(duckdb.connect())
    timer = threading.Timer(0.3, eng.interrupt)
    timer.start()
    t0 = time.perf_counter()
    with pytest.raises(duckdb.Error):
        eng.rows("SELECT count(*) FROM range(10000000000) a")
    timer.cancel()
    assert time.perf_counter() - t0 < 10


def test_as_engine_wraps_a_connection_once(sample_con: duckdb.DuckDBPyConnection) -> None:
    eng = as_engine(sample_con)
    assert isinstance(eng, DuckDBEngine) and as_engine(eng) is eng


def test_execute_gives_a_cursor(sample_con: duckdb.DuckDBPyConnection) -> None:
    eng = DuckDBEngine(sample_con)
    cur = eng.execute("SELECT customer_id FROM customers WHERE region = $r ORDER BY 1 LIMIT 3", {"r": "华东"})
    assert [d[0] for d in cur.description] == ["customer_id"]
    first = cur.fetchone()
    assert first is not None and len(cur.fetchall()) == 2 and cur.fetchone() is None
    # DuckDB binds ? itself, as the callers written against a connection expect
    assert eng.execute("SELECT count(*) FROM customers WHERE customer_id = ?", [first[0]]).fetchall() == [(1,)]
