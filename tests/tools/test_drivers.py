"""change_drivers on a hand-built table (expectations worked out by hand in the comments) and against plain SQL on the
sample warehouse: every split of every metric adds up exactly to the change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import duckdb
import pytest

from assistant.core.errors import InputError
from tools.drivers import DriversArgs, change_drivers, largest_remainder_cents, periods

D = dt.date
AS_OF = D(2025, 6, 30)  # default: Q2 2025 (04-01..06-30, a whole quarter) against Q1 (01-01..03-31)


def _order(con, oid, cid, day, lines, status="completed", channel="线上"):
    con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, NULL)", [oid, cid, day, channel, status])
    for n, (pid, qty, price) in enumerate(lines, 1):
        con.execute(
            "INSERT INTO order_items VALUES (?, ?, ?, ?, ?, 0, ?)", [oid, n, pid, qty, price, round(qty * price, 2)]
        )


@pytest.fixture
def con(empty_con):
    c = empty_con
    c.execute(
        "INSERT INTO sales_reps VALUES ('R1', '张三', '华东', 'A', '2020-01-01'), ('R2', '李四', '华东', 'A', '2020-01-01')"
    )
    # P1 category A cost 6; P2 category B cost 20; P3 category B without a cost (left out of gross profit).
    c.execute(
        "INSERT INTO products VALUES ('P1', '纸', 'A', 10, 6, NULL), ('P2', '椅', 'B', 50, 20, NULL), "
        "('P3', '灯', 'B', 30, NULL, NULL)"
    )
    for cid, region, rep in (("C1", "华东", "R1"), ("C2", "华东", "R2"), ("C3", "华北", "R1"), ("C4", "华北", None)):
        c.execute(
            "INSERT INTO customers VALUES (?, ?, ?, '某市', '制造', '小型', '线上', '2024-01-01', ?, NULL)",
            [cid, "客户" + cid, region, rep],
        )
    c.execute(
        "INSERT INTO customers VALUES ('C5', '客户C5', '华南', '某市', '制造', '小型', '线上', '2024-01-01', 'R2', NULL)"
    )
    # Base period (Q1):
    _order(c, "O1", "C1", "2025-01-10", [("P1", 10, 10)])  # 100, GP 100 - 60 = 40
    _order(c, "O2", "C1", "2025-02-10", [("P2", 1, 50)])  # 50, GP 30   -> C1: 150, 2 orders, GP 70
    _order(c, "O3", "C2", "2025-03-01", [("P1", 5, 10)])  # 50, GP 20   -> C2: 50, 1 order, GP 20
    _order(c, "O4", "C3", "2025-03-31", [("P2", 2, 50)])  # 100, GP 60  -> C3: 100, 1 order, GP 60 (last day of Q1)
    _order(c, "O5", "C4", "2025-02-01", [("P1", 1, 10)], status="returned")  # not revenue, not an order
    _order(c, "O10", "C5", "2024-12-31", [("P1", 1, 10)])  # the day before the base period: in neither
    # Current period (Q2):
    _order(c, "O6", "C1", "2025-04-01", [("P1", 12, 9), ("P2", 1, 60)])  # 108 + 60 = 168, GP 36 + 40 = 76, 1 order
    _order(c, "O7", "C2", "2025-05-05", [("P1", 2, 10)])  # 20, GP 8, 1 order
    _order(c, "O8", "C4", "2025-06-30", [("P3", 3, 30)], channel="门店")  # 90, GP: P3 has no cost, left out -> 0
    _order(c, "O9", "C2", "2025-06-15", [("P1", 10, 10)], status="cancelled")  # ignored
    # Revenue: base 150 + 50 + 100 = 300, current 168 + 20 + 90 = 278, change -22.
    return c


def _run(con, **kw):
    kw.setdefault("as_of", AS_OF)
    return change_drivers(con, DriversArgs(**kw))


def _contrib(res) -> dict[Any, Any]:
    key = res.columns[0]
    return {r[key]: r["contribution"] for r in res.records()}


def _adds_up(res) -> None:
    """The table's contributions sum exactly to the change, which is current - base."""
    f = res.figures
    assert f["current_value"] - f["base_value"] == f["change"]
    assert sum(r["contribution"] for r in res.records()) == f["change"]


