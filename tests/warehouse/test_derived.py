"""The derived order totals: equal to the lines they come from, used only while they match, rebuilt by every writer."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from assistant.warehouse import derived
from assistant.warehouse.db import connect
from tools import load_all

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_copy(sample_db: Path, tmp_path: Path) -> Path:
    p = tmp_path / "wh.duckdb"
    shutil.copy(sample_db, p)
    return p


def _write(path: Path, *sql: str) -> None:
    con = duckdb.connect(str(path))
    try:
        for s in sql:
            con.execute(s)
    finally:
        con.close()


def test_generated_warehouse_has_fresh_totals_equal_to_the_lines(sample_db: Path) -> None:
    con = connect(sample_db)
    assert derived.state(con) == "fresh"
    diff = con.execute(
        """
        SELECT count(*) FROM order_totals t
        FULL JOIN (
            SELECT o.order_id, sum(oi.amount) AS revenue,
                   sum(oi.amount - oi.quantity * coalesce(p.unit_cost, 0)) AS margin
            FROM orders o JOIN order_items oi USING (order_id) LEFT JOIN products p USING (product_id)
            GROUP BY o.order_id
        ) l USING (order_id)
        WHERE t.revenue IS DISTINCT FROM l.revenue OR t.margin IS DISTINCT FROM l.margin
        """
    ).fetchone()[0]
    assert diff == 0
    assert (
        con.execute("SELECT count(*) FROM order_totals").fetchone()[0]
        == con.execute("SELECT count(DISTINCT order_id) FROM order_items").fetchone()[0]
    )
    # purchase days: one first row per customer and day with completed orders, carrying the day's revenue
    bad_days = con.execute(
        """
        SELECT count(*) FROM (
            SELECT customer_id, order_date, sum(revenue) AS rev
            FROM order_totals WHERE status = 'completed' GROUP BY ALL
        ) d
        FULL JOIN (SELECT customer_id, order_date, day_revenue FROM order_totals WHERE day_first) f
            USING (customer_id, order_date)
        WHERE d.rev IS DISTINCT FROM f.day_revenue
        """
    ).fetchone()[0]
    assert bad_days == 0


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("clv", {}),
        ("clv", {"by": "customer", "limit": 50}),
        ("clv", {"by": "region", "start": "2025-01-01"}),
        ("clv", {"channel": ["线上"], "predictive": False}),
        ("clv", {"region": ["华东"], "by": "customer", "limit": 20}),
        ("profitability", {}),
        ("profitability", {"by": "customer", "limit": 30}),
        ("profitability", {"by": "customer", "loss_only": True}),
        ("profitability", {"channel": ["线上"], "start": "2025-06-01"}),
        ("satisfaction", {"view": "extremes"}),
        ("satisfaction", {"view": "extremes", "by": "customer", "limit": 20}),
    ],
)
def test_tools_give_the_same_result_from_totals_and_from_lines(db_copy: Path, tool: str, args: dict) -> None:
    spec = load_all()[tool]
    con = connect(db_copy)
    fast = spec.run(con, args)
    # FROM, not the name alone: the SQL's comments may mention the table either way.
    assert any("FROM order_totals" in s for s in fast.sql), "the fresh table is used and the SQL shows it"
    con.close()
    _write(db_copy, "DROP TABLE order_totals")
    con = connect(db_copy)
    assert derived.state(con) == "missing"
    slow = spec.run(con, args)
    assert not any("FROM order_totals" in s for s in slow.sql)
    # Per-customer values are exact DECIMAL sums either way; totals over customers are float sums whose last bit
    # depends on row order, so those compare to 1e-12.
    assert _approx(fast.rows) == slow.rows
    assert _approx(fast.figures) == slow.figures


def _approx(v: object) -> object:
    if isinstance(v, float):
        return pytest.approx(v, rel=1e-12)
    if isinstance(v, list):
        return [_approx(x) for x in v]
    if isinstance(v, dict):
        return {k: _approx(x) for k, x in v.items()}
    return v


def test_category_filter_reads_the_lines(sample_db: Path) -> None:
    con = connect(sample_db)
    category = con.execute("SELECT min(category) FROM products").fetchone()[0]
    res = load_all()["clv"].run(con, {"category": [category], "predictive": False})
    assert not any("FROM order_totals" in s for s in res.sql)
    assert res.figures["revenue"] > 0


@pytest.mark.parametrize(
    "edit",
    [
        "INSERT INTO order_items SELECT order_id, line_no + 100, product_id, quantity, unit_price, discount, amount "
        "FROM order_items LIMIT 1",
        "UPDATE order_items SET amount = amount + 1 WHERE rowid = 0",
        "UPDATE orders SET status = 'returned' WHERE order_id = (SELECT min(order_id) FROM orders WHERE status = 'completed')",
        "UPDATE products SET unit_cost = unit_cost + 1 WHERE rowid = 0",
        # Keeps every count and sum: only the full fingerprint sees it.
        "UPDATE orders SET customer_id = (SELECT max(customer_id) FROM customers) "
        "WHERE order_id = (SELECT min(order_id) FROM orders)",
    ],
)
def test_any_edit_of_the_sources_makes_the_totals_stale(db_copy: Path, edit: str) -> None:
    _write(db_copy, edit)
    con = connect(db_copy)
    assert derived.state(con) == "stale"
    res = load_all()["clv"].run(con, {"predictive": False})
    assert not any("FROM order_totals" in s for s in res.sql), "stale totals are never read"


def test_stale_totals_give_the_live_figures(db_copy: Path) -> None:
    _write(db_copy, "UPDATE order_items SET amount = amount * 2")
    con = connect(db_copy)
    doubled = load_all()["clv"].run(con, {"predictive": False}).figures["revenue"]
    total = con.execute(
        "SELECT sum(amount) FROM order_items JOIN orders USING (order_id) WHERE status = 'completed'"
    ).fetchone()[0]
    assert doubled == pytest.approx(float(total))


def test_data_derive_rebuilds_and_info_reports(db_copy: Path) -> None:
    _write(db_copy, "UPDATE order_items SET amount = amount + 1 WHERE rowid = 0")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assistant", "data", *args, "--db", str(db_copy)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )

    info = cli("info", "--json")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["derived"] == {"order_totals": "stale"}
    done = cli("derive", "--if-stale")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"db": str(db_copy), "order_totals": "fresh", "rebuilt": True}
    assert json.loads(cli("info", "--json").stdout)["derived"] == {"order_totals": "fresh"}
    again = json.loads(cli("derive", "--if-stale").stdout)
    assert again["rebuilt"] is False and again["order_totals"] == "fresh"
    assert json.loads(cli("derive").stdout)["rebuilt"] is True


def test_data_derive_on_a_missing_file_says_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "nope.duckdb"
    r = subprocess.run(
        [sys.executable, "-m", "assistant", "data", "derive", "--db", str(missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 2
    assert "data generate" in r.stdout + r.stderr
    assert not missing.exists()


def test_purchase_days_as_the_window_defines_them() -> None:
    """day_first / day_revenue (build_sql looks up only the days with several completed orders) equal their
    definition by window over every order: on days with one completed order or several (the least id first, not
    the first inserted), beside returned and cancelled ones, a NULL revenue, the same day for another customer."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (order_id VARCHAR, customer_id VARCHAR, order_date DATE, channel VARCHAR, status VARCHAR, "
        "revenue DECIMAL(18,2), margin DECIMAL(18,2), lines_without_cost INTEGER)"
    )
    con.execute(
        """INSERT INTO t VALUES
        ('o9', 'c1', '2024-01-05', 'x', 'completed', 10.50, 1, 0), ('o10', 'c1', '2024-01-05', 'x', 'completed', 2, 1, 0),
        ('o2', 'c1', '2024-01-05', 'x', 'completed', 3.25, 1, 0), ('o1', 'c1', '2024-01-05', 'x', 'returned', 7, 1, 0),
        ('o3', 'c1', '2024-01-06', 'x', 'completed', 4, 1, 0), ('o4', 'c1', '2024-01-06', 'x', 'cancelled', 5, 1, 0),
        ('o5', 'c2', '2024-01-05', 'x', 'completed', 6, 1, 0), ('o6', 'c2', '2024-01-07', 'x', 'returned', 1, 1, 0),
        ('o7', 'c2', '2024-01-07', 'x', 'returned', 1, 1, 0), ('o8', 'c3', '2024-01-08', 'x', 'completed', NULL, 1, 0),
        ('p1', 'c3', '2024-01-09', 'x', 'completed', NULL, 1, 0), ('p2', 'c3', '2024-01-09', 'x', 'completed', 8, 1, 0)"""
    )
    con.execute(derived.build_sql("SELECT * FROM t"))
    want = con.execute(
        """SELECT t.*, coalesce(status = 'completed'
                  AND row_number() OVER (PARTITION BY customer_id, order_date, status ORDER BY order_id) = 1, false),
                  CASE WHEN status = 'completed' THEN sum(revenue) OVER (PARTITION BY customer_id, order_date, status) END
           FROM t ORDER BY order_id"""
    ).fetchall()
    assert con.execute("FROM order_totals ORDER BY order_id").fetchall() == want
    # The least id as text heads its day (o10 before o2 and o9, inserted after them); a NULL revenue adds nothing.
    assert [(r[0], r[9]) for r in want if r[8]] == [
        ("o10", Decimal("15.75")),
        ("o3", Decimal("4.00")),
        ("o5", Decimal("6.00")),
        ("o8", None),
        ("p1", Decimal("8.00")),
    ]
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE order_totals)").fetchall())
    assert (types["day_first"], types["day_revenue"]) == ("BOOLEAN", "DECIMAL(38,2)")


