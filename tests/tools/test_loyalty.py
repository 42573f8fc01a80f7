"""Loyalty index on a hand-built table; expectations computed by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.core.errors import InputError
from tools.loyalty import LoyaltyArgs, loyalty

AS_OF = dt.date(2025, 6, 30)


def _customer(con, cid, region="华东"):
    con.execute(
        "INSERT INTO customers VALUES (?, ?, ?, '某市', '制造', '小型', '线上', DATE '2023-01-01', NULL, NULL)",
        [cid, cid, region],
    )


def _order(con, oid, cid, day, status="completed", channel="线上"):
    con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, NULL)", [oid, cid, day, channel, status])
    con.execute("INSERT INTO order_items VALUES (?, 1, 'P1', 1, 100, 0, 100)", [oid])


def _complaint(con, tid, cid, day="2025-03-01 10:00"):
    con.execute(
        "INSERT INTO tickets VALUES (?, ?, ?, NULL, 'complaint', '质量', NULL, '电话', '客服', NULL, 'open')",
        [tid, cid, day],
    )


@pytest.fixture
def con(empty_con):
    c = empty_con
    c.execute("INSERT INTO products VALUES ('P1', 'p', 'A', 10, 5, NULL)")
    for cid, region in (("L1", "华东"), ("L2", "华北"), ("L3", "华东"), ("L4", "华东")):
        _customer(c, cid, region)
    # L1: 3 orders, last 06-20 (10 days), first 2024-01-10 (537 days), 3 of 18 months; NPS 10; no complaints.
    _order(c, "O1", "L1", "2024-01-10")
    _order(c, "O2", "L1", "2024-06-10")
    _order(c, "O3", "L1", "2025-06-20")
    c.execute("INSERT INTO surveys VALUES ('S1', 'L1', DATE '2025-05-01', 10, 5, 2, NULL)")
    # L2: 2 orders, last 03-05 (117 days), first 01-05 (176 days), 2 of 6 months; NPS 4; 2 complaints.
    _order(c, "O4", "L2", "2025-01-05")
    _order(c, "O5", "L2", "2025-03-05")
    _order(c, "O6", "L2", "2025-06-29", status="cancelled")
    c.execute("INSERT INTO surveys VALUES ('S2', 'L2', DATE '2025-05-01', 4, 2, 5, NULL)")
    _complaint(c, "T1", "L2")
    _complaint(c, "T2", "L2")
    # L3: 1 order 06-01 (29 days, tenure 29), 1 of 1 month; no survey (0.5); 1 complaint.
    _order(c, "O7", "L3", "2025-06-01")
    _complaint(c, "T3", "L3")
    # L4 never bought: not scored.
    c.execute("INSERT INTO surveys VALUES ('S4', 'L4', DATE '2025-05-01', 0, 1, 7, NULL)")
    return c


def _run(con, **kw):
    kw.setdefault("as_of", AS_OF)
    return loyalty(con, LoyaltyArgs(**kw))


def test_index_per_customer(con):
    res = _run(con, by="customer")
    r = {x["customer_id"]: x for x in res.records()}
    assert set(r) == {"L1", "L2", "L3"}
    assert res.columns[0] == "customer_id"
    assert (r["L1"]["recency_days"], r["L1"]["tenure_days"]) == (10, 537)
    assert r["L1"]["repeat_share"] == pytest.approx(3 / 18)
    assert r["L2"]["repeat_share"] == pytest.approx(2 / 6)
    # Three distinct values per component -> 0, 0.5, 1 in the better direction.
    assert (r["L3"]["s_frequency"], r["L2"]["s_frequency"], r["L1"]["s_frequency"]) == (0, 0.5, 1)
    assert (r["L2"]["s_recency"], r["L3"]["s_recency"], r["L1"]["s_recency"]) == (0, 0.5, 1)
    assert (r["L1"]["s_repeat"], r["L2"]["s_repeat"], r["L3"]["s_repeat"]) == (0, 0.5, 1)
    assert (r["L2"]["s_satisfaction"], r["L3"]["s_satisfaction"], r["L1"]["s_satisfaction"]) == (0, 0.5, 1)
    assert (r["L2"]["s_complaints"], r["L3"]["s_complaints"], r["L1"]["s_complaints"]) == (0, 0.5, 1)
    # L1 = 100 × (.25 + .20 + .15 + 0 + .15 + .10) = 85
    # L2 = 100 × (.25×.5 + 0 + .15×.5 + .15×.5 + 0 + 0) = 27.5
    # L3 = 100 × (0 + .20×.5 + 0 + .15 + .15×.5 + .10×.5) = 37.5
    assert r["L1"]["loyalty_index"] == pytest.approx(85)
    assert r["L2"]["loyalty_index"] == pytest.approx(27.5)
    assert r["L3"]["loyalty_index"] == pytest.approx(37.5)
    assert r["L1"]["points_frequency"] == pytest.approx(25)
    assert (r["L1"]["band_zh"], r["L2"]["band_en"]) == ("高忠诚", "Low loyalty")
    assert [x[0] for x in res.rows] == ["L1", "L3", "L2"]


def test_bands_summary(con):
    res = _run(con)
    rows = {r["band_en"]: r for r in res.records()}
    assert rows["High loyalty"]["customers"] == 1
    assert rows["Low loyalty"]["customers"] == 2
    assert rows["Low loyalty"]["mean_index"] == pytest.approx(32.5)
    assert rows["Low loyalty"]["share"] == pytest.approx(2 / 3)
    assert res.figures["customers"] == 3
    assert res.figures["mean_index"] == pytest.approx(50)  # (85 + 27.5 + 37.5) / 3
    assert {d.name for d in res.definitions} >= {"weight_frequency", "loyalty_index", "bands"}


def test_group_by_region_and_filter(con):
    rows = {r["region"]: r for r in _run(con, group="region").records()}
    assert rows["华东"]["customers"] == 2 and rows["华北"]["customers"] == 1
    # Only 华东: L1 and L3 rescored among themselves -> each component 0 or 1
    # (satisfaction: L1 alone answered -> 0.5; L3 missing -> 0.5).
    r = {x["customer_id"]: x for x in _run(con, region=["华东"], by="customer").records()}
    # L1: .25 + .20 + .15 + 0 + .15×.5 + .10 = 0.775; L3: 0 + 0 + 0 + .15 + .075 + 0 = 0.225
    assert r["L1"]["loyalty_index"] == pytest.approx(77.5)
    assert r["L3"]["loyalty_index"] == pytest.approx(22.5)


def test_weights_override(con):
    only_freq = {"frequency": 1, "recency": 0, "tenure": 0, "repeat": 0, "satisfaction": 0, "complaints": 0}
    r = {x["customer_id"]: x["loyalty_index"] for x in _run(con, by="customer", weights=only_freq).records()}
    assert r == pytest.approx({"L1": 100, "L2": 50, "L3": 0})
    # Weights are normalised: doubling all gives the same index.
    doubled = {k: 2 * v for k, v in {"frequency": 0.25, "recency": 0.2, "tenure": 0.15}.items()}
    res = _run(con, by="customer", weights=doubled)
    w = {d.name: d.value for d in res.definitions}
    assert sum(
        w[f"weight_{k}"] for k in ("frequency", "recency", "tenure", "repeat", "satisfaction", "complaints")
    ) == pytest.approx(1)


def test_single_customer_and_ties(empty_con):
    c = empty_con
    c.execute("INSERT INTO products VALUES ('P1', 'p', 'A', 10, 5, NULL)")
    _customer(c, "X1")
    _order(c, "X1-1", "X1", "2025-06-01")
    # A lone customer gets 0.5 on every component -> 50.
    assert _run(c, by="customer").rows[0][2] == pytest.approx(50)
    _customer(c, "X2")
    _customer(c, "X3")
    _order(c, "X2-1", "X2", "2025-06-01")
    _order(c, "X3-1", "X3", "2025-05-01")
    _order(c, "X3-2", "X3", "2025-05-02")
    r = {x["customer_id"]: x for x in _run(c, by="customer").records()}
    # Frequency 1, 1, 2: ranks 1, 1, 3; rows ≤ value 2, 2, 3 -> tied ((1-1) + (2-1)) / 4 = 0.25, top 1.
    assert r["X1"]["s_frequency"] == pytest.approx(0.25)
    assert r["X2"]["s_frequency"] == pytest.approx(0.25)
    assert r["X3"]["s_frequency"] == pytest.approx(1)
    # Nobody complained: all tied -> 0.5.
    assert r["X1"]["s_complaints"] == pytest.approx(0.5)


def test_period_and_channel(con):
    # From 2025-01-01: L1 has one order (06-20), tenure 10 days; L2 two, L3 one.
    r = {x["customer_id"]: x for x in _run(con, start=dt.date(2025, 1, 1), by="customer").records()}
    assert r["L1"]["frequency"] == 1 and r["L1"]["tenure_days"] == 10
    assert _run(con, channel=["门店"]).figures["customers"] == 0
    # Category filter: orders are read through their lines. Everything is category A.
    assert _run(con, category=["B"]).figures["customers"] == 0
    by_a = {x["customer_id"]: x["loyalty_index"] for x in _run(con, category="A", by="customer").records()}
    assert by_a == pytest.approx({"L1": 85, "L2": 27.5, "L3": 37.5})


def test_empty(empty_con):
    res = loyalty(empty_con, LoyaltyArgs(as_of=AS_OF))
    assert res.rows == [] and res.figures["customers"] == 0


@pytest.mark.parametrize(
    ("kw", "what"),
    [
        ({"weights": {"colour": 1}}, "colour"),
        ({"weights": {"frequency": -1}}, "negative"),
        (
            {"weights": dict.fromkeys(("frequency", "recency", "tenure", "repeat", "satisfaction", "complaints"), 0)},
            "more than 0",
        ),
        ({"group": "planet"}, "group"),
        ({"limit": 0, "by": "customer"}, "limit"),
    ],
)
def test_bad_input(con, kw, what):
    with pytest.raises(InputError, match=what):
        _run(con, **kw)


def test_sample_invariants(sample_con):
    per = loyalty(sample_con, LoyaltyArgs(by="customer"))
    ids = [r[0] for r in per.rows]
    assert len(ids) == len(set(ids))
    buyers = sample_con.execute(
        "SELECT count(DISTINCT customer_id) FROM orders WHERE status = 'completed' AND order_date <= $d",
        {"d": per.as_of},
    ).fetchone()[0]
    assert len(ids) == buyers
    assert all(0 <= r["loyalty_index"] <= 100 for r in per.records())
    summary = loyalty(sample_con, LoyaltyArgs())
    assert sum(r["customers"] for r in summary.records()) == buyers
    assert sum(r["share"] for r in summary.records()) == pytest.approx(1)


def test_customer_list_is_limited_but_figures_cover_everyone(sample_con):
    full = loyalty(sample_con, LoyaltyArgs(by="customer", limit=None))
    top = loyalty(sample_con, LoyaltyArgs(by="customer", limit=5))
    assert len(top.rows) == 5 and top.figures["listed"] == 5
    assert top.rows == full.rows[:5]
    assert top.figures["customers"] == full.figures["customers"] == len(full.rows)
    assert top.figures["mean_index"] == pytest.approx(full.figures["mean_index"])
    assert full.figures["mean_index"] == pytest.approx(sum(r["loyalty_index"] for r in full.records()) / len(full.rows))
    assert LoyaltyArgs().limit == 1000