def test_revenue_by_customer_group(con):
    res = _run(con)
    f = res.figures
    assert (f["base_value"], f["current_value"], f["change"]) == (Decimal("300"), Decimal("278"), Decimal("-22"))
    assert f["change_pct"] == pytest.approx(-22 / 300)
    assert (f["current_start"], f["current_end"], f["base_start"], f["base_end"]) == (
        D(2025, 4, 1),
        AS_OF,
        D(2025, 1, 1),
        D(2025, 3, 31),
    )
    # new C4 0 -> 90; lost C3 100 -> 0; grew C1 150 -> 168; shrank C2 50 -> 20; nobody unchanged.
    recs = {r["group"]: r for r in res.records()}
    assert {k: (r["customers"], r["base"], r["current"], r["contribution"]) for k, r in recs.items()} == {
        "new": (1, 0, 90, 90),
        "lost": (1, 100, 0, -100),
        "grew": (1, 150, 168, 18),
        "shrank": (1, 50, 20, -30),
        "unchanged": (0, 0, 0, 0),
    }
    _adds_up(res)
    # Sorted by absolute contribution; the three largest named with their share of the change (-22).
    assert [r[0] for r in res.rows] == ["lost", "new", "shrank", "grew", "unchanged"]
    top = f["top_drivers"]
    assert [(d["driver"], d["contribution"]) for d in top] == [("lost", -100), ("new", 90), ("shrank", -30)]
    assert top[0]["share_of_change"] == pytest.approx(100 / 22) and top[0]["name_zh"] == "流失客户"
    assert top[1]["share_of_change"] == pytest.approx(-90 / 22) and top[1]["name_en"] == "new customers"
    assert recs["lost"]["group_zh"] == "流失客户" and recs["lost"]["group_en"] == "lost customers"
    assert f["customers_by_group"] == {"new": 1, "lost": 1, "grew": 1, "shrank": 1, "unchanged": 0}
    assert res.chart is not None and res.chart.kind == "bar" and res.chart.y == "contribution"
    periods_def = next(d for d in res.definitions if d.name == "periods")
    assert "2025-01-01" in periods_def.zh and "previous calendar quarter" in periods_def.en
    assert any(d.name == "group_new" for d in res.definitions)
    assert res.sql and "$cur_start" in res.sql[0] and "2025" not in res.sql[0]  # dates are parameters


def test_orders_customers_and_gross_profit_by_group(con):
    # Orders: C1 2 -> 1 (shrank -1), C2 1 -> 1 (unchanged), C3 1 -> 0 (lost -1), C4 0 -> 1 (new +1): 4 -> 3.
    res = _run(con, metric="orders")
    assert (res.figures["base_value"], res.figures["current_value"], res.figures["change"]) == (4, 3, -1)
    assert _contrib(res) == {"new": 1, "lost": -1, "grew": 0, "shrank": -1, "unchanged": 0}
    assert {r["group"]: r["customers"] for r in res.records()}["unchanged"] == 1
    _adds_up(res)
    # Active customers: C1, C2, C3 -> C1, C2, C4: 3 -> 3; new +1, lost -1, C1 and C2 unchanged; no share of a 0 change.
    res = _run(con, metric="customers")
    assert (res.figures["base_value"], res.figures["change"]) == (3, 0)
    assert _contrib(res) == {"new": 1, "lost": -1, "grew": 0, "shrank": 0, "unchanged": 0}
    assert {r["group"]: r["customers"] for r in res.records()}["unchanged"] == 2
    assert res.figures["change_pct"] == 0 and all(r["share_of_change"] is None for r in res.records())
    assert [d["driver"] for d in res.figures["top_drivers"]] == ["lost", "new"]  # contributions of 0 drive nothing
    # Gross profit: C1 70 -> 76 (+6), C2 20 -> 8 (-12), C3 60 -> 0 (-60), C4 new, but P3 has no cost: 0 -> 0.
    res = _run(con, metric="gross_profit")
    assert (res.figures["base_value"], res.figures["current_value"], res.figures["change"]) == (150, 84, -66)
    assert _contrib(res) == {"new": 0, "lost": -60, "grew": 6, "shrank": -12, "unchanged": 0}
    _adds_up(res)


