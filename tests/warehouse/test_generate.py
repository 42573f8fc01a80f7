"""The sample generator: determinism, the contract, invariants, and the behaviour the analysis needs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from assistant.core.errors import InputError
from assistant.warehouse.db import contract_problems
from assistant.warehouse.generate import GenerateOptions, generate, parse_date
from assistant.warehouse.schema import TABLES, foreign_keys


def checksums(path: Path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for t in TABLES:
            key = ", ".join(t.primary_key)
            out[t.name] = con.execute(
                f"SELECT md5(string_agg(CAST(x AS VARCHAR), '|' ORDER BY {key})) FROM (SELECT {key}, x FROM {t.name} x)"
            ).fetchone()[0]
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def default_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo size, as `make run` builds it."""
    path = tmp_path_factory.mktemp("default") / "w.duckdb"
    generate(path, GenerateOptions())
    return path


@pytest.fixture
def con(default_db: Path):
    c = duckdb.connect(str(default_db), read_only=True)
    yield c
    c.close()


def one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def test_same_seed_same_tables_other_seed_other_tables(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    generate(a, GenerateOptions(customers=300, seed=5))
    generate(b, GenerateOptions(customers=300, seed=5))
    generate(c, GenerateOptions(customers=300, seed=6))
    assert checksums(a) == checksums(b)
    differs = {t for t, h in checksums(a).items() if checksums(c)[t] != h}
    assert {"customers", "orders", "order_items"} <= differs


def test_matches_the_contract(con: duckdb.DuckDBPyConnection) -> None:
    assert contract_problems(con) == []
    for t in TABLES:
        assert one(con, f"SELECT count(*) FROM {t.name}") > 0, t.name


def test_default_size_is_a_laptop_demo(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "SELECT count(*) FROM customers") == 2000
    assert 40_000 <= one(con, "SELECT count(*) FROM order_items") <= 60_000
    assert 20 <= one(con, "SELECT count(*) FROM sales_reps") <= 40
    assert 60 <= one(con, "SELECT count(*) FROM products") <= 150
    assert one(con, "SELECT count(DISTINCT category) FROM products") == 8
    assert one(con, "SELECT count(DISTINCT region) FROM customers") == 7
    assert one(con, "SELECT count(DISTINCT region) FROM sales_reps") == 7
    assert one(con, "SELECT count(*) FROM sales_reps WHERE name IN ('张伟', '李娜')") == 2
    first, last = con.execute("SELECT min(order_date), max(order_date) FROM orders").fetchone()
    assert (last - first).days > 2 * 365


@pytest.mark.parametrize(
    ("rule", "sql"),
    [
        (
            "amount formula",
            "SELECT count(*) FROM order_items WHERE abs(amount - quantity * unit_price * (1 - discount)) > 0.005",
        ),
        (
            "no order before signup",
            "SELECT count(*) FROM orders o JOIN customers c USING (customer_id) WHERE o.order_date < c.signup_date",
        ),
        (
            "no sale before launch",
            "SELECT count(*) FROM orders o JOIN order_items i USING (order_id) JOIN products p USING (product_id) WHERE o.order_date < p.launch_date",
        ),
        ("cost below price", "SELECT count(*) FROM products WHERE unit_cost >= unit_price"),
        ("resolved after created", "SELECT count(*) FROM tickets WHERE resolved_at < created_at"),
        ("open means unresolved", "SELECT count(*) FROM tickets WHERE (status = 'open') <> (resolved_at IS NULL)"),
        ("nps range", "SELECT count(*) FROM surveys WHERE nps NOT BETWEEN 0 AND 10"),
        ("csat range", "SELECT count(*) FROM surveys WHERE csat NOT BETWEEN 1 AND 5"),
        ("ces range", "SELECT count(*) FROM surveys WHERE ces NOT BETWEEN 1 AND 7"),
        ("paid after issue", "SELECT count(*) FROM invoices WHERE paid_date < issue_date OR due_date < issue_date"),
        (
            "invoice = order total",
            """SELECT count(*) FROM invoices i JOIN (SELECT order_id, sum(amount) s FROM order_items GROUP BY 1) t
                                     USING (order_id) WHERE i.amount <> t.s""",
        ),
        (
            "invoices only for completed orders",
            "SELECT count(*) FROM invoices JOIN orders USING (order_id) WHERE status <> 'completed'",
        ),
        (
            "invoice customer = order customer",
            "SELECT count(*) FROM invoices i JOIN orders o USING (order_id) WHERE i.customer_id <> o.customer_id",
        ),
        ("nothing after the history", "SELECT count(*) FROM orders WHERE order_date > DATE '2026-10-31'"),
        (
            "line numbers start at 1",
            "SELECT count(*) FROM (SELECT order_id, min(line_no) m, max(line_no) x, count(*) n FROM order_items GROUP BY 1) WHERE m <> 1 OR x <> n",
        ),
    ],
)
def test_invariant(con: duckdb.DuckDBPyConnection, rule: str, sql: str) -> None:
    assert one(con, sql) == 0, rule


@pytest.mark.parametrize(("table", "column", "ref_table", "ref_column"), foreign_keys())
def test_foreign_keys_hold(
    con: duckdb.DuckDBPyConnection, table: str, column: str, ref_table: str, ref_column: str
) -> None:
    orphans = one(
        con,
        f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "
        f"AND t.{column} NOT IN (SELECT {ref_column} FROM {ref_table})",
    )
    assert orphans == 0


def test_value_is_heavy_tailed(con: duckdb.DuckDBPyConnection) -> None:
    share = one(
        con,
        """WITH r AS (SELECT customer_id, sum(amount) rev FROM orders JOIN order_items USING (order_id)
                      WHERE status = 'completed' GROUP BY 1),
                k AS (SELECT rev, row_number() OVER (ORDER BY rev DESC) rn, count(*) OVER () n FROM r)
           SELECT sum(rev) FILTER (WHERE rn <= n * 0.2) / sum(rev) FROM k""",
    )
    assert 0.6 <= share <= 0.8


def test_every_rfm_class_has_members(con: duckdb.DuckDBPyConnection) -> None:
    # The 8-class scheme with mean thresholds, computed independently of the tools.
    classes = con.execute(
        """WITH t AS (SELECT customer_id, DATE '2026-10-30' - max(order_date) r, count(DISTINCT order_id) f, sum(amount) m
                      FROM orders JOIN order_items USING (order_id) WHERE status = 'completed' GROUP BY 1)
           SELECT DISTINCT (r <= avg(r) OVER ())::INT || (f >= avg(f) OVER ())::INT || (m >= avg(m) OVER ())::INT FROM t"""
    ).fetchall()
    assert len(classes) == 8


def test_seasonality_churn_and_comebacks(con: duckdb.DuckDBPyConnection) -> None:
    per_month = dict(
        con.execute(
            "SELECT month(order_date), count(*) FROM orders WHERE order_date < DATE '2026-01-01' GROUP BY 1"
        ).fetchall()
    )
    assert per_month[2] < 0.8 * per_month[3]  # Spring Festival dip
    assert per_month[11] > 1.1 * per_month[10]  # Double 11
    last = "SELECT customer_id, max(order_date) d FROM orders WHERE status = 'completed' GROUP BY 1"
    assert one(con, f"SELECT count(*) FROM ({last}) WHERE d < DATE '2026-10-31' - 180") > 100
    gaps = """SELECT count(DISTINCT customer_id) FROM (SELECT customer_id,
                 order_date - lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) g FROM orders) WHERE g > 180"""
    assert one(con, gaps) > 20
    signups = dict(con.execute("SELECT year(signup_date), count(*) FROM customers GROUP BY 1").fetchall())
    assert signups[2025] > 100 and signups[2026] > 100


def test_service_behaviour(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "SELECT count(*) FROM orders WHERE status = 'returned'") > 100
    assert one(con, "SELECT count(*) FROM orders WHERE status = 'cancelled'") > 100
    assert one(con, "SELECT count(*) FROM invoices WHERE paid_date > due_date") > 100
    assert one(con, "SELECT count(*) FROM invoices WHERE paid_date IS NULL AND due_date < DATE '2026-06-30'") > 20
    assert one(con, "SELECT count(*) FROM tickets WHERE status = 'open'") > 0
    assert one(con, "SELECT count(DISTINCT category) FROM tickets WHERE kind = 'complaint'") >= 5
    assert one(con, "SELECT count(DISTINCT department) FROM interactions") >= 4
    multi = """SELECT count(*) FROM (SELECT customer_id, date_trunc('week', happened_at) FROM interactions
               GROUP BY ALL HAVING count(DISTINCT department) > 1)"""
    assert one(con, multi) > 50
    # Satisfaction falls with complaints.
    corr = one(
        con,
        """SELECT corr(s.nps, coalesce(t.n, 0)) FROM surveys s LEFT JOIN
           (SELECT customer_id, count(*) n FROM tickets WHERE kind = 'complaint' GROUP BY 1) t USING (customer_id)""",
    )
    assert corr < -0.3


def test_regeneration_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    generate(path, GenerateOptions(customers=50, seed=1))
    before = checksums(path)
    with pytest.raises(InputError):
        generate(path, GenerateOptions(customers=5))
    assert checksums(path) == before  # a refused run leaves the old warehouse as it was
    generate(path, GenerateOptions(customers=60, seed=1))
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 60
    con.close()
    assert not list(tmp_path.glob("*.building*"))


@pytest.mark.parametrize(
    ("opts", "needle"),
    [
        (GenerateOptions(customers=3), "--customers"),
        (GenerateOptions(start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 1)), "180 days"),
        (GenerateOptions(lines_per_customer=0.5), "--lines-per-customer"),
    ],
)
def test_bad_options_say_what_to_fix(tmp_path: Path, opts: GenerateOptions, needle: str) -> None:
    with pytest.raises(InputError) as err:
        generate(tmp_path / "x.duckdb", opts)
    assert needle in err.value.en
    assert err.value.zh != err.value.en


@pytest.mark.parametrize(("text", "expected"), [("2024-01-05", dt.date(2024, 1, 5)), ("2024/1/5", dt.date(2024, 1, 5))])
def test_parse_date(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "yesterday", "20240105", ""])
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        parse_date(text, "--start")
