"""Product distribution on a hand-built table; expectations computed by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.core.errors import InputError
from tools.product_distribution import DistributionArgs, product_distribution

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def con(empty_con):
    c = empty_con
    c.execute("INSERT INTO products VALUES ('PA', 'a', 'A', 100, 50, NULL), ('PB', 'b', 'B', 50, 20, NULL)")
    for cid, region, city in (("C1", "华东", "上海"), ("C2", "华北", "北京")):
        c.execute(
            "INSERT INTO customers VALUES (?, ?, ?, ?, '制造', '小型', '线上', DATE '2024-01-01', NULL, NULL)",
            [cid, cid, region, city],
        )
    orders = [
        ("O1", "C1", "2025-01-15", "线上", "completed", [("PA", 2, 100, 0, 200)]),
        ("O2", "C1", "2025-04-10", "线上", "completed", [("PB", 1, 50, 0, 50), ("PA", 1, 100, 0, 100)]),
        ("O3", "C2", "2025-02-01", "线上", "completed", [("PA", 3, 100, 0.1, 270)]),
        ("O4", "C2", "2025-05-01", "线上", "returned", [("PB", 1, 50, 0, 50)]),
        ("O5", "C2", "2025-06-01", "门店", "completed", [("PB", 2, 50, 0, 100)]),
    ]
    for oid, cid, day, ch, st, lines in orders:
        c.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, NULL)", [oid, cid, day, ch, st])
        for i, (pid, q, p, d, a) in enumerate(lines, 1):
            c.execute("INSERT INTO order_items VALUES (?, ?, ?, ?, ?, ?, ?)", [oid, i, pid, q, p, d, a])
    return c


def _run(con, **kw):
    kw.setdefault("as_of", AS_OF)
    return product_distribution(con, DistributionArgs(**kw))


def _cells(res):
    return {(r[0], r[1]): r[2] for r in res.rows}


def test_by_region(con):
    res = _run(con, counts=True)
    # A 华东 200 + 100 = 300, A 华北 270, B 华东 50, B 华北 100 (the returned order is left out).
    assert _cells(res) == {("A", "华东"): 300, ("A", "华北"): 270, ("B", "华东"): 50, ("B", "华北"): 100}
    r = {(x["category"], x["region"]): x for x in res.records()}
    assert r[("A", "华东")]["quantity"] == 3 and r[("A", "华东")]["orders"] == 2
    assert r[("A", "华东")]["share_of_category"] == pytest.approx(300 / 570)
    assert r[("A", "华东")]["share_of_column"] == pytest.approx(300 / 350)
    assert r[("B", "华北")]["share_of_total"] == pytest.approx(100 / 720)
    assert res.figures["revenue"] == pytest.approx(720)
    assert res.figures["top_category"] == "A"
    assert res.figures["top_cell"] == {"category": "A", "region": "华东", "revenue": 300}
    assert "orders" not in _run(con).columns  # distinct counts only on request


def test_by_time(con):
    assert _cells(_run(con, dimension="quarter")) == {
        ("A", "2025-Q1"): 470,
        ("A", "2025-Q2"): 100,
        ("B", "2025-Q2"): 150,
    }
    assert _cells(_run(con, dimension="month")) == {
        ("A", "2025-01"): 200,
        ("A", "2025-02"): 270,
        ("A", "2025-04"): 100,
        ("B", "2025-04"): 50,
        ("B", "2025-06"): 100,
    }
    assert _cells(_run(con, dimension="city"))[("A", "上海")] == 300
    assert _cells(_run(con, dimension="channel")) == {("A", "线上"): 570, ("B", "线上"): 50, ("B", "门店"): 100}


@pytest.mark.parametrize(
    ("kw", "cells"),
    [
        ({"channel": ["门店"]}, {("B", "华北"): 100}),
        ({"category": ["A"]}, {("A", "华东"): 300, ("A", "华北"): 270}),
        ({"start": dt.date(2025, 4, 1)}, {("A", "华东"): 100, ("B", "华东"): 50, ("B", "华北"): 100}),
        ({"end": dt.date(2025, 1, 31)}, {("A", "华东"): 200}),
        ({"region": "华北", "industry": ["制造"], "size": ["小型"]}, {("A", "华北"): 270, ("B", "华北"): 100}),
        ({"customer_ids": ["C1"], "city": ["上海"]}, {("A", "华东"): 300, ("B", "华东"): 50}),
        ({"rep_id": ["R9"]}, {}),
    ],
)
def test_filters(con, kw, cells):
    assert _cells(_run(con, **kw)) == cells


def test_empty_and_bad_input(empty_con):
    res = product_distribution(empty_con, DistributionArgs(as_of=AS_OF))
    assert res.rows == [] and res.figures["revenue"] == 0 and res.figures["top_category"] is None
    with pytest.raises(InputError, match="dimension"):
        DistributionArgs(dimension="weekday")


def test_sample_invariants(sample_con):
    res = product_distribution(sample_con, DistributionArgs(dimension="quarter"))
    total = sample_con.execute(
        """SELECT sum(oi.amount)::DOUBLE FROM orders o JOIN order_items oi USING (order_id)
           WHERE o.status = 'completed' AND o.order_date <= $d""",
        {"d": res.as_of},
    ).fetchone()[0]
    assert res.figures["revenue"] == pytest.approx(total)
    assert sum(r["share_of_total"] for r in res.records()) == pytest.approx(1)
    by_cat: dict[str, float] = {}
    for r in res.records():
        by_cat[r["category"]] = by_cat.get(r["category"], 0) + r["share_of_category"]
    assert all(v == pytest.approx(1) for v in by_cat.values())


@pytest.mark.parametrize("dimension", ["region", "city", "channel", "month", "quarter"])
@pytest.mark.parametrize("kw", [{}, {"category": "$first"}, {"region": ["华东"]}, {"channel": ["线上"]}])
def test_two_stage_sums_agree_with_the_line_level_query(sample_con, dimension, kw):
    if kw.get("category") == "$first":
        kw = {"category": [sample_con.execute("SELECT min(category) FROM products").fetchone()[0]]}
    # Without counts the lines are summed per product and raw column value first; with counts the tool
    # groups the lines directly. Both must give the same cells.
    staged = product_distribution(sample_con, DistributionArgs(dimension=dimension, **kw))
    direct = product_distribution(sample_con, DistributionArgs(dimension=dimension, counts=True, **kw))
    assert [r[:4] for r in staged.rows] == [r[:4] for r in direct.rows]
    assert [x for r in staged.rows for x in r[4:]] == pytest.approx([x for r in direct.rows for x in r[6:]])
    assert staged.rows