def test_by_dimension(con):
    # Region: 华东 (C1, C2) 200 -> 188; 华北 (C3, C4) 100 -> 90.
    res = _run(con, by="region")
    assert _contrib(res) == {"华东": -12, "华北": -10}
    assert {r["region"]: r["customers"] for r in res.records()} == {"华东": 2, "华北": 2}
    _adds_up(res)
    # Rep (assigned): R1 (C1, C3) 250 -> 168; R2 (C2) 50 -> 20; no rep (C4) 0 -> 90.
    res = _run(con, by="rep")
    assert [(r["rep_id"], r["name"], r["contribution"]) for r in res.records()] == [
        (None, "(未分配)", 90),
        ("R1", "张三", -82),
        ("R2", "李四", -30),
    ]
    _adds_up(res)
    # Category: A (P1) 150 -> 128; B (P2, P3) 150 -> 150.
    res = _run(con, by="category")
    assert _contrib(res) == {"A": -22, "B": 0}
    _adds_up(res)
    # Product: P1 150 -> 128, P2 150 -> 60, P3 0 -> 90; the tie on |90| goes by product id.
    res = _run(con, by="product")
    assert [(r["product_id"], r["name"], r["category"], r["contribution"]) for r in res.records()] == [
        ("P2", "椅", "B", -90),
        ("P3", "灯", "B", 90),
        ("P1", "纸", "A", -22),
    ]
    _adds_up(res)
    # Gross profit by product: P1 (40 + 20) -> (36 + 8) = -16; P2 (30 + 60) -> 40 = -50; P3 no cost: 0 -> 0.
    assert _contrib(_run(con, by="product", metric="gross_profit")) == {"P1": -16, "P2": -50, "P3": 0}
    # Orders by region are additive (one region per customer): 华东 3 -> 2, 华北 1 -> 1.
    assert _contrib(_run(con, by="region", metric="orders")) == {"华东": -1, "华北": 0}


def test_by_customer_lists_the_largest_and_sums_the_rest(con):
    res = _run(con, by="customer")
    assert res.columns[:3] == ["customer_id", "name", "group"]
    # |C3 -100| > |C4 +90| > |C2 -30| > |C1 +18|.
    assert [(r["customer_id"], r["group"], r["contribution"]) for r in res.records()] == [
        ("C3", "lost", -100),
        ("C4", "new", 90),
        ("C2", "shrank", -30),
        ("C1", "grew", 18),
    ]
    _adds_up(res)
    res = _run(con, by="customer", limit=2)
    rows = res.records()
    assert [r["customer_id"] for r in rows] == ["C3", "C4", None]
    # The other two (C2, C1): base 50 + 150, current 20 + 168, contribution -12.
    assert (rows[2]["base"], rows[2]["current"], rows[2]["contribution"]) == (200, 188, -12)
    assert "2 other customers" in rows[2]["name"] and res.figures["contributions"] == 4
    assert res.figures["base_value"] == 300
    _adds_up(res)
    assert res.notes
    # The same cut for a split computed in Python: products P2, P3 listed, P1 summed.
    res = _run(con, by="product", limit=2)
    assert res.rows[-1][0] is None and res.records()[-1]["contribution"] == -22
    _adds_up(res)


def test_price_volume_mix(con):
    # Per product: P1 Q0 15 R0 150 (P0 10), Q1 14 R1 128; P2 Q0 3 R0 150 (P0 50), Q1 1 R1 60; P3 new: Q1 3 R1 90,
    # valued at its current price 30. Q0 = Q1 = 18, P̄0 = 300 / 18.
    # Σ Q1ᵢ·P0ᵢ = 14·10 + 1·50 + 3·30 = 280. volume = 0 · P̄0 = 0; mix = 280 - 18 · 300/18 = -20;
    # price = 278 - 280 = -2 (P1 128 - 140 = -12, P2 60 - 50 = +10, P3 none). Sum -22.
    res = _run(con, by="price_volume_mix")
    f = res.figures
    assert (f["price_effect"], f["volume_effect"], f["mix_effect"]) == (Decimal("-2"), 0, Decimal("-20"))
    assert (f["base_quantity"], f["current_quantity"]) == (18, 18)
    assert f["base_avg_price"] == pytest.approx(300 / 18)
    assert [r["effect"] for r in res.records()] == ["mix", "price", "volume"]
    assert sum(r["contribution"] for r in res.records()) == f["change"] == Decimal("-22")
    assert next(d for d in res.definitions if d.name == "price_volume_mix").value["mix"]


