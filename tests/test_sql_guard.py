"""The SQL guard: a hostile corpus refused with the right reason, good SQL passing with correct rows, the time
limit and the row cap, and the hardened connection refusing files/attach/copy on its own (defence in depth)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from assistant.core.errors import AssistantError
from assistant.warehouse.db import create_tables
from assistant.warehouse.sql_guard import (
    QueryTimeout,
    SqlRefused,
    check_sql,
    guarded_connect,
    guarded_query,
    harden,
)
from tools.base import REGISTRY

HOSTILE: list[tuple[str, str]] = [
    # DML / DDL, plain and hidden in CTEs or subqueries
    ("DROP TABLE customers", "not_select"),
    ("DELETE FROM customers", "not_select"),
    ("UPDATE customers SET name = 'x'", "not_select"),
    ("INSERT INTO customers SELECT * FROM customers", "not_select"),
    ("CREATE TABLE x AS SELECT 1", "not_select"),
    ("CREATE OR REPLACE VIEW v AS SELECT * FROM customers", "not_select"),
    ("ALTER TABLE customers ADD COLUMN x INTEGER", "not_select"),
    ("TRUNCATE customers", "not_select"),
    ("MERGE INTO customers c USING orders o ON c.customer_id = o.customer_id WHEN MATCHED THEN DELETE", "not_select"),
    ("WITH x AS (DELETE FROM customers RETURNING *) SELECT * FROM x", "forbidden_statement"),
    ("WITH x AS (INSERT INTO orders SELECT * FROM orders RETURNING *) SELECT 1", "forbidden_statement"),
    ("WITH x AS (UPDATE customers SET name = 'a' RETURNING *) SELECT * FROM x", "forbidden_statement"),
    ("WITH a AS (SELECT 1), b AS (DELETE FROM invoices RETURNING *) SELECT * FROM a", "forbidden_statement"),
    ("SELECT 1 INTO newtable", "forbidden_statement"),
    # several statements, comments hiding a second one
    ("SELECT 1; DROP TABLE customers", "multiple_statements"),
    ("SELECT 1; SELECT 2", "multiple_statements"),
    ("SELECT 1 -- harmless\n; DELETE FROM orders", "multiple_statements"),
    ("SELECT 1 /* ; */ ; DROP TABLE customers", "multiple_statements"),
    ("SELECT * FROM customers /* hidden */; ATTACH 'x.db' AS y", "multiple_statements"),
    ("SELECT '; DROP TABLE customers; --'; DROP TABLE customers", "multiple_statements"),
    ("/* SELECT */ DROP TABLE customers", "not_select"),
    ("-- SELECT 1\nDELETE FROM customers", "not_select"),
    ("SELECT 1;;DELETE FROM orders;", "multiple_statements"),
    # string tricks: a file name or URL as a table (DuckDB replacement scans)
    ("SELECT * FROM 'data.csv'", "unknown_table"),
    ("SELECT * FROM '/etc/passwd'", "unknown_table"),
    ('SELECT * FROM "customers.csv"', "unknown_table"),
    ("SELECT * FROM 'https://example.com/x.parquet'", "unknown_table"),
    ("SELECT * FROM customers c JOIN 's3://bucket/x.parquet' y ON TRUE", "unknown_table"),
    # file and network table functions, also nested
    ("SELECT * FROM read_csv('/etc/passwd')", "denied_function"),
    ("SELECT * FROM read_csv_auto('x.csv')", "denied_function"),
    ("SELECT * FROM read_parquet('x.parquet')", "denied_function"),
    ("SELECT * FROM parquet_scan('x.parquet')", "denied_function"),
    ("SELECT * FROM read_json_auto('x.json')", "denied_function"),
    ("SELECT * FROM read_ndjson('x.json')", "denied_function"),
    ("SELECT * FROM read_text('/etc/passwd')", "denied_function"),
    ("SELECT * FROM read_blob('/etc/passwd')", "denied_function"),
    ("SELECT * FROM glob('/*')", "denied_function"),
    ("SELECT * FROM sniff_csv('x.csv')", "denied_function"),
    ("SELECT (SELECT count(*) FROM read_csv('x.csv'))", "denied_function"),
    ("SELECT * FROM customers WHERE name IN (SELECT content FROM read_text('/etc/hosts'))", "denied_function"),
    ("WITH f AS (SELECT * FROM read_parquet('x')) SELECT * FROM f", "denied_function"),
    ("SELECT * FROM customers UNION ALL SELECT * FROM read_csv('x.csv')", "denied_function"),
    ("SELECT * FROM query('DROP TABLE customers')", "denied_function"),
    ("SELECT * FROM query_table('customers')", "denied_function"),
    ("SELECT * FROM iceberg_scan('x')", "denied_function"),
    ("SELECT * FROM delta_scan('x')", "denied_function"),
    ("SELECT getenv('HOME')", "denied_function"),
    ("SELECT current_setting('enable_external_access')", "denied_function"),
    ("SELECT * FROM json_each('[1, 2]')", "table_function"),
    ("SELECT * FROM test_all_types()", "denied_function"),
    # statements that change the session, the settings or reach outside
    ("ATTACH 'other.db' AS other", "not_select"),
    ("DETACH other", "not_select"),
    ("COPY customers TO '/tmp/x.csv'", "not_select"),
    ("COPY (SELECT * FROM customers) TO 'out.parquet' (FORMAT parquet)", "not_select"),
    ("COPY customers FROM '/tmp/x.csv'", "not_select"),
    ("INSTALL httpfs", "not_select"),
    ("LOAD httpfs", "not_select"),
    ("PRAGMA database_list", "not_select"),
    ("SET enable_external_access = true", "not_select"),
    ("RESET lock_configuration", "not_select"),
    ("CALL pragma_version()", "not_select"),
    ("EXPORT DATABASE '/tmp/x'", "parse"),
    ("BEGIN TRANSACTION", "not_select"),
    ("COMMIT", "not_select"),
    ("CHECKPOINT", "not_select"),
    ("VACUUM", "not_select"),
    ("USE other", "not_select"),
    ("DESCRIBE customers", "not_select"),
    ("SUMMARIZE customers", "not_select"),
    # unicode look-alikes and invisible characters
    ("SELECT 1；DROP TABLE customers", "unicode"),
    ("SELECT * FROM customers；", "unicode"),
    ("ＳＥＬＥＣＴ * FROM customers", "unicode"),
    ("SELECT * FROM ｃustomers", "unicode"),
    ("SELECT 1\u200b; DROP TABLE customers", "unicode"),
    ("\ufeffSELECT * FROM customers", "unicode"),
    ("SELECT * FROM customers WHERE name = 'a\u202e' ", "unicode"),
    ("SELECT * FROM \u0441ustomers", "unknown_table"),  # Cyrillic с: a different table name, so unknown
    # spelled differently, qualified, nested in other statement forms
    ("SELECT * FROM READ_CSV('x.csv')", "denied_function"),
    ("SELECT * FROM \"read_csv\"('x.csv')", "denied_function"),
    ("SELECT * FROM main.read_csv('x.csv')", "denied_function"),
    ("SELECT * FROM system.main.read_text('x')", "denied_function"),
    ("FROM read_csv('x.csv') SELECT *", "denied_function"),
    ("SELECT main.getenv('HOME')", "denied_function"),
    ("SELECT * FROM customers, LATERAL (SELECT * FROM read_text('/etc/hosts'))", "denied_function"),
    ("SELECT * FROM json_execute_serialized_sql('x')", "denied_function"),
    ("SELECT sql_auto_complete('SEL')", "denied_function"),
    ("SELECT nextval('seq')", "denied_function"),
    ("SELECT * FROM (DESCRIBE customers)", "forbidden_statement"),
    ("SELECT * FROM (SUMMARIZE customers)", "forbidden_statement"),
    ("SELECT * FROM (FROM duckdb_tables())", "denied_function"),
    ("SHOW TABLES", "not_select"),
    # the catalog
    ("SELECT * FROM information_schema.tables", "qualified_table"),
    ("SELECT * FROM information_schema.columns WHERE table_name = 'customers'", "qualified_table"),
    ("SELECT * FROM duckdb_tables()", "denied_function"),
    ("SELECT * FROM duckdb_settings()", "denied_function"),
    ("SELECT * FROM duckdb_tables", "unknown_table"),
    ("SELECT * FROM sqlite_master", "unknown_table"),
    ("SELECT * FROM pg_catalog.pg_tables", "qualified_table"),
    ("SELECT * FROM pragma_table_info('customers')", "denied_function"),
    ("SELECT * FROM other_db.customers", "qualified_table"),
    ("SELECT * FROM other.main.customers", "qualified_table"),
    ("SELECT * FROM main.customers", "qualified_table"),  # allowed only when the caller says so
    ("SELECT * FROM system.main.duckdb_tables", "qualified_table"),
    ("SELECT * FROM temp.main.x", "qualified_table"),
    ('SELECT * FROM "main"."customers"', "qualified_table"),
    ("SELECT * FROM memory.main.customers", "qualified_table"),
    # tables outside the contract
    ("SELECT * FROM secrets", "unknown_table"),
    ("SELECT * FROM customers, users", "unknown_table"),
    # size and emptiness
    ("SELECT " + "1 + " * 6000 + "1", "too_long"),
    ("", "empty"),
    (";", "empty"),
    ("-- just a comment", "empty"),
]


@pytest.mark.parametrize(("sql", "reason"), HOSTILE, ids=[f"{i:02d}" for i in range(len(HOSTILE))])
def test_hostile_sql_is_refused_with_reason(sql: str, reason: str) -> None:
    with pytest.raises(SqlRefused) as err:
        check_sql(sql)
    assert err.value.reason == reason, (sql, err.value.en)
    # bilingual and says what to fix
    assert "SELECT" in err.value.zh and "SELECT" in err.value.en
    assert err.value.zh != err.value.en


def test_corpus_is_large() -> None:
    assert len(HOSTILE) >= 60


def test_main_schema_only_when_permitted() -> None:
    check_sql("SELECT count(*) FROM main.customers", allow_main=True)
    with pytest.raises(SqlRefused):
        check_sql("SELECT count(*) FROM other.customers", allow_main=True)


def test_extra_and_restricted_tables() -> None:
    check_sql("SELECT * FROM my_view", extra_tables=["my_view"])
    with pytest.raises(SqlRefused) as err:
        check_sql("SELECT * FROM orders", allowed_tables=["customers"])
    assert err.value.reason == "unknown_table"


@pytest.fixture
def tiny_db(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.duckdb"
    con = duckdb.connect(str(path))
    create_tables(con)
    con.execute(
        """INSERT INTO sales_reps VALUES ('R1', '张伟', '华东', 'A', DATE '2020-01-01'), ('R2', 'Li', '华北', 'B', DATE '2021-01-01');
        INSERT INTO customers VALUES
          ('C1', '甲公司', '华东', '上海', '制造', '中型', '线上', DATE '2023-01-01', 'R1', 1000),
          ('C2', 'O''Brien; DROP TABLE x', '华北', '北京', '零售', '小型', '电话', DATE '2023-02-01', 'R2', NULL),
          ('C3', '丙', '华东', '杭州', '零售', '大型', '线上', DATE '2023-03-01', 'R1', 500);
        INSERT INTO orders VALUES ('O1', 'C1', DATE '2024-01-05', '线上', 'completed', 'R1'),
          ('O2', 'C1', DATE '2024-02-05', '门店', 'completed', 'R1'),
          ('O3', 'C2', DATE '2024-02-10', '线上', 'returned', 'R2');"""
    )
    con.close()
    return path


GOOD: list[tuple[str, list[list[object]]]] = [
    ("SELECT region, count(*) AS n FROM customers GROUP BY region ORDER BY region", [["华东", 2], ["华北", 1]]),
    # join + aggregate: C1 has 2 completed orders, C2 none completed
    (
        "SELECT c.customer_id, count(o.order_id) FILTER (WHERE o.status = 'completed') AS n "
        "FROM customers c LEFT JOIN orders o USING (customer_id) GROUP BY 1 ORDER BY 1",
        [["C1", 2], ["C2", 0], ["C3", 0]],
    ),
    # window function: running order number per customer
    (
        "SELECT order_id, row_number() OVER (PARTITION BY customer_id ORDER BY order_date) AS k FROM orders ORDER BY order_id",
        [["O1", 1], ["O2", 2], ["O3", 1]],
    ),
    # CTE + main-less names + strings with quotes are just values
    (
        "WITH r AS (SELECT * FROM sales_reps WHERE name = '张伟') SELECT c.name FROM customers c JOIN r USING (rep_id) ORDER BY 1",
        [["丙"], ["甲公司"]],
    ),
    ("SELECT customer_id FROM customers WHERE name = 'O''Brien; DROP TABLE x'", [["C2"]]),
    # set operations of SELECTs
    (
        "SELECT customer_id FROM orders WHERE status = 'returned' UNION SELECT customer_id FROM customers WHERE size = '大型' ORDER BY 1",
        [["C2"], ["C3"]],
    ),
    ("SELECT customer_id FROM customers EXCEPT SELECT customer_id FROM orders ORDER BY 1", [["C3"]]),
    ("FROM customers SELECT count(*)", [[3]]),
    ("SELECT sum(x) FROM range(5) t(x)", [[10]]),
    ("(SELECT 1 AS one)", [[1]]),
    ("SELECT min(order_date) FROM orders", [[dt.date(2024, 1, 5)]]),
    ("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 4) SELECT sum(n) FROM t", [[10]]),
]


@pytest.mark.parametrize(("sql", "expected"), GOOD)
def test_good_sql_runs_and_returns_rows(tiny_db: Path, sql: str, expected: list[list[object]]) -> None:
    res = guarded_query(tiny_db, sql, limit=100, timeout_s=10)
    assert res.rows == expected
    assert not res.truncated


def test_guarded_query_allow_main(tiny_db: Path) -> None:
    assert guarded_query(tiny_db, "SELECT count(*) FROM main.customers", allow_main=True).rows == [[3]]
    with pytest.raises(SqlRefused):
        guarded_query(tiny_db, "SELECT count(*) FROM main.customers")


def test_rows_are_capped_and_truncation_flagged(tiny_db: Path) -> None:
    res = guarded_query(tiny_db, "SELECT * FROM range(10)", limit=3)
    assert res.rows == [[0], [1], [2]] and res.truncated and res.notes
    exact = guarded_query(tiny_db, "SELECT * FROM range(3)", limit=3)
    assert len(exact.rows) == 3 and not exact.truncated


@pytest.mark.parametrize(
    "sql",
    [
        # never ends: stopped by the time limit, which the parser lets through
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t",
        # an enormous cross join
        "SELECT count(*), sum(a.x * b.x) FROM range(100000000) a(x), range(100000000) b(x)",
    ],
)
def test_time_limit_stops_long_queries(tiny_db: Path, sql: str) -> None:
    check_sql(sql)  # the parser accepts it: the time limit must do the work
    with pytest.raises(QueryTimeout) as err:
        guarded_query(tiny_db, sql, limit=10, timeout_s=0.5)
    assert "0.5" in err.value.zh and "0.5" in err.value.en


def test_time_limit_stops_cross_join_of_warehouse_tables(sample_db: Path) -> None:
    sql = "SELECT count(*), sum(a.amount + b.amount + c.amount) FROM order_items a, order_items b, order_items c"
    check_sql(sql)
    with pytest.raises(QueryTimeout):
        guarded_query(sample_db, sql, timeout_s=0.5)


def test_connection_usable_after_timeout(empty_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(QueryTimeout):
        guarded_query(empty_con, "SELECT count(*) FROM range(100000000) a, range(100000000) b", timeout_s=0.3)
    assert guarded_query(empty_con, "SELECT count(*) FROM customers").rows == [[0]]


def test_execution_error_is_an_assistant_error(tiny_db: Path) -> None:
    with pytest.raises(AssistantError):
        guarded_query(tiny_db, "SELECT no_such_column FROM customers")


# Defence in depth: the connection refuses on its own, without the parser.
BYPASS = [
    "SELECT * FROM read_csv('{f}')",
    "SELECT * FROM read_text('{f}')",
    "SELECT * FROM glob('{d}/*')",
    "SELECT * FROM '{f}'",
    "COPY (SELECT 1) TO '{d}/out.csv'",
    "ATTACH '{d}/other.duckdb' AS other",
    "INSTALL httpfs",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "RESET enable_external_access",
]


@pytest.mark.parametrize("stmt", BYPASS)
def test_guarded_connection_refuses_even_without_the_parser(tiny_db: Path, tmp_path: Path, stmt: str) -> None:
    f = tmp_path / "secret.csv"
    f.write_text("a,b\n1,2\n")
    con = guarded_connect(tiny_db)
    try:
        with pytest.raises(duckdb.Error):
            con.execute(stmt.format(f=f, d=tmp_path)).fetchall()
        assert not (tmp_path / "out.csv").exists()
        with pytest.raises(duckdb.Error):  # read-only too
            con.execute("DELETE FROM customers")
    finally:
        con.close()


@pytest.mark.parametrize("stmt", BYPASS)
def test_hardened_connection_refuses(tmp_path: Path, stmt: str) -> None:
    f = tmp_path / "secret.csv"
    f.write_text("a,b\n1,2\n")
    con = duckdb.connect()
    try:
        df_ok = con.execute("SELECT 42").fetchall()
        harden(con)
        harden(con)  # idempotent
        with pytest.raises(duckdb.Error):
            con.execute(stmt.format(f=f, d=tmp_path)).fetchall()
        assert con.execute("SELECT 42").fetchall() == df_ok
    finally:
        con.close()


def test_sql_query_tool_registered_and_runs(tiny_db: Path) -> None:
    import tools.sql_query  # noqa: F401  (registers)

    spec = REGISTRY["sql_query"]
    assert "SELECT" in spec.en and "只读" in spec.zh
    con = guarded_connect(tiny_db)
    try:
        res = spec.run(con, {"sql": "SELECT customer_id FROM customers ORDER BY 1", "limit": 2})
        assert res.rows == [["C1"], ["C2"]] and res.figures["truncated"] is True
        assert res.sql == ["SELECT customer_id FROM customers ORDER BY 1"]
        with pytest.raises(SqlRefused):
            spec.run(con, {"sql": "SELECT * FROM read_csv('x')"})
    finally:
        con.close()