def test_totals_are_stored_in_customer_order(sample_db: Path) -> None:
    """Its readers group it by customer: the rows are written by customer, day and order (rowid order), whether
    built from the warehouse's lines (the generator, data derive) or from a writer's orders given in another order."""
    con = duckdb.connect(str(sample_db), read_only=True)
    stored, wanted = con.execute(
        "SELECT list(order_id ORDER BY rowid), list(order_id ORDER BY customer_id, order_date, order_id) "
        "FROM order_totals"
    ).fetchone()
    con.close()
    assert len(stored) > 1000 and stored == wanted
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT 'o' || i AS order_id, 'c' || (i * 7919 % 50) AS customer_id, "
        "DATE '2024-01-01' + CAST(i % 30 AS INTEGER) AS order_date, 'x' AS channel, 'completed' AS status, "
        "CAST(i AS DECIMAL(18, 2)) AS revenue, CAST(1 AS DECIMAL(18, 2)) AS margin, 0 AS lines_without_cost "
        "FROM range(2000) r(i) ORDER BY hash(i)"
    )
    con.execute(derived.build_sql("SELECT * FROM t"))
    stored, wanted = con.execute(
        "SELECT list(order_id ORDER BY rowid), list(order_id ORDER BY customer_id, order_date, order_id) "
        "FROM order_totals"
    ).fetchone()
    assert stored == wanted and len(stored) == 2000