def test_price_volume_mix_rounds_to_cents_and_still_adds_up(empty_con):
    c = empty_con
    c.execute("INSERT INTO products VALUES ('P1', '纸', 'A', 10, 6, NULL)")
    c.execute(
        "INSERT INTO customers VALUES ('C1', '甲', '华东', '某市', '制造', '小型', '线上', '2024-01-01', NULL, NULL)"
    )
    c.execute("INSERT INTO orders VALUES ('O1', 'C1', '2025-01-05', '线上', 'completed', NULL)")
    c.execute(
        "INSERT INTO order_items VALUES ('O1', 1, 'P1', 3, 3.33, 0, 10.00)"
    )  # a given amount is kept: Q0 3, R0 10
    c.execute("INSERT INTO orders VALUES ('O2', 'C1', '2025-04-05', '线上', 'completed', NULL)")
    c.execute("INSERT INTO order_items VALUES ('O2', 1, 'P1', 4, 3.25, 0, 13.00)")  # Q1 4, R1 13
    # P̄0 = P0 = 10/3. volume = 1 · 10/3 = 3.333…; mix = 4·10/3 - 4·10/3 = 0; price = 13 - 40/3 = -0.333…
    # Down to cents: 3.33, 0.00, -0.34 = 2.99; the cent left goes to the largest remainder (price, 0.67): -0.33.
    f = _run(c, by="price_volume_mix").figures
    assert (f["volume_effect"], f["mix_effect"], f["price_effect"]) == (Decimal("3.33"), 0, Decimal("-0.33"))
    assert f["volume_effect"] + f["mix_effect"] + f["price_effect"] == f["change"] == Decimal("3.00")


def test_largest_remainder_cents():
    parts = {"a": Fraction(1, 3), "b": Fraction(1, 3), "c": Fraction(1, 3)}
    assert largest_remainder_cents(parts, Decimal("1.00")) == {
        "a": Decimal("0.34"),
        "b": Decimal("0.33"),
        "c": Decimal("0.33"),
    }
    # Negative parts: -1/3 each; floors -0.34 ×3 = -1.02, two cents left over go to the first two.
    neg = largest_remainder_cents({k: -v for k, v in parts.items()}, Decimal("-1.00"))
    assert neg == {"a": Decimal("-0.33"), "b": Decimal("-0.33"), "c": Decimal("-0.34")}
    with pytest.raises(ValueError):
        largest_remainder_cents(parts, Decimal("0.99"))


def test_filters_apply_to_both_periods(con):
    # 华东 only: C1 +18, C2 -30.
    res = _run(con, region="华东")
    assert (res.figures["base_value"], res.figures["change"]) == (200, -12)
    assert _contrib(res) == {"new": 0, "lost": 0, "grew": 18, "shrank": -30, "unchanged": 0}
    # Category A lines only: C1 100 -> 108, C2 50 -> 20; C3 bought only B, so it is in neither period.
    res = _run(con, category=["A"])
    assert _contrib(res) == {"new": 0, "lost": 0, "grew": 8, "shrank": -30, "unchanged": 0}
    assert res.figures["customers_by_group"]["lost"] == 0
    # Customers by id.
    assert _run(con, customer_ids=["C3", "C4"]).figures["change"] == -10


