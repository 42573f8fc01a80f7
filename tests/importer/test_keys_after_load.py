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
        # A taken key is refused afterwards, as in a table created keyed.
        if kind == "preset":
            oid, n = con.execute("SELECT order_id, line_no FROM order_items LIMIT 1").fetchone()
            with pytest.raises(duckdb.ConstraintException):
                con.execute("INSERT INTO order_items VALUES (?, ?, '22633', 1, 1.00, 0, 1.00)", [oid, n])
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
