"""Per-salesperson data access: whatever the route (tools, metric queries, raw SQL), another rep's customers never show."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from assistant.capabilities import load_all
from assistant.core.errors import AssistantError, InputError
from assistant.warehouse.access import Principal, open_for


@pytest.fixture(scope="module")
def reps(sample_db: Path) -> tuple[str, set[str], set[str]]:
    con = duckdb.connect(str(sample_db), read_only=True)
    rep = con.execute("SELECT rep_id FROM customers GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    mine = {r[0] for r in con.execute("SELECT customer_id FROM customers WHERE rep_id = ?", [rep]).fetchall()}
    others = {
        r[0] for r in con.execute("SELECT customer_id FROM customers WHERE rep_id IS DISTINCT FROM ?", [rep]).fetchall()
    }
    con.close()
    return rep, mine, others


@pytest.fixture(scope="module")
def sales_con(sample_db: Path, reps: tuple[str, set[str], set[str]]) -> duckdb.DuckDBPyConnection:
    return open_for(sample_db, Principal("tester", "sales", reps[0]))


def test_every_table_holds_only_the_reps_customers(sample_db: Path, sales_con: duckdb.DuckDBPyConnection, reps) -> None:
    rep, mine, _ = reps
    full = duckdb.connect(str(sample_db), read_only=True)
    for table in ("orders", "invoices", "surveys", "tickets", "interactions"):
        got = sales_con.execute(f"SELECT count(*), count(DISTINCT customer_id) FROM {table}").fetchone()
        want = full.execute(
            f"SELECT count(*), count(DISTINCT customer_id) FROM {table} WHERE customer_id IN (SELECT customer_id FROM customers WHERE rep_id = ?)",
            [rep],
        ).fetchone()
        assert got == want, table
    assert {r[0] for r in sales_con.execute("SELECT customer_id FROM customers").fetchall()} == mine
    assert (
        sales_con.execute(
            "SELECT count(*) FROM order_items WHERE order_id NOT IN (SELECT order_id FROM orders)"
        ).fetchone()[0]
        == 0
    )
    assert sales_con.execute("SELECT list(rep_id) FROM sales_reps").fetchone()[0] == [rep]
    full.close()


def _customer_ids(rows: list[list[object]], columns: list[str]) -> set[str]:
    out: set[str] = set()
    for col in ("customer_id", "customer"):
        if col in columns:
            out |= {str(r[columns.index(col)]) for r in rows}
    return out


def test_every_tool_sees_only_the_reps_customers(sales_con: duckdb.DuckDBPyConnection, reps) -> None:
    _, mine, others = reps
    for name, spec in load_all().items():
        if spec.needs != "warehouse":
            continue  # document search reads no customer data
        fields = spec.args_model.model_fields
        variants = [{}]
        if "by" in fields:
            variants.append({"by": "customer"})
        if name == "metric_query":
            variants = [{"metrics": ["revenue"], "by": ["customer"]}]
        if name == "sql_query":
            variants = [{"sql": "SELECT customer_id FROM customers"}]
        if name == "customer_profile":
            variants = [{"customer_ids": sorted(mine)[:3]}]
        for args in variants:
            try:
                res = spec.run(sales_con, args)
            except (AssistantError, ValueError):
                continue  # e.g. a tool that needs more data than one rep has: refusing is fine, leaking is not
            ids = _customer_ids(res.rows, res.columns)
            assert not ids & others, (name, args)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT customer_id FROM main.customers",
        "SELECT customer_id FROM wh.customers",
        "SELECT customer_id FROM customers UNION SELECT customer_id FROM orders",
        "SELECT * FROM (SELECT customer_id FROM customers) t",
        "SELECT table_name FROM information_schema.tables",
        "SELECT * FROM duckdb_tables()",
        "SELECT * FROM duckdb_databases()",
        "ATTACH 'data/warehouse.duckdb' AS x",
        "SELECT * FROM read_csv('data/warehouse.duckdb')",
        "SET enable_external_access = true",
    ],
)
def test_hostile_sql_never_reveals_another_reps_customer(sales_con: duckdb.DuckDBPyConnection, reps, sql: str) -> None:
    _, _, others = reps
    # Through the guarded tool, and straight on the connection (defence in depth: the data is not there).
    for run in (
        lambda: load_all()["sql_query"].run(sales_con, {"sql": sql}),
        lambda: sales_con.execute(sql).fetchall(),
    ):
        try:
            out = run()
        except (AssistantError, duckdb.Error, ValueError):
            continue
        text = json.dumps(out.to_json() if hasattr(out, "to_json") else out, default=str, ensure_ascii=False)
        assert not any(cid in text for cid in others), sql


def test_managers_see_everything_read_only(sample_db: Path) -> None:
    con = open_for(sample_db, Principal("boss", "manager"))
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 400
    for sql in ("DELETE FROM customers", "SELECT * FROM read_csv('/etc/hosts')", "SET enable_external_access = true"):
        with pytest.raises(duckdb.Error):
            con.execute(sql)
    con.close()


def test_unknown_rep_is_refused(sample_db: Path) -> None:
    with pytest.raises(InputError, match="R999"):
        open_for(sample_db, Principal("x", "sales", "R999"))


@pytest.mark.parametrize(("role", "rep"), [("boss", None), ("sales", None)])
def test_bad_principals(role: str, rep: str | None) -> None:
    with pytest.raises(InputError):
        Principal("x", role, rep)


def test_a_salesperson_shares_the_company_reference_date(sample_db: Path, sales_con: duckdb.DuckDBPyConnection) -> None:
    from tools.base import last_order_date

    full = duckdb.connect(str(sample_db), read_only=True)
    assert (
        last_order_date(sales_con)
        == last_order_date(full)
        == full.execute("SELECT max(order_date) FROM orders").fetchone()[0]
    )
    full.close()