def test_periods():
    def p(**kw):
        r = periods(DriversArgs(**kw), kw.pop("as_of", AS_OF))
        return r.current, r.base, r.rule_en

    # Default: the quarter of the reference date to date; a whole quarter against the previous one.
    assert p() == ((D(2025, 4, 1), AS_OF), (D(2025, 1, 1), D(2025, 3, 31)), "the previous calendar quarter")
    # Quarter to date: the same days of the previous quarter.
    cur, base, rule = p(as_of=D(2025, 5, 15))
    assert (cur, base) == ((D(2025, 4, 1), D(2025, 5, 15)), (D(2025, 1, 1), D(2025, 2, 15))) and "same days" in rule
    # A whole month (the smallest unit that starts at start and holds end): the previous month, to its last day.
    assert p(start=D(2025, 3, 1), end=D(2025, 3, 31))[1] == (D(2025, 2, 1), D(2025, 2, 28))
    assert p(start=D(2024, 3, 1), end=D(2024, 3, 30))[1] == (D(2024, 2, 1), D(2024, 2, 29))  # month to date, leap year
    # A year; a half-year to date (Jan 1..Apr 15 is inside no month or quarter); a year to date.
    assert p(start=D(2025, 1, 1), end=D(2025, 12, 31))[1] == (D(2024, 1, 1), D(2024, 12, 31))
    assert p(start=D(2025, 1, 1), end=D(2025, 4, 15))[1] == (D(2024, 7, 1), D(2024, 10, 15))
    assert p(start=D(2025, 1, 1), end=D(2025, 8, 15))[1] == (D(2024, 1, 1), D(2024, 8, 15))
    # No calendar unit: the 16 days just before.
    cur, base, rule = p(start=D(2025, 3, 5), end=D(2025, 3, 20))
    assert base == (D(2025, 2, 17), D(2025, 3, 4)) and "16 days" in rule
    # The same period last year: a month's last day stays one.
    assert p(start=D(2024, 2, 1), end=D(2024, 2, 29), compare="same_period_last_year")[1] == (
        D(2023, 2, 1),
        D(2023, 2, 28),
    )
    # An explicit grain: the month of the reference date against the previous month; the year to date; Oct 1..30
    # alone looks like a month, as this quarter to date it compares with the same days of Q3.
    assert p(period_grain="month")[:2] == ((D(2025, 6, 1), AS_OF), (D(2025, 5, 1), D(2025, 5, 31)))
    assert p(period_grain="year", end=D(2025, 6, 30))[1] == (D(2024, 1, 1), D(2024, 6, 30))
    assert p(start=D(2026, 10, 1), end=D(2026, 10, 30))[1] == (D(2026, 9, 1), D(2026, 9, 30))
    assert p(start=D(2026, 10, 1), end=D(2026, 10, 30), period_grain="quarter")[1] == (D(2026, 7, 1), D(2026, 7, 30))
    # A grain the start is not aligned to: the span just before.
    assert p(start=D(2025, 2, 1), end=D(2025, 2, 28), period_grain="quarter")[1] == (D(2025, 1, 4), D(2025, 1, 31))


def test_bilingual_errors(con):
    # The base period has no completed orders: name it and say what to change.
    with pytest.raises(InputError) as exc:
        _run(con, start=D(2024, 10, 1), end=D(2024, 12, 31))  # base Q3 2024: nothing
    assert "2024-07-01" in exc.value.zh and "基期" in exc.value.zh and "compare" in exc.value.zh
    assert "base period 2024-07-01" in exc.value.en and "Choose another period" in exc.value.en
    # Only in a filter: the channel 门店 sold only in the current period.
    with pytest.raises(InputError, match="no completed orders in these filters"):
        _run(con, channel=["门店"])
    with pytest.raises(InputError) as exc:
        _run(con, metric="orders", by="product")
    assert "订单数不能按产品拆分" in exc.value.zh and "by=customer_group" in exc.value.en
    with pytest.raises(InputError) as exc:
        _run(con, metric="gross_profit", by="price_volume_mix")
    assert "只适用于销售额" in exc.value.zh and "metric=revenue" in exc.value.zh and "revenue only" in exc.value.en
    with pytest.raises(InputError, match="overlaps"):
        _run(con, start=D(2024, 1, 1), compare="same_period_last_year")
    with pytest.raises(InputError, match="after end date"):
        _run(con, start=D(2025, 7, 1), end=D(2025, 6, 1))
    with pytest.raises(InputError) as exc:
        DriversArgs(by="weekday")
    assert "by" in exc.value.zh and "customer_group" in exc.value.en


# ---- the sample warehouse against plain SQL ---------------------------------------------------------------

PLAIN = {
    "revenue": "sum(oi.amount)",
    "orders": "count(DISTINCT o.order_id)",
    "customers": "count(DISTINCT o.customer_id)",
    "gross_profit": "coalesce(sum(oi.amount - oi.quantity * p.unit_cost), 0)",
}


def _plain(con: duckdb.DuckDBPyConnection, metric: str, key: str, lo: dt.date, hi: dt.date) -> dict[Any, Any]:
    """The metric per key over completed orders between lo and hi, written plainly."""
    rows = con.execute(
        f"""SELECT {key} AS k, {PLAIN[metric]}
        FROM orders o JOIN order_items oi ON oi.order_id = o.order_id
        JOIN customers c ON c.customer_id = o.customer_id
        LEFT JOIN products p ON p.product_id = oi.product_id
        WHERE o.status = 'completed' AND o.order_date BETWEEN ? AND ?
        GROUP BY ALL""",
        [lo, hi],
    ).fetchall()
    return dict(rows)


