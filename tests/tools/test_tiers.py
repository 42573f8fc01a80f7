"""tiers (tiers, ABC, Pareto) on ten hand-built customers; expectations computed by hand in the comments."""

from __future__ import annotations

import datetime as dt
import itertools

import duckdb
import pytest
from pydantic import ValidationError

from assistant.core.errors import InputError
from tools.base import REGISTRY
from tools.tiers import TiersArgs, tiers

D = dt.date
ASOF = D(2025, 6, 30)
# Revenues, total 1000. C01..C05 华东, C06..C10 华北. C03 and C04 tie at 100.
REVENUE = {
    "C01": 400,
    "C02": 200,
    "C03": 100,
    "C04": 100,
    "C05": 60,
    "C06": 50,
    "C07": 40,
    "C08": 30,
    "C09": 15,
    "C10": 5,
}


def build(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO products VALUES ('PA', 'pa', 'A', 1, 0.5, NULL), ('PB', 'pb', 'B', 1, 0.5, NULL)")
    for i, (cid, rev) in enumerate(REVENUE.items()):
        region = "华东" if i < 5 else "华北"
        con.execute(
            "INSERT INTO customers VALUES (?, ?, ?, '上海', '制造', '中型', '线上', '2024-01-01', NULL, NULL)",
            [cid, cid, region],
        )
        channel = "门店" if cid == "C10" else "线上"
        con.execute("INSERT INTO orders VALUES (?, ?, '2025-03-01', ?, 'completed', NULL)", [f"O{cid}", cid, channel])
        if cid == "C01":  # two lines: 300 in category A, 100 in category B
            con.execute(
                "INSERT INTO order_items VALUES ('OC01', 1, 'PA', 1, 300, 0, 300), ('OC01', 2, 'PB', 1, 100, 0, 100)"
            )
        else:
            con.execute("INSERT INTO order_items VALUES (?, 1, 'PA', 1, ?, 0, ?)", [f"O{cid}", rev, rev])
        # a returned order that must not count
        con.execute("INSERT INTO orders VALUES (?, ?, '2025-04-01', '线上', 'returned', NULL)", [f"R{cid}", cid])
        con.execute("INSERT INTO order_items VALUES (?, 1, 'PA', 1, 1000, 0, 1000)", [f"R{cid}"])
    # C11 never bought: not in the population
    con.execute(
        "INSERT INTO customers VALUES ('C11', 'x', '华东', '上海', '制造', '中型', '线上', '2024-01-01', NULL, NULL)"
    )


@pytest.fixture
def con(empty_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    build(empty_con)
    return empty_con


def per_customer(con: duckdb.DuckDBPyConnection, **kw: object) -> dict[str, dict[str, object]]:
    res = tiers(con, TiersArgs(by="customer", as_of=ASOF, **kw))
    return {r["customer_id"]: r for r in res.records()}


def test_registered() -> None:
    assert REGISTRY["tiers"].args_model is TiersArgs


def test_tiers_abc_per_customer(con: duckdb.DuckDBPyConnection) -> None:
    rows = per_customer(con)
    # n = 10: strategic (rank-1) < 0.5 -> rank 1 (C01); key (rank-1) < 2 -> rank 2 (C02); the rest regular
    assert {c: r["tier_en"] for c, r in rows.items() if r["tier_en"] != "Regular"} == {"C01": "Strategic", "C02": "Key"}
    assert rows["C01"]["tier_zh"] == "战略客户"
    # ABC, cumulative before each: C01 0, C02 400, C03 600 -> A (C03 ends exactly at 70%: A);
    # C04 starts exactly at 70% -> B; C05 800, C06 860 -> B; C07 starts at 910 >= 900 -> C
    assert {c: r["abc_class"] for c, r in rows.items()} == {
        "C01": "A", "C02": "A", "C03": "A", "C04": "B", "C05": "B", "C06": "B",
        "C07": "C", "C08": "C", "C09": "C", "C10": "C",
    }  # fmt: skip
    assert (rows["C04"]["revenue_rank"], rows["C03"]["revenue_rank"], rows["C05"]["revenue_rank"]) == (3, 3, 5)
    assert rows["C04"]["revenue_share"] == 0.1 and rows["C04"]["cum_share"] == 0.8
    assert "C11" not in rows
    res = tiers(con, TiersArgs(by="customer", as_of=ASOF))
    assert res.columns[0] == "customer_id" and [r[0] for r in res.rows][:3] == ["C01", "C02", "C03"]


def test_segment_views(con: duckdb.DuckDBPyConnection) -> None:
    res = tiers(con, TiersArgs(as_of=ASOF))
    t = {r["tier_en"]: r for r in res.records()}
    assert {k: (v["customers"], v["revenue"]) for k, v in t.items()} == {
        "Strategic": (1, 400.0),
        "Key": (1, 200.0),
        "Regular": (8, 400.0),
    }
    assert t["Regular"]["revenue_share"] == 0.4 and t["Regular"]["mean_revenue"] == 50
    assert (t["Regular"]["min_revenue"], t["Regular"]["max_revenue"]) == (5, 100)
    # Pareto: top ceil(0.2 x 10) = 2 customers: 600 / 1000
    assert res.figures["pareto_top_customers"] == 2 and res.figures["pareto_top_revenue_share"] == 0.6
    assert res.figures["abc_customers"] == {"A": 3, "B": 3, "C": 4}
    assert res.figures["abc_revenue_share"] == {"A": 0.7, "B": 0.21, "C": 0.09}
    res = tiers(con, TiersArgs(as_of=ASOF, view="pareto"))
    # cumulative revenue after 1..10 customers: 400 600 700 800 860 910 950 980 995 1000
    assert [r[3] for r in res.rows] == [0.4, 0.6, 0.7, 0.8, 0.86, 0.91, 0.95, 0.98, 0.995, 1.0]
    assert [r[0] for r in res.rows] == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert res.chart is not None and res.chart.kind == "line"
    res = tiers(con, TiersArgs(as_of=ASOF, view="abc"))
    assert [(r[0], r[3], r[6]) for r in res.rows] == [("A", 3, 0.7), ("B", 3, 0.21), ("C", 4, 0.09)]
    assert sum(r[6] for r in res.rows) == pytest.approx(1)


def test_ties_share_a_tier(con: duckdb.DuckDBPyConnection) -> None:
    # key_share 0.25: strategic + key = 0.3 -> (rank-1) < 3 -> ranks 1..3; C03 and C04 share rank 3 -> both key
    rows = per_customer(con, key_share=0.25)
    assert sorted(c for c, r in rows.items() if r["tier_en"] == "Key") == ["C02", "C03", "C04"]


def test_filters(con: duckdb.DuckDBPyConnection) -> None:
    # 华北: C06 50, C07 40, C08 30, C09 15, C10 5 (140). n = 5: strategic (rank-1) < 0.25 -> C06;
    # key (rank-1) < 1.0 -> nobody more. ABC: before C07 50/140 = 35.7%, before C08 64.3% -> A;
    # before C09 120/140 = 85.7% -> B; before C10 96.4% -> C
    rows = per_customer(con, region="华北")
    assert {c: (r["tier_en"], r["abc_class"]) for c, r in rows.items()} == {
        "C06": ("Strategic", "A"),
        "C07": ("Regular", "A"),
        "C08": ("Regular", "A"),
        "C09": ("Regular", "B"),
        "C10": ("Regular", "C"),
    }
    res = tiers(con, TiersArgs(as_of=ASOF, region="华北"))
    assert res.figures["tier_customers"] == {"strategic": 1, "key": 0, "regular": 4}
    # category B: only C01's 100 line; one customer: strategic, A, top ceil(0.2) = 1 customer holds 100%
    res = tiers(con, TiersArgs(as_of=ASOF, category=["B"]))
    assert res.figures["revenue"] == 100 and res.figures["pareto_top_revenue_share"] == 1.0
    assert res.figures["tier_customers"]["strategic"] == 1
    assert set(per_customer(con, channel=["门店"])) == {"C10"}
    assert per_customer(con, start=D(2025, 3, 2)) == {}  # the completed orders are all on 2025-03-01
    assert set(per_customer(con, end=D(2025, 3, 1), city="上海", industry="制造", size="中型")) == set(REVENUE)
    assert per_customer(con, rep_id=["nobody"]) == {}


def test_customer_ids_report_only(con: duckdb.DuckDBPyConnection) -> None:
    rows = per_customer(con, customer_ids=["C04", "C01"])
    assert {c: (r["tier_en"], r["abc_class"], r["revenue_rank"]) for c, r in rows.items()} == {
        "C01": ("Strategic", "A", 1),
        "C04": ("Regular", "B", 3),
    }
    res = tiers(con, TiersArgs(as_of=ASOF, customer_ids=["C04", "C01"]))
    t = {r["tier_en"]: r for r in res.records()}
    # shares among the reported customers (500); the Pareto figure stays the population's
    assert t["Strategic"]["revenue_share"] == 0.8 and res.figures["pareto_top_revenue_share"] == 0.6


def test_limit(con: duckdb.DuckDBPyConnection) -> None:
    res = tiers(con, TiersArgs(by="customer", as_of=ASOF, limit=3))
    assert len(res.rows) == 3 and res.figures["truncated"] is True and res.figures["customers"] == 10


def test_empty(empty_con: duckdb.DuckDBPyConnection) -> None:
    res = tiers(empty_con, TiersArgs(as_of=ASOF))
    assert res.figures["customers"] == 0 and [r[4] for r in res.rows] == [0, 0, 0] and res.notes
    assert tiers(empty_con, TiersArgs(as_of=ASOF, view="pareto")).rows == []


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="strategic_share"):
        TiersArgs(strategic_share=0.6, key_share=0.5)
    with pytest.raises(InputError, match="abc_a_share"):
        TiersArgs(abc_a_share=0.9, abc_b_share=0.8)
    with pytest.raises(ValidationError, match="view"):
        TiersArgs.model_validate({"view": "xyz"})
    with pytest.raises(ValidationError, match="pareto_top_share"):
        TiersArgs.model_validate({"pareto_top_share": 0})


def test_sample_invariants(sample_con: duckdb.DuckDBPyConnection) -> None:
    res = tiers(sample_con, TiersArgs(by="customer", limit=1_000_000))
    ids = [r[0] for r in res.rows]
    n, total = sample_con.execute(
        """SELECT count(DISTINCT o.customer_id), sum(i.amount) FROM orders o JOIN order_items i USING (order_id)
        WHERE o.status = 'completed'"""
    ).fetchone()
    assert len(ids) == len(set(ids)) == n
    assert sum(r[1] for r in res.rows) == pytest.approx(float(total))
    seg = tiers(sample_con, TiersArgs())
    assert sum(r[4] for r in seg.rows) == n
    assert sum(r[7] for r in seg.rows) == pytest.approx(1, abs=1e-5)
    # strategic = ceil(5% of n) customers when revenues have no ties at the boundary
    assert seg.figures["tier_customers"]["strategic"] == -(-n * 5 // 100)
    curve = seg.figures["pareto_curve"]
    assert curve[-1][1] == 1.0 and all(a[1] <= b[1] for a, b in itertools.pairwise(curve))
    assert seg.figures["abc_revenue_share"]["A"] >= 0.7


def test_order_level_path_equals_line_level_path(sample_con: duckdb.DuckDBPyConnection) -> None:
    cats = [r[0] for r in sample_con.execute("SELECT DISTINCT category FROM products").fetchall()]
    fast = tiers(sample_con, TiersArgs(by="customer", limit=1_000_000, region=["华东", "华北"]))
    slow = tiers(sample_con, TiersArgs(by="customer", limit=1_000_000, region=["华东", "华北"], category=cats))
    assert fast.rows == slow.rows and len(fast.rows) > 20


@pytest.mark.parametrize(
    ("n", "strategic", "key"), [(1, 0.05, 0.15), (7, 0.05, 0.15), (20, 0.05, 0.15), (40, 0.1, 0.3), (33, 0.5, 0.5)]
)
def test_tiers_equal_rank_rule_with_ties(
    empty_con: duckdb.DuckDBPyConnection, n: int, strategic: float, key: float
) -> None:
    # Tiers come from the revenue at position ceil(share × n) rather than a RANK() sort; they must equal the
    # documented rule (rank − 1)/n < share with RANK() by revenue descending (ties share a rank), in Python.
    from decimal import Decimal

    empty_con.execute("INSERT INTO products VALUES ('PA', 'pa', 'A', 1, 0.5, NULL)")
    revenue = {f"T{i:02d}": [50, 50, 20, 20, 20, 10, 5][i % 7] * (1 + i % 3) for i in range(n)}
    for cid, rev in revenue.items():
        empty_con.execute(
            "INSERT INTO customers VALUES (?, ?, '华东', '上海', '制造', '中型', '线上', '2024-01-01', NULL, NULL)",
            [cid, cid],
        )
        empty_con.execute("INSERT INTO orders VALUES (?, ?, '2025-03-01', '线上', 'completed', NULL)", [cid, cid])
        empty_con.execute("INSERT INTO order_items VALUES (?, 1, 'PA', 1, ?, 0, ?)", [cid, rev, rev])
    res = tiers(empty_con, TiersArgs(by="customer", as_of=ASOF, strategic_share=strategic, key_share=key))
    got = {r["customer_id"]: (r["tier_en"], r["revenue_rank"]) for r in res.records()}
    from tools.tiers import TIERS

    names = [t["en"] for t in TIERS]
    expected = {}
    for cid, rev in revenue.items():
        rank = 1 + sum(1 for v in revenue.values() if v > rev)
        if rank - 1 < Decimal(str(strategic)) * n:
            tier = names[0]
        elif rank - 1 < (Decimal(str(strategic)) + Decimal(str(key))) * n:
            tier = names[1]
        else:
            tier = names[2]
        expected[cid] = (tier, rank)
    assert got == expected
    # The segment table (no rank column computed) counts the same tiers.
    seg = tiers(empty_con, TiersArgs(as_of=ASOF, strategic_share=strategic, key_share=key))
    counts = {r["tier_en"]: r["customers"] for r in seg.records()}
    assert counts == {t: sum(1 for v in expected.values() if v[0] == t) for t in names}
