"""Primary keys added after the bulk load (schema.add_primary_key) are the contract's keys all the same."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from assistant.warehouse.db import create_tables
from assistant.warehouse.importer import ImportOptions, import_files
from assistant.warehouse.schema import TABLES, TABLES_BY_NAME, add_primary_key, ddl
from tests.importer.helpers import customers_csv, write
from tests.importer.test_transactions import LOG

CONSTRAINTS = (
    "SELECT table_name, constraint_type, constraint_column_names, constraint_text FROM duckdb_constraints() "
    "WHERE schema_name = 'main' ORDER BY ALL"
)


def _constraints(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return [r for r in con.execute(CONSTRAINTS).fetchall() if r[0] in TABLES_BY_NAME]


def _contract_constraints() -> list[tuple]:
    con = duckdb.connect()
    create_tables(con)
    try:
        return _constraints(con)
    finally:
        con.close()


@pytest.mark.parametrize("kind", ["preset", "table"])
def test_fresh_import_has_the_contracts_constraints(tmp_path: Path, kind: str) -> None:
    db = tmp_path / "w.duckdb"
    if kind == "preset":
        import_files([write(tmp_path / "log.csv", LOG)], ImportOptions(preset="transactions"), db=db)
    else:
        import_files([customers_csv(tmp_path / "customers.csv")], ImportOptions(table="customers"), db=db)
    con = duckdb.connect(str(db))
    try:
        assert _constraints(con) == _contract_constraints()
        # A taken key is refused afterwards, as in a table created keyed (order lines have no key index: their
        # keys are unique by the importer's numbering and checks, see test_order_lines_key_is_checked_not_indexed).
        if kind == "preset":
            oid = con.execute("SELECT order_id FROM orders LIMIT 1").fetchone()[0]
            with pytest.raises(duckdb.ConstraintException):
                con.execute("INSERT INTO orders VALUES (?, 'x', DATE '2024-01-01', 'x', 'completed', NULL)", [oid])
            cid = con.execute("SELECT customer_id FROM customers LIMIT 1").fetchone()[0]
        else:
            cid = "C1"
        with pytest.raises(duckdb.ConstraintException):
            con.execute(
                "INSERT INTO customers VALUES (?, 'x', '未知', '未知', '未知', '未知', '未知', DATE '2024-01-01', NULL, NULL)",
                [cid],
            )
    finally:
        con.close()


def test_add_primary_key_refuses_duplicates_at_commit() -> None:
    t = TABLES_BY_NAME["order_items"]
    con = duckdb.connect()
    con.execute("BEGIN TRANSACTION")
    con.execute(ddl(t, primary_key=False))
    con.execute("INSERT INTO order_items VALUES ('O1', 1, 'P', 1, 1, 0, 1), ('O1', 1, 'P', 2, 1, 0, 2)")
    con.execute(add_primary_key(t))
    with pytest.raises(duckdb.Error):
        con.execute("COMMIT")
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'order_items'").fetchone()[0] == 0


def test_ddl_without_key_keeps_every_other_constraint() -> None:
    for t in TABLES:
        keyed, unkeyed = ddl(t), ddl(t, primary_key=False)
        assert unkeyed == keyed.replace(f",\n  PRIMARY KEY ({', '.join(t.primary_key)})", "")
        assert "PRIMARY KEY" not in unkeyed


def test_order_lines_key_is_checked_not_indexed(tmp_path: Path) -> None:
    """order_items carries no key index (schema.Table.key_index); the importer keeps its key unique all the same."""
    assert not TABLES_BY_NAME["order_items"].key_index
    assert "PRIMARY KEY" not in ddl(TABLES_BY_NAME["order_items"])
    db = tmp_path / "w.duckdb"
    import_files([write(tmp_path / "log.csv", LOG)], ImportOptions(preset="transactions"), db=db)
    con = duckdb.connect(str(db))
    try:
        assert con.execute(
            "SELECT count(*) FROM (SELECT order_id, line_no FROM order_items GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone() == (0,)
        oid, n = con.execute("SELECT order_id, line_no FROM order_items ORDER BY ALL LIMIT 1").fetchone()
    finally:
        con.close()
    # Appending a line whose key is taken is refused with its reason; a new line goes in.
    lines = write(
        tmp_path / "more.csv",
        f"order_id,line_no,product_id,quantity,unit_price\n{oid},{n},22633,1,1.00\n{oid},99,22633,1,1.00\n",
    )
    report = import_files([lines], ImportOptions(table="order_items", mode="append", max_reject_rate=1.0), db=db)
    assert [m.en for m in report.first_rejects] == [
        f"more.csv row 2 column order_id: key {oid}/{n} is already in the warehouse (append never overwrites)"
    ]
    con = duckdb.connect(str(db))
    try:
        assert con.execute(
            "SELECT count(*) FROM order_items WHERE order_id = ? AND line_no = 99", [oid]
        ).fetchone() == (1,)
    finally:
        con.close()


def test_replace_rebuilds_tables_with_the_contracts_constraints(tmp_path: Path) -> None:
    """A replace into a warehouse that has data writes its tables anew (no delete from keyed tables): same keys."""
    db = tmp_path / "w.duckdb"
    log = write(tmp_path / "log.csv", LOG)
    import_files([log], ImportOptions(preset="transactions"), db=db)
    import_files([customers_csv(tmp_path / "customers.csv")], ImportOptions(table="customers", mode="append"), db=db)
    report = import_files([log], ImportOptions(preset="transactions"), db=db)
    assert report.tables["order_items"].imported == 7
    con = duckdb.connect(str(db))
    try:
        assert _constraints(con) == _contract_constraints()
        assert con.execute("SELECT count(*) FROM order_items").fetchone() == (7,)
        assert con.execute("SELECT count(*) FROM customers").fetchone() == (3,)  # replaced: the preset's three
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO customers SELECT * FROM customers LIMIT 1")
    finally:
        con.close()