@pytest.mark.parametrize(
    ("metric", "by", "key"),
    [
        ("revenue", "region", "c.region"),
        ("revenue", "rep", "c.rep_id"),
        ("revenue", "category", "p.category"),
        ("revenue", "product", "oi.product_id"),
        ("gross_profit", "category", "p.category"),
        ("orders", "region", "c.region"),
        ("customers", "rep", "c.rep_id"),
        ("revenue", "customer", "o.customer_id"),
        ("orders", "customer", "o.customer_id"),
    ],
)
def test_against_plain_sql(sample_con, metric, by, key):
    res = change_drivers(sample_con, DriversArgs(metric=metric, by=by, limit=100_000))
    f = res.figures
    base = _plain(sample_con, metric, key, f["base_start"], f["base_end"])
    cur = _plain(sample_con, metric, key, f["current_start"], f["current_end"])
    got = {r[0]: (r[-4], r[-3], r[-2]) for r in res.rows}
    want = {k: (base.get(k, 0), cur.get(k, 0), cur.get(k, 0) - base.get(k, 0)) for k in base.keys() | cur.keys()}
    assert got == want
    total = _plain(sample_con, metric, "1", f["base_start"], f["base_end"]).get(1, 0)
    assert f["base_value"] == total
    _adds_up(res)


@pytest.mark.parametrize("metric", ["revenue", "orders", "customers", "gross_profit"])
def test_customer_groups_against_plain_sql(sample_con, metric):
    # H1 2026, a calendar half-year: against H2 2025.
    res = change_drivers(sample_con, DriversArgs(metric=metric, start=D(2026, 1, 1), end=D(2026, 6, 30)))
    f = res.figures
    assert (f["base_start"], f["base_end"]) == (D(2025, 7, 1), D(2025, 12, 31))
    base = _plain(sample_con, metric, "o.customer_id", f["base_start"], f["base_end"])
    cur = _plain(sample_con, metric, "o.customer_id", f["current_start"], f["current_end"])
    want: dict[str, Any] = {}
    for cid in base.keys() | cur.keys():
        b, c = base.get(cid, 0), cur.get(cid, 0)
        grp = (
            "new"
            if cid not in base
            else "lost"
            if cid not in cur
            else "grew"
            if c > b
            else "shrank"
            if c < b
            else "unchanged"
        )
        want[grp] = want.get(grp, 0) + c - b
    assert {k: v for k, v in _contrib(res).items() if k in want} == want
    _adds_up(res)


def test_price_volume_mix_against_plain_sql(sample_con):
    res = change_drivers(sample_con, DriversArgs(by="price_volume_mix", compare="same_period_last_year"))
    f = res.figures
    rows = sample_con.execute(
        """SELECT oi.product_id,
                  sum(oi.amount) FILTER (WHERE o.order_date BETWEEN $b0 AND $b1),
                  sum(oi.quantity) FILTER (WHERE o.order_date BETWEEN $b0 AND $b1),
                  sum(oi.amount) FILTER (WHERE o.order_date BETWEEN $c0 AND $c1),
                  sum(oi.quantity) FILTER (WHERE o.order_date BETWEEN $c0 AND $c1)
           FROM orders o JOIN order_items oi ON oi.order_id = o.order_id
           WHERE o.status = 'completed' GROUP BY 1""",
        {"b0": f["base_start"], "b1": f["base_end"], "c0": f["current_start"], "c1": f["current_end"]},
    ).fetchall()
    r0 = sum(Fraction(r[1] or 0) for r in rows)
    q0 = sum(r[2] or 0 for r in rows)
    q1 = sum(r[4] or 0 for r in rows)
    p0 = {r[0]: Fraction(r[1]) / r[2] if r[2] else Fraction(r[3]) / r[4] for r in rows if r[2] or r[4]}
    price = sum(Fraction(r[3]) - r[4] * p0[r[0]] for r in rows if r[4])
    volume = (q1 - q0) * r0 / q0
    for got, exact in ((f["price_effect"], price), (f["volume_effect"], volume)):
        assert abs(Fraction(got) - exact) <= Fraction(1, 100)
    assert f["price_effect"] + f["volume_effect"] + f["mix_effect"] == f["change"]
    assert f["change"] == f["current_revenue"] - f["base_revenue"]


def test_sample_default_smoke(sample_con):
    res = change_drivers(sample_con, DriversArgs())
    assert res.figures["top_drivers"] and len(res.figures["top_drivers"]) == 3
    assert res.as_of == sample_con.execute("SELECT max(order_date) FROM orders").fetchone()[0]
    _adds_up(res)
