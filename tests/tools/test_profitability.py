"""Customer profitability on a hand-built table; every expectation is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.core.errors import InputError
from tools.profitability import ProfitabilityArgs, profitability

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def con(empty_con):
    c = empty_con
    c.execute("INSERT INTO sales_reps VALUES ('R1', '王', '华东', 'A', DATE '2020-01-01')")
    c.execute("INSERT INTO products VALUES ('P1', '甲', 'A', 100, 6, NULL), ('P2', '乙', 'B', 200, NULL, NULL)")
    c.execute(
        """INSERT INTO customers VALUES
        ('C1', '一号', '华东', '上海', '制造', '小型', '线上', DATE '2024-01-01', 'R1', 1000),
        ('C2', '二号', '华北', '北京', '零售', '中型', '展会', DATE '2024-01-01', NULL, 1000),
        ('C3', '三号', '华东', '杭州', '零售', '小型', '线上', DATE '2024-01-01', NULL, NULL),
        ('C4', '四号', '华南', '广州', '零售', '小型', '线上', DATE '2024-01-01', NULL, NULL)"""
    )
    c.execute(
        """INSERT INTO orders VALUES
        ('O1', 'C1', DATE '2025-03-01', '线上', 'completed', 'R1'),
        ('O2', 'C1', DATE '2025-05-01', '门店', 'completed', 'R1'),
        ('O3', 'C1', DATE '2025-05-02', '线上', 'returned', 'R1'),
        ('O4', 'C2', DATE '2025-06-01', '线上', 'completed', NULL),
        ('O5', 'C2', DATE '2025-07-05', '线上', 'completed', NULL)"""
    )
    c.execute(
        """INSERT INTO order_items VALUES
        ('O1', 1, 'P1', 10, 100, 0, 1000),   -- cogs 10 × 6 = 60
        ('O2', 1, 'P1', 5, 100, 0, 500),     -- cogs 30
        ('O2', 2, 'P2', 1, 250, 0.2, 200),   -- no unit cost: cogs 0
        ('O3', 1, 'P1', 100, 100, 0, 10000), -- returned: not revenue
        ('O4', 1, 'P1', 1, 100, 0, 100),     -- cogs 6
        ('O5', 1, 'P1', 1, 100, 0, 100)      -- after as_of"""
    )
    c.execute(
        """INSERT INTO tickets VALUES
        ('T1', 'C1', TIMESTAMP '2025-04-01 10:00', TIMESTAMP '2025-04-02 10:00', 'complaint', '质量', 'P1', '电话', '客服', NULL, 'resolved'),
        ('T2', 'C1', TIMESTAMP '2025-06-30 23:00', NULL, 'inquiry', '价格', NULL, '电话', '客服', NULL, 'open'),
        ('T3', 'C2', TIMESTAMP '2025-02-01 09:00', TIMESTAMP '2025-02-03 09:00', 'complaint', '物流', NULL, '电话', '客服', NULL, 'resolved'),
        ('T4', 'C2', TIMESTAMP '2025-05-01 09:00', NULL, 'suggestion', '功能', NULL, '邮件', '产品', NULL, 'open'),
        ('T5', 'C2', TIMESTAMP '2025-07-01 09:00', NULL, 'complaint', '物流', NULL, '电话', '客服', NULL, 'open'),
        ('T6', 'C3', TIMESTAMP '2025-01-10 09:00', NULL, 'complaint', '质量', NULL, '电话', '客服', NULL, 'open')"""
    )
    c.execute(
        """INSERT INTO interactions VALUES
        ('I1', 'C1', TIMESTAMP '2025-05-05 10:00', '销售', '电话', 'R1', '回访'),
        ('I2', 'C2', TIMESTAMP '2025-05-06 10:00', '销售', '电话', NULL, '回访'),
        ('I3', 'C2', TIMESTAMP '2025-05-07 10:00', '客服', '电话', NULL, '回访')"""
    )
    return c


def _run(con, **kw):
    kw.setdefault("as_of", AS_OF)
    return profitability(con, ProfitabilityArgs(**kw))


# Whole history to 2025-06-30, default unit costs (complaint 300, inquiry 100, suggestion 50, contact 80):
# C1: revenue 1000 + 500 + 200 = 1700, cogs 60 + 30 = 90, gross 1610; T1 300 + T2 100 + I1 80 = 480; profit 1130.
# C2: revenue 100, cogs 6, gross 94; T3 300 + T4 50 + I2, I3 160 = 510; profit −416. (O5, T5 after as_of.)
# C3: no orders; T6 300; profit −300.  C4: no activity at all → not counted.


def test_totals_by_hand(con):
    f = _run(con).figures
    assert f["customers"] == 3
    assert f["revenue"] == pytest.approx(1800)
    assert f["cogs"] == pytest.approx(96)
    assert f["gross_profit"] == pytest.approx(1704)
    assert f["ticket_cost"] == pytest.approx(300 + 100 + 300 + 50 + 300)
    assert f["contact_cost"] == pytest.approx(240)
    assert f["service_cost"] == pytest.approx(1290)
    assert f["profit"] == pytest.approx(414)
    assert f["profit_margin"] == pytest.approx(414 / 1800)
    assert f["loss_making_customers"] == 2
    assert f["loss_making_share"] == pytest.approx(2 / 3)
    assert f["loss_total"] == pytest.approx(-716)
    assert f["lines_without_cost"] == 1


def test_per_customer_rows_and_classes(con):
    res = _run(con, by="customer")
    assert res.columns[0] == "customer_id"
    recs = {r["customer_id"]: r for r in res.records()}
    assert [r[0] for r in res.rows] == ["C1", "C3", "C2"]  # profit descending
    assert recs["C1"]["profit"] == pytest.approx(1130)
    assert recs["C1"]["complaints"] == 1 and recs["C1"]["inquiries"] == 1 and recs["C1"]["contacts"] == 1
    assert recs["C1"]["class_zh"] == "盈利客户" and recs["C1"]["class_en"] == "Profitable"
    assert recs["C2"]["profit"] == pytest.approx(-416)
    assert recs["C2"]["profit_margin"] == pytest.approx(-4.16)
    assert recs["C3"]["class_en"] == "Loss-making"
    assert recs["C3"]["profit_margin"] is None  # no revenue
    assert "C4" not in recs


def test_loss_only_lists_biggest_loss_first_and_limit(con):
    res = _run(con, by="customer", loss_only=True)
    assert [r["customer_id"] for r in res.records()] == ["C2", "C3"]  # −416 before −300
    assert [r[0] for r in _run(con, by="customer", loss_only=True, limit=1).rows] == ["C2"]


def test_by_region_sums_and_shares(con):
    res = _run(con)  # default: by region
    recs = {r["region"]: r for r in res.records()}
    # 华东 = C1 + C3: 2 customers, 1 loss-making, profit 1130 − 300 = 830; 华北 = C2: −416.
    assert recs["华东"]["customers"] == 2 and recs["华东"]["loss_making"] == 1
    assert recs["华东"]["profit"] == pytest.approx(830)
    assert recs["华东"]["loss_making_share"] == pytest.approx(0.5)
    assert recs["华东"]["profit_share"] == pytest.approx(830 / 414)
    assert recs["华北"]["profit"] == pytest.approx(-416)
    assert sum(r["profit_share"] for r in recs.values()) == pytest.approx(1.0)
    assert [r[0] for r in res.rows] == ["华东", "华北"]
    assert res.chart is not None and res.chart.x == "region"
    assert {d.name: d.value for d in res.definitions}["complaint_cost"] == 300


def test_period_counts_orders_tickets_and_contacts_in_the_window(con):
    # From 2025-04-01: C1 revenue 700, cogs 30, T1 (04-01 10:00) 300 + T2 100 + I1 80 → 700 − 30 − 480 = 190;
    # C2 revenue 100, cogs 6, T4 50 + 160 → −116; C3's only ticket is before the window → not counted.
    recs = {r["customer_id"]: r for r in _run(con, by="customer", start=dt.date(2025, 4, 1)).records()}
    assert set(recs) == {"C1", "C2"}
    assert recs["C1"]["profit"] == pytest.approx(190)
    assert recs["C2"]["profit"] == pytest.approx(-116)


def test_unit_cost_overrides(con):
    # complaint_cost 0: C2 94 − 50 − 160 = −116; C3 0 → profitable (profit ≥ 0); C1 1610 − 100 − 80 = 1430.
    # contact_cost 10 as well: C2 94 − 50 − 20 = 24, C3 0 → nobody loses money.
    f = _run(con, complaint_cost=0).figures
    assert f["loss_making_customers"] == 1
    assert f["profit"] == pytest.approx(1430 - 116 + 0)
    f2 = _run(con, complaint_cost=0, contact_cost=10).figures
    assert f2["loss_making_customers"] == 0
    assert f2["contact_cost"] == pytest.approx(30)


def test_customer_filters(con):
    # region / city / industry / size / rep / customer list narrow the customers.
    assert _run(con, region="华北").figures["profit"] == pytest.approx(-416)
    assert {r[0] for r in _run(con, by="customer", city=["上海", "杭州"]).rows} == {"C1", "C3"}
    assert {r[0] for r in _run(con, by="customer", industry="零售").rows} == {"C2", "C3"}
    assert {r[0] for r in _run(con, by="customer", size="小型").rows} == {"C1", "C3"}
    assert {r[0] for r in _run(con, by="customer", rep_id="R1").rows} == {"C1"}
    assert _run(con, customer_ids=["C3"]).figures["profit"] == pytest.approx(-300)


def test_channel_and_category_narrow_the_lines_only(con):
    # Channel 线上: C1 keeps O1 only: 1000 − 60 − 480 = 460; C2 unchanged −416; C3 −300.
    res = _run(con, by="customer", channel="线上")
    recs = {r["customer_id"]: r["profit"] for r in res.records()}
    assert recs == pytest.approx({"C1": 460, "C2": -416, "C3": -300})
    assert res.notes  # says the service cost is not split by channel
    # Category B: C1 200 − 0 − 480 = −280.
    recs_b = {r["customer_id"]: r["profit"] for r in _run(con, by="customer", category="B").records()}
    assert recs_b["C1"] == pytest.approx(-280)


def test_other_dimensions(con):
    recs = {r["acquisition_channel"]: r for r in _run(con, by="acquisition_channel").records()}
    assert recs["展会"]["customers"] == 1 and recs["线上"]["customers"] == 2
    # rep_id: C2 and C3 have no rep → one group "(未知)".
    reps = {r["rep_id"]: r["customers"] for r in _run(con, by="rep_id").records()}
    assert reps == {"R1": 1, "(未知)": 2}


def test_empty_warehouse_and_no_default_date(empty_con):
    res = profitability(empty_con, ProfitabilityArgs(as_of=AS_OF))
    assert res.rows == [] and res.figures["customers"] == 0 and res.figures["profit_margin"] is None
    with pytest.raises(InputError, match="as_of"):
        profitability(empty_con, ProfitabilityArgs())


def test_sql_is_recorded(con):
    res = _run(con)
    assert len(res.sql) == 1 and "f_customers" in res.sql[0]  # one statement: totals ride along


def test_loss_only_by_segment_keeps_overall_figures(con):
    # Loss-making customers per region: 华东 C3 (−300), 华北 C2 (−416); the figures still cover everyone.
    res = _run(con, loss_only=True)
    recs = {r["region"]: r for r in res.records()}
    assert recs["华东"]["customers"] == 1 and recs["华东"]["profit"] == pytest.approx(-300)
    assert recs["华北"]["profit"] == pytest.approx(-416)
    assert res.figures["profit"] == pytest.approx(414) and res.figures["customers"] == 3
    # No loss-making customer left (all service costs 0): no rows, figures from the totals alone.
    none = _run(con, by="customer", loss_only=True, complaint_cost=0, inquiry_cost=0, suggestion_cost=0, contact_cost=0)
    assert none.rows == [] and none.figures["profit"] == pytest.approx(1704) and none.figures["customers"] == 3


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"by": "product"}, "by must be one of"),
        ({"complaint_cost": -1}, "cannot be negative"),
        ({"limit": 0}, "at least 1"),
    ],
)
def test_bad_arguments_say_what_to_fix(con, kw, match):
    with pytest.raises(InputError, match=match):
        _run(con, **kw)


def test_sample_invariants(sample_con):
    """On the generated sample: every active customer once, totals agree with plain SQL."""
    res = profitability(sample_con, ProfitabilityArgs(by="customer", limit=1_000_000))
    ids = [r[0] for r in res.rows]
    assert len(ids) == len(set(ids)) == res.figures["customers"]
    revenue = sample_con.execute(
        """SELECT sum(oi.amount)::DOUBLE FROM orders o JOIN order_items oi USING (order_id)
           WHERE o.status = 'completed' AND o.order_date <= ?""",
        [res.as_of],
    ).fetchone()[0]
    assert res.figures["revenue"] == pytest.approx(revenue)
    by_size = profitability(sample_con, ProfitabilityArgs(by="size"))
    assert sum(r["customers"] for r in by_size.records()) == res.figures["customers"]
    assert sum(r["profit_share"] for r in by_size.records()) == pytest.approx(1.0)
    recs = res.records()
    assert sum(r["profit"] for r in recs) == pytest.approx(res.figures["profit"])
    assert all((r["profit"] < 0) == (r["class_en"] == "Loss-making") for r in recs)


def test_period_end_and_ties(con):
    # end 2025-04-30: C1 O1 1000 − 60 − T1 300 = 640 (I1 is in May); C2 only T3 → −300; C3 T6 → −300.
    recs = {r["customer_id"]: r["profit"] for r in _run(con, by="customer", end=dt.date(2025, 4, 30)).records()}
    assert recs == pytest.approx({"C1": 640, "C2": -300, "C3": -300})
    # contact_cost 22 makes C2 = 94 − 300 − 50 − 44 = −300 = C3: a tie, broken by customer id.
    res = _run(con, by="customer", loss_only=True, contact_cost=22)
    assert [(r["customer_id"], r["profit"]) for r in res.records()] == [("C2", -300), ("C3", -300)]
