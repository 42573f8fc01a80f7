"""metric_query: every metric on a hand-built warehouse with hand-computed values; filters, top-N, having,
comparisons, no fan-out across facts, hostile filter values, validation; and a dozen queries on the generated
sample cross-checked against plain SQL written here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from assistant.core.errors import InputError
from tools.base import REGISTRY
from tools.metric_query import (
    DERIVED,
    DIMENSIONS,
    METRICS,
    THRESHOLDS,
    CustomerDimension,
    MetricQueryArgs,
    metric_query,
    register_customer_dimension,
    with_parts,
)
from tools.tables import load

D = dt.date
AS_OF = D(2024, 6, 30)

# The tiny warehouse. Reference date 2024-06-30 unless a test says otherwise.
#
# customers: C1 华东/上海/制造/中型 (rep R1 张伟), C2 华东/杭州/零售/小型 (R1, a hostile name),
#            C3 华北/北京/制造/大型 (R2), C4 华北/北京/零售/个人 (R2, never orders)
# products:  P1 硬件 cost 60, P2 软件 cost 50, P3 硬件 cost NULL
# orders (lines: product qty × price × (1 − discount) = amount):
#   O7 C1 2023-12-01 线上 completed: P1 1×100 = 100
#   O1 C1 2024-01-15 线上 completed: P1 2×100 = 200; P2 1×200×0.9 = 180
#   O3 C2 2024-02-20 线上 completed: P2 3×200 = 600; P3 5×10 = 50
#   O2 C1 2024-04-10 门店 completed: P1 1×100 = 100
#   O4 C2 2024-05-05 线上 returned:  P1 1×100 = 100
#   O5 C3 2024-05-20 直销 completed: P1 10×100×0.8 = 800
#   O6 C3 2024-06-01 直销 cancelled: P2 1×200 = 200
SETUP = """
INSERT INTO sales_reps VALUES ('R1', '张伟', '华东', 'A', DATE '2020-01-01'), ('R2', '李娜', '华北', 'B', DATE '2021-01-01');
INSERT INTO customers VALUES
  ('C1', '甲公司', '华东', '上海', '制造', '中型', '线上', DATE '2023-01-10', 'R1', 1000),
  ('C2', '乙''; DROP TABLE customers; --', '华东', '杭州', '零售', '小型', '展会', DATE '2023-06-01', 'R1', 500),
  ('C3', '丙公司', '华北', '北京', '制造', '大型', '线上', DATE '2024-02-01', 'R2', NULL),
  ('C4', '丁', '华北', '北京', '零售', '个人', '电话', DATE '2024-03-01', 'R2', NULL);
INSERT INTO products VALUES ('P1', '路由器', '硬件', 100, 60, NULL), ('P2', '软件包', '软件', 200, 50, NULL),
  ('P3', '网线', '硬件', 10, NULL, NULL);
INSERT INTO orders VALUES
  ('O7', 'C1', DATE '2023-12-01', '线上', 'completed', 'R1'),
  ('O1', 'C1', DATE '2024-01-15', '线上', 'completed', 'R1'),
  ('O3', 'C2', DATE '2024-02-20', '线上', 'completed', 'R1'),
  ('O2', 'C1', DATE '2024-04-10', '门店', 'completed', 'R1'),
  ('O4', 'C2', DATE '2024-05-05', '线上', 'returned', 'R1'),
  ('O5', 'C3', DATE '2024-05-20', '直销', 'completed', 'R2'),
  ('O6', 'C3', DATE '2024-06-01', '直销', 'cancelled', 'R2');
INSERT INTO order_items VALUES
  ('O7', 1, 'P1', 1, 100, 0, 100),
  ('O1', 1, 'P1', 2, 100, 0, 200), ('O1', 2, 'P2', 1, 200, 0.1, 180),
  ('O3', 1, 'P2', 3, 200, 0, 600), ('O3', 2, 'P3', 5, 10, 0, 50),
  ('O2', 1, 'P1', 1, 100, 0, 100),
  ('O4', 1, 'P1', 1, 100, 0, 100),
  ('O5', 1, 'P1', 10, 100, 0.2, 800),
  ('O6', 1, 'P2', 1, 200, 0, 200);
-- surveys: S5 (2023) C3 9/5/1; 2024: S1 C1 10/5/2, S3 C2 3/2/6, S2 C1 8/4/-, S4 C3 -/3/4
INSERT INTO surveys VALUES
  ('S5', 'C3', DATE '2023-11-01', 9, 5, 1, NULL),
  ('S1', 'C1', DATE '2024-03-01', 10, 5, 2, '很好'),
  ('S3', 'C2', DATE '2024-04-01', 3, 2, 6, '太慢'),
  ('S2', 'C1', DATE '2024-05-01', 8, 4, NULL, NULL),
  ('S4', 'C3', DATE '2024-06-10', NULL, 3, 4, NULL);
-- tickets: T1 complaint 24 h, T2 inquiry 12 h, T4 complaint resolved after 2024-06-30, T3 complaint open
INSERT INTO tickets VALUES
  ('T1', 'C1', TIMESTAMP '2024-02-01 10:00:00', TIMESTAMP '2024-02-02 10:00:00', 'complaint', '质量', 'P1', '电话', '客服', 'R1', 'resolved'),
  ('T2', 'C1', TIMESTAMP '2024-03-01 08:00:00', TIMESTAMP '2024-03-01 20:00:00', 'inquiry', '价格', NULL, '微信', '销售', 'R1', 'resolved'),
  ('T4', 'C3', TIMESTAMP '2024-05-01 00:00:00', TIMESTAMP '2024-07-05 00:00:00', 'complaint', '交付', 'P1', '电话', '物流', 'R2', 'resolved'),
  ('T3', 'C2', TIMESTAMP '2024-06-20 09:00:00', NULL, 'complaint', '质量', 'P2', '邮件', '客服', 'R1', 'open');
INSERT INTO interactions VALUES
  ('I5', 'C2', TIMESTAMP '2023-10-01 10:00:00', '销售', '拜访', 'R1', '拜访'),
  ('I1', 'C1', TIMESTAMP '2024-01-05 10:00:00', '销售', '电话', 'R1', '跟进'),
  ('I2', 'C1', TIMESTAMP '2024-04-01 10:00:00', '销售', '拜访', 'R1', '跟进'),
  ('I3', 'C3', TIMESTAMP '2024-06-15 10:00:00', '客服', '电话', 'R2', '回访'),
  ('I4', 'C4', TIMESTAMP '2024-06-16 10:00:00', '销售', '电话', 'R2', '开发');
-- invoices at 2024-06-30: V1 paid; V2 unpaid, overdue; V3 paid only on 07-15, overdue; V4 unpaid, not yet due
INSERT INTO invoices VALUES
  ('V1', 'O1', 'C1', DATE '2024-01-15', DATE '2024-02-14', DATE '2024-02-10', 380),
  ('V2', 'O2', 'C1', DATE '2024-04-10', DATE '2024-05-10', NULL, 100),
  ('V3', 'O3', 'C2', DATE '2024-02-20', DATE '2024-03-21', DATE '2024-07-15', 650),
  ('V4', 'O5', 'C3', DATE '2024-05-20', DATE '2024-07-19', NULL, 800);
INSERT INTO marketing_spend VALUES (DATE '2023-12-01', '线上', 700), (DATE '2024-01-01', '线上', 1000),
  (DATE '2024-02-01', '线上', 500), (DATE '2024-02-01', '展会', 300);
"""


@pytest.fixture
def con(empty_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    empty_con.execute(SETUP)
    return empty_con


def q(con: duckdb.DuckDBPyConnection, **kw: Any) -> Any:
    kw.setdefault("as_of", AS_OF)
    return REGISTRY["metric_query"].run(con, kw)


def one(con: duckdb.DuckDBPyConnection, metric: str, **kw: Any) -> Any:
    res = q(con, metrics=[metric], **kw)
    assert res.columns == with_parts([metric]) and len(res.rows) == 1  # a ratio is followed by its two parts
    return res.rows[0][0]


def approx(x: Any) -> Any:
    return pytest.approx(float(x), rel=1e-9, abs=1e-9)


# Every metric, all history up to 2024-06-30 (no start date).
ALL_HISTORY: dict[str, Any] = {
    "revenue": 2030,  # 100 + 380 + 650 + 100 + 800 (completed only)
    # (200−120) + (180−50) + (600−150) + (100−60) + (800−600) + (100−60); P3 has no cost
    "gross_profit": 940,
    "gross_margin": 100 * 940 / 1980,  # over revenue of lines with a cost: 2030 − 50
    "orders": 5,  # O7 O1 O3 O2 O5
    "customers": 3,  # C1 C2 C3
    "active_customers": 2,  # last completed order after 2024-04-01: C1 (04-10), C3 (05-20); C2 (02-20) not
    "new_customers": 3,  # no start: every customer with a first completed order
    "avg_order_value": 2030 / 5,
    "quantity": 23,  # 1 + 3 + 8 + 1 + 10
    "returns": 1,  # O4
    "returned_customers": 1,  # C2 (O4)
    "return_rate": 100 / 6,  # 1 returned / (5 completed + 1 returned)
    "nps": 25,  # S5 9, S1 10 promoters; S3 3 detractor; S2 8 passive; n = 4 → (2 − 1)/4
    "csat": 60,  # 5, 5, 2, 4, 3 → 3 of 5 score 4–5
    "ces": 3.25,  # (1 + 2 + 6 + 4) / 4
    "survey_responses": 5,
    "complaints": 3,  # T1 T4 T3
    "tickets": 4,
    "avg_resolution_hours": 18,  # T1 24 h, T2 12 h; T4 resolved after the period end
    "open_tickets": 2,  # T3 open, T4 still open at 06-30
    "contacts": 5,
    "contacted_customers": 4,  # I5 C2, I1 and I2 C1 (once), I3 C3, I4 C4
    "overdue_amount": 750,  # V2 100 + V3 650
    "unpaid_amount": 1550,  # V2 100 + V3 650 + V4 800
    "marketing_spend": 2500,  # 700 + 1000 + 500 + 300
    "customer_count": 4,  # on record by 06-30, ordered or not: C1..C4 (C4 never orders)
    "signups": 4,  # no start: everyone signed up by 06-30
    "revenue_per_customer": 2030 / 3,  # a ratio: revenue over buyers
    "spend_per_signup": 2500 / 4,  # marketing spend over sign-ups
    "invoice_count": 4,  # V1..V4 issued by 06-30
    "invoiced_amount": 1930,  # V1 380 + V2 100 + V3 650 + V4 800, paid or not
    "overdue_invoices": 2,  # V2 unpaid past 05-10; V3 paid 07-15 after its 03-21 due date; V1 on time; V4 not yet due
    "overdue_invoice_amount": 750,  # the same two invoices' amounts: V2 100 + V3 650
    "collections": 380,  # paid by 06-30: V1 only (V3 is paid on 07-15)
    "credit_limit": 1500,  # C1 1000 + C2 500; C3, C4 have none
    "avg_credit_limit": 750,  # (1000 + 500) / 2: C3, C4 have no limit and are not counted
    "csat_avg": 19 / 5,  # 5 + 5 + 2 + 4 + 3
    "returned_amount": 100,  # O4
    "cancelled_orders": 1,  # O6
    "cancelled_amount": 200,  # O6: P2 1×200
    "overdue_open_invoices": 2,  # unpaid at 06-30 and past due: V2 (due 05-10), V3 (due 03-21, paid only 07-15)
    "unpaid_invoices": 3,  # unpaid at 06-30, due or not: V2, V3 (paid only 07-15), V4
    "overdue_rate": 100 * 2 / 4,  # V2, V3 of V1..V4
    "promoters": 2,  # S5 9, S1 10
    "detractors": 1,  # S3 3
    "promoter_share": 100 * 2 / 4,  # of the four that answered the NPS question (S4 did not)
    "detractor_share": 100 * 1 / 4,
    "passives": 1,  # S2 8
    "passive_share": 100 * 1 / 4,
    "product_count": 3,  # P1..P3: no launch dates, so all count as launched
    "list_price": (100 + 200 + 10) / 3,  # the average over the catalogue
    "overdue_customers": 2,  # C1 (V2), C2 (V3): unpaid at 06-30 and past due
    "complaining_customers": 3,  # T1 C1, T4 C3, T3 C2
    "surveyed_customers": 3,  # C3 (S5, S4), C1 (S1, S2), C2 (S3)
    "orders_placed": 7,  # every status: O7 O1 O3 O2 O4 (returned) O5 O6 (cancelled)
    "paid_invoices": 2,  # as recorded: V1 (02-10), V3 (07-15, after the period end)
    "paid_on_time_invoices": 1,  # V1 paid 02-10, due 02-14
    "paid_late_invoices": 1,  # V3: due 03-21, paid 07-15
    "resolved_tickets": 3,  # as recorded: T1, T2, T4 (07-05); T3 open
    "repeat_customers": 1,  # C1 (O7, O1, O2); C2 and C3 one completed order each
    "rep_count": 2,  # R1 (2020), R2 (2021)
}

# The first half of 2024.
H1_2024: dict[str, Any] = {
    "revenue": 1930,  # without O7
    "gross_profit": 900,
    "gross_margin": 100 * 900 / 1880,
    "orders": 4,
    "customers": 3,
    "new_customers": 2,  # C2 (first 02-20), C3 (05-20); C1's first was 2023-12-01
    "avg_order_value": 1930 / 4,
    "quantity": 22,
    "returns": 1,
    "returned_customers": 1,
    "return_rate": 100 / 5,
    "nps": 0,  # S1 10, S2 8, S3 3 → (1 − 1)/3
    "csat": 50,  # 5, 2, 4, 3 → 2 of 4
    "ces": 4,  # (2 + 6 + 4) / 3
    "survey_responses": 4,
    "complaints": 3,
    "tickets": 4,
    "avg_resolution_hours": 18,
    "contacts": 4,
    "contacted_customers": 3,  # I1 and I2 C1, I3 C3, I4 C4 (I5 C2 was in 2023)
    "marketing_spend": 1800,
    "customer_count": 4,  # a snapshot at 06-30: the start does not matter
    "signups": 2,  # signed up in H1: C3 02-01, C4 03-01
    "revenue_per_customer": 1930 / 3,
    "spend_per_signup": 1800 / 2,
    "invoice_count": 4,  # all four issued in H1
    "invoiced_amount": 1930,  # issued 01-15, 04-10, 02-20, 05-20
    "overdue_invoices": 2,  # V2, V3
    "overdue_invoice_amount": 750,  # V2 100 + V3 650
    "collections": 380,  # V1 paid 02-10
    "credit_limit": 1500,  # a snapshot at 06-30: C1 1000 + C2 500
    "avg_credit_limit": 750,  # (1000 + 500) / 2: C3, C4 have no limit and are not counted
    "csat_avg": 14 / 4,  # 5, 2, 4, 3
    "returned_amount": 100,  # O4 2024-05-05
    "cancelled_orders": 1,  # O6 2024-06-01
    "cancelled_amount": 200,
    "overdue_rate": 100 * 2 / 4,  # V2, V3 of the four issued in H1
    "promoters": 1,  # S1 10 (S5 is 2023)
    "detractors": 1,  # S3 3
    "promoter_share": 100 / 3,  # S1, S3, S2 answered; S4 did not
    "detractor_share": 100 / 3,
    "passives": 1,  # S2 8
    "passive_share": 100 / 3,
    "product_count": 0,  # none launched in H1 2024 (no launch dates)
    "list_price": None,  # no product launched in the period: no price to average
    "complaining_customers": 3,  # T1 02-01 C1, T4 05-01 C3, T3 06-20 C2
    "surveyed_customers": 3,  # S1, S2 C1; S3 C2; S4 C3 (S5 is 2023)
    "orders_placed": 6,  # O1 O3 O2 O4 O5 O6 (O7 is 2023)
    "paid_invoices": 2,
    "paid_on_time_invoices": 1,
    "paid_late_invoices": 1,
    "resolved_tickets": 3,  # T1, T2, T4 created in H1, resolved as recorded
    "repeat_customers": 1,  # C1 (O1, O2); O7 is before the period
    "rep_count": 2,  # a snapshot: hired by 06-30
    "overdue_customers": 2,  # a snapshot at 06-30
    # snapshots at the end do not depend on the start
    "overdue_open_invoices": 2,
    "unpaid_invoices": 3,
    "active_customers": 2,
    "open_tickets": 2,
    "overdue_amount": 750,
    "unpaid_amount": 1550,
}


def test_every_required_metric_is_defined_and_tested() -> None:
    required = set(ALL_HISTORY) | {"days_since_last_order"}
    assert required <= set(METRICS)
    assert set(ALL_HISTORY) == set(METRICS) - {"days_since_last_order"}


@pytest.mark.parametrize("metric", sorted(ALL_HISTORY))
def test_metric_all_history(con: duckdb.DuckDBPyConnection, metric: str) -> None:
    assert one(con, metric) == approx(ALL_HISTORY[metric])


@pytest.mark.parametrize("metric", sorted(H1_2024))
def test_metric_first_half_2024(con: duckdb.DuckDBPyConnection, metric: str) -> None:
    got, want = one(con, metric, start=D(2024, 1, 1)), H1_2024[metric]
    assert got is None if want is None else got == approx(want)


def test_days_since_last_order_per_customer(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["days_since_last_order"], by=["customer"], sort_by="customer", order="asc")
    # C1 04-10 → 81 days, C2 02-20 → 131, C3 05-20 → 41, C4 never ordered → NULL
    assert res.rows == [
        ["C1", "甲公司", 81],
        ["C2", "乙'; DROP TABLE customers; --", 131],
        ["C3", "丙公司", 41],
        ["C4", "丁", None],
    ]
    assert "totals" not in res.figures
    assert any("never ordered" in n for n in res.notes)


def test_snapshots_follow_the_period_end(con: duckdb.DuckDBPyConnection) -> None:
    end = {"as_of": D(2024, 3, 31)}
    assert one(con, "open_tickets", **end) == 0  # T1, T2 resolved by then; T3, T4 not created yet
    assert one(con, "unpaid_amount", **end) == 650  # V3 only (V1 paid 02-10; V2, V4 not issued)
    assert one(con, "overdue_amount", **end) == 650  # V3 due 03-21
    assert one(con, "active_customers", **end) == 2  # since 2024-01-01: C1 (01-15), C2 (02-20)


def test_gross_profit_and_margin_by_category(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["revenue", "gross_profit", "gross_margin"], by=["category"])
    got = {r[0]: r[1:] for r in res.rows}
    # 硬件: revenue 200+100+50+800+100 = 1250, gp 80+40+200+40 = 360 over 1200 with a cost
    assert [float(x) for x in got["硬件"]] == approx_list([1250, 360, 30.0])
    # 软件: 180 + 600 = 780, gp 130 + 450 = 580
    assert [float(x) for x in got["软件"]] == approx_list([780, 580, 100 * 580 / 780])
    assert res.rows[0][0] == "硬件"  # sorted by revenue, descending
    assert float(res.figures["totals"]["revenue"]) == 2030
    assert res.chart is not None and res.chart.kind == "bar" and res.chart.x == "category"


def approx_list(xs: list[float]) -> Any:
    return pytest.approx(xs, rel=1e-9)


def test_new_customers_by_month(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["new_customers"], by=["month"], start=D(2024, 1, 1), end=D(2024, 12, 31))
    assert res.rows == [["2024-02", 1], ["2024-05", 1]]  # time dimension: chronological
    assert res.chart is not None and res.chart.kind == "line" and res.chart.x == "month"


def test_time_dimensions(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["revenue"], by=["quarter"])
    # 2023-Q4 100; 2024-Q1 380 + 650; 2024-Q2 100 + 800
    assert [[r[0], float(r[1])] for r in res.rows] == [["2023-Q4", 100], ["2024-Q1", 1030], ["2024-Q2", 900]]
    res = q(con, metrics=["orders"], by=["year"])
    assert res.rows == [[2023, 1], [2024, 4]]
    res = q(con, metrics=["contacts"], by=["week"], start=D(2024, 6, 1))
    assert res.rows == [[D(2024, 6, 10), 2]]  # I3 Sat 06-15 and I4 Sun 06-16: the week of Monday 06-10


def test_filters(con: duckdb.DuckDBPyConnection) -> None:
    s = {"start": D(2024, 1, 1)}
    assert one(con, "revenue", region="华东", **s) == 1130  # 380 + 650 + 100
    assert one(con, "revenue", region=["华东"], category="硬件", **s) == 350  # 200 + 50 + 100
    assert one(con, "revenue", region="华东", channel="线上", **s) == 1030  # O1 380 + O3 650
    assert one(con, "revenue", rep_id="R2", **s) == 800
    assert one(con, "revenue", customer_ids=["C1", "C3"]) == 1380  # 100 + 380 + 100 + 800
    assert one(con, "revenue", city="北京", industry="制造", size="大型") == 800
    assert one(con, "revenue", end=D(2024, 3, 31)) == 1130  # 100 + 380 + 650
    # a category filter keeps only its buyers for facts without products: 软件 buyers in H1 are C1, C2
    assert one(con, "complaints", category="软件", **s) == 2  # T1 (C1), T3 (C2); not T4 (C3)
    assert one(con, "contacts", category="软件", **s) == 2  # I1, I2 (C1)


def test_new_customers_in_a_category(con: duckdb.DuckDBPyConnection) -> None:
    # first completed 软件 orders: C1 2024-01-15 (O1), C2 2024-02-20 (O3) → both in H1 2024
    assert one(con, "new_customers", category="软件", start=D(2024, 1, 1)) == 2
    # first completed 硬件 orders: C1 2023-12-01, C2 2024-02-20, C3 2024-05-20 → two in 2024
    assert one(con, "new_customers", category="硬件", start=D(2024, 1, 1)) == 2


def test_top_n_and_order(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["revenue"], by=["customer"], top=2)
    # C1 100 + 380 + 100 = 580, C2 650, C3 800
    assert [[r[0], float(r[2])] for r in res.rows] == [["C3", 800], ["C2", 650]]
    assert res.figures["truncated"] is False
    res = q(con, metrics=["revenue"], by=["customer"], top=2, order="asc")
    assert [r[0] for r in res.rows] == ["C1", "C2"]  # C4 has no order lines, so no revenue row


def test_rep_dimension_has_names(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["revenue", "customers"], by=["rep"])
    assert res.columns == ["rep", "rep_name", "revenue", "customers"]
    assert [[r[0], r[1], float(r[2]), r[3]] for r in res.rows] == [["R2", "李娜", 800, 1], ["R1", "张伟", 1230, 2]][
        ::-1
    ]


def test_having(con: duckdb.DuckDBPyConnection) -> None:
    # 张伟's customers who have not ordered for more than 90 days: C2 (131 days)
    res = q(
        con,
        metrics=["days_since_last_order"],
        by=["customer"],
        rep_id="R1",
        having=[{"metric": "days_since_last_order", "op": ">", "value": 90}],
    )
    assert [r[0] for r in res.rows] == ["C2"]
    res = q(con, metrics=["revenue"], by=["customer"], having=[{"metric": "revenue", "op": ">=", "value": 600}])
    assert [r[0] for r in res.rows] == ["C3", "C2"]
    # a having metric not asked for is added as a column
    res = q(con, metrics=["orders"], by=["customer"], having=[{"metric": "revenue", "op": "<", "value": 600}])
    assert res.columns == ["customer", "customer_name", "orders", "revenue"]
    assert [r[0] for r in res.rows] == ["C1"]  # 580; C4 has no order lines


def test_compare_previous_period(con: duckdb.DuckDBPyConnection) -> None:
    # Q2 (04-01..06-30, 91 days) against Q1 (01-01..03-31, 91 days)
    res = q(con, metrics=["revenue"], start=D(2024, 4, 1), compare="previous_period")
    assert res.columns == ["revenue", "revenue_previous", "revenue_change", "revenue_change_pct"]
    cur, prev, chg, pct = res.rows[0]
    assert (float(cur), float(prev), float(chg)) == (900, 1030, -130)  # O2 + O5 vs O1 + O3
    assert pct == approx(-100 * 130 / 1030)
    assert res.figures["previous_start"] == D(2024, 1, 1) and res.figures["previous_end"] == D(2024, 3, 31)
    res = q(con, metrics=["revenue", "complaints"], by=["region"], start=D(2024, 4, 1), compare="previous_period")
    got = {r[0]: r for r in res.rows}
    # 华北: 800 now, nothing before → previous 0, % change undefined; complaints T4 now, none before
    assert [float(x) if x is not None else None for x in got["华北"][1:5]] == [800, 0, 800, None]
    assert got["华北"][5:8] == [1, 0, 1]
    # 华东: 100 now vs 1030; complaints T3 now vs T1 before
    assert [float(x) for x in got["华东"][1:4]] == [100, 1030, -930]
    assert got["华东"][5:8] == [1, 1, 0]


def test_compare_same_period_last_year(con: duckdb.DuckDBPyConnection) -> None:
    res = q(
        con,
        metrics=["revenue"],
        start=D(2024, 12, 1),
        end=D(2024, 12, 31),
        as_of=D(2024, 12, 31),
        compare="same_period_last_year",
    )
    assert [float(x) for x in res.rows[0]] == [0, 100, -100, -100]  # Dec 2024: nothing; Dec 2023: O7
    res = q(con, metrics=["contacts", "marketing_spend"], start=D(2024, 1, 1), compare="same_period_last_year")
    # contacts H1 2024: 4 vs H1 2023: 0; marketing 1800 vs 0
    assert res.rows[0][:3] == [4, 0, 4] and float(res.rows[0][4]) == 1800 and float(res.rows[0][5]) == 0


def test_multi_fact_no_fan_out(con: duckdb.DuckDBPyConnection) -> None:
    """C1 has 4 order lines, 2 surveys, 2 tickets, 2 contacts: a naive join would multiply each by the others."""
    res = q(
        con,
        metrics=["revenue", "orders", "nps", "tickets", "contacts", "unpaid_amount"],
        by=["customer"],
        sort_by="customer",
        order="asc",
    )
    got = {r[0]: r[2:] for r in res.rows}
    # C1: revenue 580, orders 3, nps (10 promoter, 8 passive) = 50, tickets 2, contacts 2, unpaid V2 100
    assert [float(x) for x in got["C1"]] == [580, 3, 50, 2, 2, 100]
    # C2: 650, 1 order, nps 3 → −100, ticket T3, contact I5 (2023), unpaid V3 650
    assert [float(x) for x in got["C2"]] == [650, 1, -100, 1, 1, 650]
    # C3: 800, 1, nps S5 9 → 100, T4, I3, V4 800
    assert [float(x) for x in got["C3"]] == [800, 1, 100, 1, 1, 800]
    # C4: only a contact; counts and sums are 0, NPS unknown
    assert got["C4"] == [0, 0, None, 0, 1, 0]
    # the same numbers as each metric alone, and the totals are the plain totals
    for m, total in [("revenue", 2030), ("orders", 5), ("tickets", 4), ("contacts", 5), ("unpaid_amount", 1550)]:
        alone = {r[0]: r[2] for r in q(con, metrics=[m], by=["customer"]).rows}
        assert {k: v[res.columns.index(m) - 2] for k, v in got.items() if alone.get(k) is not None} == alone
        assert float(res.figures["totals"][m]) == total
    # and by region, across four facts
    res = q(con, metrics=["revenue", "complaints", "nps", "contacts"], by=["region"], start=D(2024, 1, 1))
    got = {r[0]: r[1:] for r in res.rows}
    assert [float(x) if x is not None else None for x in got["华东"]] == [1130, 2, 0, 2]
    assert [float(x) if x is not None else None for x in got["华北"]] == [800, 1, None, 2]


def test_acquisition_channel_joins_marketing_and_customers(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["marketing_spend", "new_customers"], by=["acquisition_channel"], start=D(2024, 1, 1))
    got = {r[0]: [float(r[1]), r[2]] for r in res.rows}
    # spend 线上 1000 + 500, 展会 300; new in 2024: C2 (展会), C3 (线上)
    assert got == {"线上": [1500, 1], "展会": [300, 1]}


def test_a_product_filter_keeps_that_products_lines(con: duckdb.DuckDBPyConnection) -> None:
    # P1 on completed orders: O7 100 + O1 200 + O2 100 + O5 800 (O4 is returned)
    assert one(con, "revenue", product=["P1"]) == approx(1200)
    assert one(con, "orders", product=["P1"]) == 4  # O7 O1 O2 O5
    assert one(con, "customers", product="P1") == 2  # C1, C3 (one id is taken as a list)
    assert one(con, "revenue", product=["P2"]) == approx(780)  # O1 180 + O3 600; O6 is cancelled
    # a fact without lines keeps the product's buyers: surveys in 2024 by C1 and C3 (who bought P1 in 2024)
    assert one(con, "survey_responses", product=["P1"], start=D(2024, 1, 1)) == 3  # S1, S2 (C1), S4 (C3)
    with pytest.raises(InputError):
        q(con, metrics=["marketing_spend"], product=["P1"])  # marketing spend has no products


def test_the_catalogue_counts_products_by_launch_date(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE products SET launch_date = DATE '2024-03-01' WHERE product_id = 'P2'")
    con.execute("UPDATE products SET launch_date = DATE '2024-09-01' WHERE product_id = 'P3'")  # after the end
    assert one(con, "product_count") == 2  # P1 (no date), P2; P3 launches after 2024-06-30
    assert one(con, "product_count", start=D(2024, 1, 1)) == 1  # launched in the period: P2
    res = q(con, metrics=["product_count"], by=["product"], category=["硬件"])
    assert [r[1] for r in res.rows] == ["路由器"]  # its own category column; P3 (硬件) is not launched yet
    res = q(con, metrics=["product_count"], by=["category"])
    assert {r[0]: r[1] for r in res.rows} == {"硬件": 1, "软件": 1}
    res = q(con, metrics=["list_price"], by=["product"], having=[{"metric": "list_price", "op": ">", "value": 150}])
    assert [(r[1], float(r[2])) for r in res.rows] == [("软件包", 200.0)]  # the one launched product above 150
    with pytest.raises(InputError):
        q(con, metrics=["product_count"], region=["华东"])  # the catalogue has no customers


def test_a_department_filters_tickets_and_contacts_only(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "tickets", department=["客服"]) == 2  # T1, T3
    assert one(con, "complaints", department="物流") == 1  # T4
    assert one(con, "contacts", department=["销售"]) == 4  # I5 (2023), I1, I2, I4; I3 is 客服
    assert one(con, "contacts", department=["销售"], start=D(2024, 1, 1)) == 3
    with pytest.raises(InputError, match="department"):
        q(con, metrics=["revenue"], department=["销售"])  # orders carry no department


def test_marketing_spend_filtered_by_its_own_acquisition_channel(con: duckdb.DuckDBPyConnection) -> None:
    # "how much did we spend on trade shows": the filter is marketing spend's own channel column
    assert one(con, "marketing_spend", acquisition_channel=["展会"]) == approx(300)
    assert one(con, "marketing_spend", acquisition_channel=["线上"], start=D(2024, 1, 1)) == approx(1500)
    # spend and customers by the same filter: the spend on its channel, the customers acquired there
    res = q(con, metrics=["marketing_spend", "new_customers"], acquisition_channel=["线上"], start=D(2024, 1, 1))
    assert [float(res.rows[0][0]), res.rows[0][1]] == [1500, 1]  # C3 signed up through 线上


HOSTILE = [
    "'; DROP TABLE customers; --",
    "O'Brien",
    '"; SELECT 1; --',
    "华东\u200b",
    "华东' OR '1'='1",
    "$x'); --",
    "\\x00",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_filter_values_are_just_values(con: duckdb.DuckDBPyConnection, value: str) -> None:
    for field in ("region", "city", "industry", "size", "rep_id", "category", "channel", "customer_ids"):
        res = q(con, metrics=["revenue", "orders", "complaints"], **{field: [value]})
        assert [float(x) for x in res.rows[0]] == [0, 0, 0]
        assert value not in res.sql[0]
    assert con.execute("SELECT count(*) FROM customers").fetchone() == (4,)


def test_hostile_customer_name_is_returned_verbatim(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["revenue"], by=["customer"], customer_ids=["C2"])
    assert res.rows == [["C2", "乙'; DROP TABLE customers; --", Decimal("650.00")]]


def test_having_value_is_a_parameter(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["revenue"], by=["region"], having=[{"metric": "revenue", "op": ">", "value": 1000}])
    assert [r[0] for r in res.rows] == ["华东"]
    assert "1000" not in res.sql[0]
    with pytest.raises(ValueError):
        MetricQueryArgs(metrics=["revenue"], having=[{"metric": "revenue", "op": "; DROP", "value": 1}])


def test_truncation_is_flagged(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["contacts"], by=["customer"], limit=2)
    assert len(res.rows) == 2 and res.figures["truncated"] is True and res.notes
    assert "LIMIT 3" in res.sql[0]
    res = q(con, metrics=["contacts"], by=["customer"], limit=2, top=10)  # top above the limit: the limit wins
    assert len(res.rows) == 2 and res.figures["truncated"] is True
    res = q(con, metrics=["contacts"], by=["customer"], limit=4, top=4)
    assert len(res.rows) == 4 and res.figures["truncated"] is False


@pytest.mark.parametrize(
    ("kw", "needle_zh", "needle_en"),
    [
        ({"metrics": ["revenu"]}, "revenue", "Did you mean: revenue"),
        ({"metrics": ["销售额"]}, "revenue(销售额)", "revenue"),
        ({"metrics": ["new customer"]}, "new_customers", "new_customers"),
        ({"metrics": ["revenue"], "by": ["regoin"]}, "region", "Unknown dimension 'regoin'"),
        ({"metrics": ["revenue"], "by": ["大区域"]}, "region", "region"),
        ({"metrics": ["revenue"], "sort_by": "revnue"}, "revenue", "revenue"),
        (
            {"metrics": ["revenue"], "having": [{"metric": "profit", "op": ">", "value": 1}]},
            "gross_profit",
            "gross_profit",
        ),
    ],
)
def test_unknown_names_suggest_close_matches(kw: dict[str, Any], needle_zh: str, needle_en: str) -> None:
    with pytest.raises(InputError) as err:
        MetricQueryArgs(**kw)
    assert needle_zh in err.value.zh and needle_en in err.value.en


@pytest.mark.parametrize(
    ("kw", "word"),
    [
        ({"metrics": ["nps"], "by": ["product"]}, "product"),
        ({"metrics": ["revenue", "csat"], "by": ["channel"]}, "channel"),
        ({"metrics": ["overdue_amount"], "by": ["month"]}, "snapshot"),
        ({"metrics": ["days_since_last_order"], "by": ["region"]}, "customer"),
        ({"metrics": ["marketing_spend"], "by": ["region"]}, "region"),
        ({"metrics": ["marketing_spend"], "region": ["华东"]}, "region"),
        ({"metrics": ["new_customers"], "by": ["category"]}, "category"),
        ({"metrics": ["revenue"], "compare": "previous_period"}, "start"),
        ({"metrics": ["revenue"], "by": ["month"], "start": D(2024, 1, 1), "compare": "previous_period"}, "time"),
        ({"metrics": ["revenue"], "start": D(2024, 7, 1)}, "after"),
        ({"metrics": ["revenue", "revenue"]}, "repeated"),
        ({"metrics": ["revenue"], "sort_by": "orders"}, "sort_by"),
        ({"metrics": ["revenue"], "sort_by": "region"}, "sort_by"),
    ],
)
def test_incompatible_combinations_are_clear_errors(
    con: duckdb.DuckDBPyConnection, kw: dict[str, Any], word: str
) -> None:
    with pytest.raises(InputError) as err:
        q(con, **kw)
    assert word in err.value.en and err.value.zh


def test_product_dimension_on_tickets(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["revenue", "complaints"], by=["product"], start=D(2024, 1, 1))
    got = {r[0]: [r[1], float(r[2]), r[3]] for r in res.rows}
    # P1: 200 + 100 + 800 = 1100 and complaints T1, T4; P2: 180 + 600, T3; P3: 50; T2 has no product
    assert got["P1"] == ["路由器", 1100, 2]
    assert got["P2"] == ["软件包", 780, 1]
    assert got["P3"] == ["网线", 50, 0]
    assert got[None] == [None, 0, 0]


def test_signup_month_cohort(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["customers", "revenue"], by=["signup_month"], sort_by="signup_month", order="asc")
    assert [[r[0], r[1], float(r[2])] for r in res.rows] == [
        ["2023-01", 1, 580],
        ["2023-06", 1, 650],
        ["2024-02", 1, 800],
    ]


def test_two_dimensions_chart_and_definitions(con: duckdb.DuckDBPyConnection) -> None:
    res = q(con, metrics=["revenue"], by=["region", "category"])
    assert res.chart is not None and res.chart.kind == "heatmap"
    res = q(con, metrics=["revenue", "orders"], by=["region", "category"])
    assert res.chart is not None and res.chart.kind == "bar" and res.chart.color == "category"
    assert [d.name for d in res.definitions] == ["revenue", "orders"]
    assert "completed" in res.definitions[0].en and "销售额" in res.definitions[0].zh
    assert res.definitions[0].value == METRICS["revenue"]["sql"]
    assert res.as_of == AS_OF and res.tool == "metric_query" and res.sql and res.to_json()


def test_derived_customer_dimension(con: duckdb.DuckDBPyConnection) -> None:
    """A per-customer table from another tool plugs in as a dimension (as RFM class, type and tier will)."""

    def relation(args: MetricQueryArgs) -> tuple[str, dict[str, Any]]:
        sql = (
            "SELECT customer_id, CASE WHEN sum(amount) >= $big_min THEN 'big' ELSE 'small' END AS value "
            "FROM scope_lines WHERE status = 'completed' GROUP BY customer_id"
        )
        return sql, {"big_min": 600}

    register_customer_dimension(CustomerDimension("spend_class", "消费档", "spend class", relation))
    try:
        res = q(con, metrics=["revenue", "contacts"], by=["spend_class"])
        got = {r[0]: [float(r[1]), r[2]] for r in res.rows}
        # big: C2 650 + C3 800, contacts I5 + I3; small: C1 580, I1 + I2; C4 (no orders): contact I4
        assert got == {"big": [1450, 2], "small": [580, 2], None: [0, 1]}
    finally:
        DERIVED.pop("spend_class", None)


def test_tables_are_complete_and_consistent() -> None:
    for mid, m in METRICS.items():
        own = ("ratio",) if "ratio" in m else ("fact", "sql")  # a ratio is computed from two metrics
        for key in ("zh", "en", "synonyms", "unit", "format", *own, "def_zh", "def_en"):
            assert key in m, (mid, key)
        assert all(part in METRICS and "ratio" not in METRICS[part] for part in m.get("ratio", [])), mid
        assert m["synonyms"]["zh"] and m["synonyms"]["en"], mid
    for did, d in DIMENSIONS.items():
        for key in ("zh", "en", "synonyms", "sql", "needs"):
            assert key in d, (did, key)
    required_dims = {
        "customer",
        "region",
        "city",
        "industry",
        "size",
        "acquisition_channel",
        "rep",
        "product",
        "category",
        "channel",
        "day",
        "week",
        "month",
        "quarter",
        "year",
        "signup_month",
    }
    assert required_dims <= set(DIMENSIONS)
    sat = load("satisfaction")["thresholds"]
    for key in ("promoter_min", "detractor_max", "csat_satisfied_min"):
        assert THRESHOLDS[key]["value"] == sat[key]["value"]
    assert f">= {sat['promoter_min']['value']})" in METRICS["nps"]["sql"]
    assert f"<= {sat['detractor_max']['value']})" in METRICS["nps"]["sql"]
    assert f">= {sat['csat_satisfied_min']['value']})" in METRICS["csat"]["sql"]


def test_registered() -> None:
    spec = REGISTRY["metric_query"]
    assert spec.fn is metric_query and spec.args_model is MetricQueryArgs and "指标" in spec.zh


# ------------------------------------------------------------------------------------------------------
# The generated sample: a dozen queries against plain SQL.

REV = "SUM(oi.amount) FILTER (WHERE o.status = 'completed')"
LINES = "FROM orders o JOIN order_items oi USING (order_id) JOIN customers c USING (customer_id) LEFT JOIN products p USING (product_id)"


def rows_map(rows: list[list[Any]], nkeys: int = 1) -> dict[Any, list[float | None]]:
    return {
        tuple(r[:nkeys]) if nkeys > 1 else r[0]: [None if x is None else round(float(x), 6) for x in r[nkeys:]]
        for r in rows
    }


def plain(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None, nkeys: int = 1
) -> dict[Any, Any]:
    return rows_map([list(r) for r in con.execute(sql, params or {}).fetchall()], nkeys)


@pytest.fixture
def sample(sample_con: duckdb.DuckDBPyConnection) -> tuple[duckdb.DuckDBPyConnection, dt.date]:
    as_of = sample_con.execute("SELECT max(order_date) FROM orders").fetchone()[0]
    return sample_con, as_of


def mq(con: duckdb.DuckDBPyConnection, nkeys: int = 1, **kw: Any) -> dict[Any, Any]:
    res = REGISTRY["metric_query"].run(con, kw)
    assert not res.figures["truncated"]
    return rows_map(res.rows, nkeys)


def test_sample_revenue_orders_by_region(sample: Any) -> None:
    con, _ = sample
    got = mq(con, metrics=["revenue", "orders", "customers"], by=["region"])
    exp = plain(
        con,
        f"SELECT c.region, {REV}, count(DISTINCT o.order_id) FILTER (WHERE o.status = 'completed'), "
        f"count(DISTINCT o.customer_id) FILTER (WHERE o.status = 'completed') {LINES} GROUP BY 1",
    )
    assert got == exp and len(got) >= 5


def test_sample_top10_customers_east_this_year(sample: Any) -> None:
    con, as_of = sample
    start = D(as_of.year, 1, 1)
    res = REGISTRY["metric_query"].run(
        con, {"metrics": ["revenue"], "by": ["customer"], "region": "华东", "start": start, "top": 10}
    )
    exp = con.execute(
        f"SELECT c.customer_id, c.name, {REV} AS rev {LINES} WHERE c.region = '华东' AND o.order_date BETWEEN $s AND $e "
        "GROUP BY 1, 2 HAVING rev > 0 ORDER BY rev DESC, 1 LIMIT 10",
        {"s": start, "e": as_of},
    ).fetchall()
    assert [tuple(r) for r in res.rows] == [tuple(r) for r in exp] and len(exp) == 10


def test_sample_category_last_quarter_revenue_and_gross_profit(sample: Any) -> None:
    con, as_of = sample
    q0 = D(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    start = D(q0.year - 1, 10, 1) if q0.month == 1 else D(q0.year, q0.month - 3, 1)
    end = q0 - dt.timedelta(days=1)
    got = mq(con, metrics=["revenue", "gross_profit"], by=["category"], start=start, end=end)
    exp = plain(
        con,
        f"SELECT p.category, {REV}, SUM(oi.amount - oi.quantity * p.unit_cost) FILTER (WHERE o.status = 'completed') "
        f"{LINES} WHERE o.order_date BETWEEN $s AND $e GROUP BY 1",
        {"s": start, "e": end},
    )
    assert got == exp


def test_sample_new_customers_each_month(sample: Any) -> None:
    con, as_of = sample
    year = as_of.year - 1
    got = mq(con, metrics=["new_customers"], by=["month"], start=D(year, 1, 1), end=D(year, 12, 31))
    exp = plain(
        con,
        "SELECT strftime(f, '%Y-%m'), count(*) FROM (SELECT o.customer_id, min(o.order_date) AS f FROM orders o "
        "WHERE o.status = 'completed' GROUP BY 1) WHERE year(f) = $y GROUP BY 1",
        {"y": year},
    )
    assert got == exp and len(exp) == 12


def test_sample_reps_customers_inactive_90_days(sample: Any) -> None:
    con, as_of = sample
    rep = con.execute("SELECT rep_id FROM customers GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    got = mq(
        con,
        2,
        metrics=["days_since_last_order"],
        by=["customer"],
        rep_id=rep,
        having=[{"metric": "days_since_last_order", "op": ">", "value": 90}],
    )
    exp = plain(
        con,
        "SELECT c.customer_id, c.name, date_diff('day', max(o.order_date), $a) AS d FROM customers c "
        "JOIN orders o USING (customer_id) WHERE o.status = 'completed' AND o.order_date <= $a AND c.rep_id = $r "
        "GROUP BY 1, 2 HAVING d > 90",
        {"a": as_of, "r": rep},
        nkeys=2,
    )
    assert got == exp and exp


def test_sample_avg_order_value_by_channel(sample: Any) -> None:
    con, _ = sample
    got = mq(con, metrics=["avg_order_value", "quantity", "return_rate"], by=["channel"])
    exp = plain(
        con,
        f"SELECT o.channel, {REV} / count(DISTINCT o.order_id) FILTER (WHERE o.status = 'completed'), "
        "sum(oi.quantity) FILTER (WHERE o.status = 'completed'), "
        "100.0 * count(DISTINCT o.order_id) FILTER (WHERE o.status = 'returned') / "
        f"count(DISTINCT o.order_id) FILTER (WHERE o.status IN ('completed', 'returned')) {LINES} GROUP BY 1",
    )
    assert got == exp


def test_sample_satisfaction_by_size(sample: Any) -> None:
    con, _ = sample
    got = mq(con, metrics=["nps", "csat", "ces", "survey_responses"], by=["size"])
    exp = plain(
        con,
        "SELECT c.size, 100.0 * (count(*) FILTER (WHERE s.nps >= 9) - count(*) FILTER (WHERE s.nps <= 6)) / count(s.nps), "
        "100.0 * count(*) FILTER (WHERE s.csat >= 4) / count(s.csat), avg(s.ces), count(*) "
        "FROM surveys s JOIN customers c USING (customer_id) GROUP BY 1",
    )
    assert got == exp


def test_sample_complaints_and_resolution_by_region_in_a_period(sample: Any) -> None:
    con, as_of = sample
    start, end = D(as_of.year - 1, 1, 1), D(as_of.year - 1, 12, 31)
    got = mq(
        con, metrics=["complaints", "tickets", "avg_resolution_hours"], by=["region"], start=start, end=end, as_of=as_of
    )
    exp = plain(
        con,
        "SELECT c.region, count(*) FILTER (WHERE t.kind = 'complaint'), count(*), "
        "avg(epoch(t.resolved_at) - epoch(t.created_at)) FILTER (WHERE t.resolved_at::DATE <= $e) / 3600.0 "
        "FROM tickets t JOIN customers c USING (customer_id) WHERE t.created_at::DATE BETWEEN $s AND $e GROUP BY 1",
        {"s": start, "e": end},
    )
    assert got == exp


def test_sample_contacts_by_quarter(sample: Any) -> None:
    con, _ = sample
    got = mq(con, metrics=["contacts"], by=["quarter"])
    exp = plain(
        con,
        "SELECT strftime(happened_at, '%Y') || '-Q' || quarter(happened_at), count(*) FROM interactions "
        "WHERE happened_at::DATE <= (SELECT max(order_date) FROM orders) GROUP BY 1",
    )
    assert got == exp


def test_sample_receivables_by_region(sample: Any) -> None:
    con, as_of = sample
    got = mq(con, metrics=["overdue_amount", "unpaid_amount"], by=["region"])
    exp = plain(
        con,
        "SELECT c.region, coalesce(sum(v.amount) FILTER (WHERE v.due_date < $a), 0), sum(v.amount) FROM invoices v "
        # no period named: unpaid as the data records it now (payments after the last order date count as paid,
        # invoices issued after it are owed), overdue when due before the reference date
        "JOIN customers c USING (customer_id) WHERE v.paid_date IS NULL GROUP BY 1",
        {"a": as_of},
    )
    assert got == exp


def test_sample_multi_fact_by_industry_matches_separate_sql(sample: Any) -> None:
    con, _ = sample
    got = mq(con, metrics=["revenue", "complaints", "contacts", "nps"], by=["industry"])
    rev = plain(con, f"SELECT c.industry, {REV} {LINES} GROUP BY 1")
    com = plain(
        con,
        "SELECT c.industry, count(*) FILTER (WHERE kind = 'complaint') FROM tickets t JOIN customers c USING (customer_id) "
        "WHERE t.created_at::DATE <= (SELECT max(order_date) FROM orders) GROUP BY 1",
    )
    con_ = plain(
        con,
        "SELECT c.industry, count(*) FROM interactions i JOIN customers c USING (customer_id) "
        "WHERE i.happened_at::DATE <= (SELECT max(order_date) FROM orders) GROUP BY 1",
    )
    nps = plain(
        con,
        "SELECT c.industry, 100.0 * (count(*) FILTER (WHERE s.nps >= 9) - count(*) FILTER (WHERE s.nps <= 6)) / count(s.nps) "
        "FROM surveys s JOIN customers c USING (customer_id) GROUP BY 1",
    )
    for k, v in got.items():
        assert v == [rev.get(k, [0.0])[0], com.get(k, [0.0])[0], con_.get(k, [0.0])[0], nps.get(k, [None])[0]]


def test_sample_revenue_compare_same_period_last_year_by_region(sample: Any) -> None:
    con, as_of = sample
    start = D(as_of.year, 1, 1)
    res = REGISTRY["metric_query"].run(
        con, {"metrics": ["revenue"], "by": ["region"], "start": start, "compare": "same_period_last_year"}
    )
    got = {r[0]: (r[1], r[2]) for r in res.rows}
    cur = plain(
        con, f"SELECT c.region, {REV} {LINES} WHERE o.order_date BETWEEN $s AND $e GROUP BY 1", {"s": start, "e": as_of}
    )
    prev = plain(
        con,
        f"SELECT c.region, {REV} {LINES} WHERE o.order_date BETWEEN $s AND $e GROUP BY 1",
        {
            "s": D(start.year - 1, 1, 1),
            "e": D(as_of.year - 1, as_of.month, min(as_of.day, 28) if as_of.month == 2 else as_of.day),
        },
    )
    for region, (c, p) in got.items():
        assert round(float(c), 6) == cur.get(region, [0.0])[0]
        assert round(float(p), 6) == prev.get(region, [0.0])[0]


def test_sample_marketing_and_active_customers(sample: Any) -> None:
    con, as_of = sample
    got = mq(con, metrics=["marketing_spend"], by=["year"])
    exp = plain(con, "SELECT year(month), sum(amount) FROM marketing_spend WHERE month <= $a GROUP BY 1", {"a": as_of})
    assert got == exp
    active = mq(con, metrics=["active_customers"], by=["region"])
    exp = plain(
        con,
        "SELECT c.region, count(*) FILTER (WHERE l > $a - 90) FROM customers c LEFT JOIN "
        "(SELECT customer_id, max(order_date) AS l FROM orders WHERE status = 'completed' GROUP BY 1) USING (customer_id) GROUP BY 1",
        {"a": as_of},
    )
    assert active == exp


def test_derived_dimension_with_comparison(con: duckdb.DuckDBPyConnection) -> None:
    """The derived relation is recomputed for the comparison period (its own scope CTEs and dates)."""

    def relation(args: MetricQueryArgs) -> tuple[str, dict[str, Any]]:
        return (
            "SELECT customer_id, CASE WHEN count(*) >= 2 THEN 'multi' ELSE 'single' END AS value "
            "FROM scope_lines WHERE status = 'completed' AND order_date <= $f_end GROUP BY customer_id",
            {},
        )

    register_customer_dimension(CustomerDimension("order_class", "下单档", "order class", relation))
    try:
        res = q(con, metrics=["revenue"], by=["order_class"], start=D(2024, 4, 1), compare="previous_period")
        got = {r[0]: [float(x) if x is not None else None for x in r[1:3]] for r in res.rows}
        # at 06-30: C1 has 4 completed lines (multi), C2 2 lines (multi), C3 1 (single)
        # Q2 revenue: C1 100 (multi), C3 800 (single); the Q1 class at 03-31: C1 3 lines, C2 2 → multi: 380 + 650
        assert got == {"multi": [100, 1030], "single": [800, 0]}
        assert "scope_lines_p" in res.sql[0]
    finally:
        DERIVED.pop("order_class", None)


def test_totals_are_over_all_groups(con: duckdb.DuckDBPyConnection) -> None:
    # additive metrics: totals from the same statement, before top-N and having
    res = q(con, metrics=["revenue", "complaints"], by=["region"], top=1)
    assert len(res.rows) == 1 and len(res.sql) == 1
    assert {k: float(v) for k, v in res.figures["totals"].items()} == {"revenue": 2030, "complaints": 3}
    assert res.columns == ["region", "revenue", "complaints"] and len(res.rows[0]) == 3
    # nothing left after having: the totals come from a second statement
    res = q(con, metrics=["revenue"], by=["region"], having=[{"metric": "revenue", "op": ">", "value": 10**9}])
    assert res.rows == [] and len(res.sql) == 2 and float(res.figures["totals"]["revenue"]) == 2030
    # distinct counts are not additive (C1 buys both categories): a second statement
    res = q(con, metrics=["customers"], by=["category"])
    assert {r[0]: r[1] for r in res.rows} == {"硬件": 3, "软件": 2}
    assert res.figures["totals"] == {"customers": 3} and len(res.sql) == 2


def test_synonyms_point_to_one_metric_each() -> None:
    """The router maps words to metrics: a word may not name two different metrics (or two dimensions)."""
    from tools.metric_query import vocabulary

    for kind, table in (("metric", METRICS), ("dimension", DIMENSIONS)):
        seen: dict[str, str] = {}
        for key, d in table.items():
            words = [key, d["zh"], d["en"], *d["synonyms"]["zh"], *d["synonyms"]["en"]]
            for w in {str(x).lower() for x in words}:
                assert seen.setdefault(w, key) == key, f"{kind} word {w!r} names both {seen[w]} and {key}"
        assert vocabulary(kind) == seen  # type: ignore[arg-type]
    assert vocabulary("metric")["销售额"] == "revenue" and vocabulary("metric")["aov"] == "avg_order_value"
    assert vocabulary("dimension")["品类"] == "category"


def test_sorted_by_growth(con: duckdb.DuckDBPyConnection) -> None:
    # revenue by region, Q2 2024 against Q1 2024: 华东 Q1 380 + 650 = 1030, Q2 100 → -930 (-90.3%);
    # 华北 Q1 0, Q2 800 → +800 (no rate: nothing before). By rate 华东 comes first (华北's rate is NULL, last).
    kw = dict(metrics=["revenue"], by=["region"], compare="previous_period", start=D(2024, 4, 1), end=D(2024, 6, 30))
    by_amount = q(con, **kw, sort_by="revenue_change").records()
    assert [(r["region"], r["revenue_change"]) for r in by_amount] == [("华北", approx(800)), ("华东", approx(-930))]
    by_rate = q(con, **kw, sort_by="revenue_change_pct").records()
    assert by_rate[0]["region"] == "华东" and by_rate[1]["revenue_change_pct"] is None


def test_sorting_by_a_change_needs_a_comparison(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputError, match="compare"):
        q(con, metrics=["revenue"], by=["region"], sort_by="revenue_change_pct")


def test_shares_of_the_total(con: duckdb.DuckDBPyConnection) -> None:
    # all history: 华东 100 + 380 + 650 + 100 = 1230, 华北 800 → 1230 / 2030 and 800 / 2030
    rows = q(con, metrics=["revenue"], by=["region"], share=True).records()
    assert {r["region"]: r["revenue_share"] for r in rows} == {"华东": approx(1230 / 2030), "华北": approx(800 / 2030)}


def test_invoices_paid_by_issue_date(con: duckdb.DuckDBPyConnection) -> None:
    feb = {"start": D(2024, 2, 1), "end": D(2024, 2, 29)}  # V3 only (issued 02-20)
    assert one(con, "paid_invoices", **feb) == 1
    assert one(con, "paid_late_invoices", **feb) == 1  # due 03-21, paid 07-15
    assert one(con, "paid_on_time_invoices", **feb) == 0


def test_overdue_invoices_of_a_past_period_are_judged_today(con: duckdb.DuckDBPyConnection) -> None:
    # issued in Q2 (V2 04-10 due 05-10, V4 05-20 due 07-19); the data's reference date is 06-01 (the last order):
    # V2 is unpaid past its due date by then, V4 not yet due, whatever the period end (05-15) was
    assert one(con, "overdue_invoices", start=D(2024, 4, 1), end=D(2024, 5, 15), as_of=D(2024, 5, 15)) == 1


def share_row(res: Any) -> dict[str, Any]:
    return dict(zip(res.columns, res.rows[0], strict=True))


def test_a_part_over_its_whole(con: duckdb.DuckDBPyConnection) -> None:
    # buyers in H1 (C1, C2, C3) among the customers on record (C1..C4)
    res = q(con, metrics=["customers"], share_of={"metric": "customer_count"}, start=D(2024, 1, 1))
    assert share_row(res) == {"customers": 3, "whole_customer_count": 4, "customers_share": approx(0.75)}
    # returned orders among every order placed in H1: O4 of O1 O3 O2 O4 O5 O6
    res = q(con, metrics=["returns"], share_of={"metric": "orders_placed"}, start=D(2024, 1, 1))
    assert share_row(res)["returns_share"] == approx(1 / 6)
    # resolved complaints among complaints: T1, T4 of T1, T4, T3
    res = q(con, metrics=["resolved_tickets"], share_of={"metric": "tickets"}, ticket_kind=["complaint"])
    assert share_row(res) == {"resolved_tickets": 2, "whole_tickets": 3, "resolved_tickets_share": approx(2 / 3)}


def test_the_whole_leaves_out_the_parts_own_filters(con: duckdb.DuckDBPyConnection) -> None:
    # 杭州 (C2: O3 650) in H1 against all of 华东 in H1 (C1: O1 380 + O2 100, C2: 650)
    res = q(
        con,
        metrics=["revenue"],
        region=["华东"],
        city=["杭州"],
        share_of={"metric": "revenue", "drop": ["city"]},
        start=D(2024, 1, 1),
    )
    assert share_row(res) == {"revenue": 650, "whole_revenue": 1130, "revenue_share": approx(650 / 1130)}


def test_a_share_group_by_group(con: duckdb.DuckDBPyConnection) -> None:
    # buyers over customers on record per region: 华东 C1, C2 of C1, C2; 华北 C3 of C3, C4
    res = q(con, metrics=["customers"], share_of={"metric": "customer_count"}, by=["region"])
    assert {r[0]: r[-1] for r in res.rows} == {"华东": approx(1.0), "华北": approx(0.5)}


def test_the_top_rows_together(con: duckdb.DuckDBPyConnection) -> None:
    # all history: C3 800, C2 650, C1 580 of 2030; the top one is C3
    res = q(con, metrics=["revenue"], by=["customer"], top=1, share=True)
    assert res.figures["top_share"] == {
        "metric": "revenue",
        "n": 1,
        "value": 800,
        "total": 2030,
        "share": approx(800 / 2030),
    }


def test_team_and_ticket_kind_filters(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "revenue", team=["B"]) == 800  # R2's customers: C3 (O5)
    assert one(con, "tickets", ticket_kind=["inquiry"]) == 1  # T2
    assert one(con, "avg_resolution_hours", ticket_kind="complaint") == 24  # T1 only (T4 resolved after 06-30)
    with pytest.raises(InputError, match="ticket kind"):
        q(con, metrics=["revenue"], ticket_kind=["complaint"])
    with pytest.raises(InputError):
        q(con, metrics=["revenue"], share_of={"metric": "revenue", "drop": ["start"]})


def test_a_snapshot_with_no_period_is_what_the_data_records_now(con: duckdb.DuckDBPyConnection) -> None:
    now = REGISTRY["metric_query"].run  # no as_of: the reference date is the last order (06-01)
    # V3 was paid on 07-15 and T4 resolved on 07-05, both after the last order: paid and resolved now
    unpaid = now(con, {"metrics": ["unpaid_amount", "overdue_amount", "open_tickets"]}).rows[0]
    assert unpaid == [900, 100, 0]  # V2 100 + V4 800 unpaid; V2 past due (05-10); T4 resolved, T3 not yet created
    # a period named: its end
    assert one(con, "unpaid_amount", end=D(2024, 6, 1)) == 1550  # V2, V3, V4 unpaid on 06-01


def test_survey_score_conditions(con: duckdb.DuckDBPyConnection) -> None:
    # surveys: S5 C3 nps 9 ces 1; S1 C1 10/ces 2; S3 C2 3/ces 6; S2 C1 8/ces NULL; S4 C3 NULL/ces 4
    res = q(con, metrics=["survey_responses"], by=["customer"], survey_score=["nps<=6"])
    assert [r[0] for r in res.rows] == ["C2"]  # S3 only: the customers who gave that score
    assert one(con, "survey_responses", survey_score="csat=5") == 2  # S5, S1
    # CES of 4 or more among the responses that gave a CES: S3 6, S4 4 of S5, S1, S3, S4 (S2 gave none)
    res = q(
        con,
        metrics=["survey_responses"],
        survey_score=["ces>=4"],
        share_of={"metric": "survey_responses", "drop": ["survey_score"]},
    )
    assert share_row(res) == {"survey_responses": 2, "whole_survey_responses": 4, "survey_responses_share": 0.5}
    with pytest.raises(InputError):
        q(con, metrics=["revenue"], survey_score=["nps=0"])
    with pytest.raises(InputError):
        q(con, metrics=["survey_responses"], survey_score=["nps = 0; DROP TABLE surveys"])


def test_sales_reps_counted_by_their_own_team_and_region(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "rep_count", team=["B"]) == 1  # R2
    assert one(con, "rep_count", region=["华东"]) == 1  # R1
    assert one(con, "rep_count", end=D(2020, 12, 31)) == 1  # R2 hired in 2021
    with pytest.raises(InputError, match="industry"):
        q(con, metrics=["rep_count"], industry=["制造"])


def test_contacts_by_how_and_why(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "contacts", contact_channel=["电话"]) == 3  # I1, I3, I4
    assert one(con, "contacts", contact_purpose=["跟进"]) == 2  # I1, I2
    with pytest.raises(InputError, match="contact channel"):
        q(con, metrics=["orders"], contact_channel=["电话"])


def test_the_new_customers_cohort(con: duckdb.DuckDBPyConnection) -> None:
    # first completed orders: C1 2023-12-01, C2 2024-02-20, C3 2024-05-20; new in H1 2024: C2 (650), C3 (800)
    assert one(con, "revenue", cohort=["new"], start=D(2024, 1, 1)) == 1450
    assert one(con, "orders", cohort="new", start=D(2024, 1, 1)) == 2  # O3, O5
    assert one(con, "revenue", cohort=["new"]) == 2030  # no start: everyone who ever bought


def test_issue_category_and_channel_filter_tickets(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "tickets", issue_category=["质量"]) == 2  # T1, T3
    assert one(con, "complaints", issue_category=["交付"]) == 1  # T4
    assert one(con, "tickets", contact_channel=["微信"]) == 1  # T2 came in by WeChat
    with pytest.raises(InputError):
        one(con, "revenue", issue_category=["质量"])  # orders have no issue category


def test_a_breakdown_that_cannot_be_made_says_what_can_be_asked_instead(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputError) as err:
        q(con, metrics=["nps"], by=["product"])  # survey answers are not about a product
    zh, en = err.value.zh, err.value.en
    assert zh.startswith("NPS 净推荐值不能按产品拆分") and "可以按" in zh and "大区" in zh and "去掉「按产品」" in zh
    assert en.startswith("NPS cannot be broken down by product") and "region" in en.split("Ask for it by")[1]
    assert "nps" not in zh + en and "product (" not in en  # no identifiers in what the reader sees


# ---- round 7: records dated after the reference date; a past period's invoices judged now; rankings of groups ----
def test_a_snapshot_with_no_period_reads_every_invoice_recorded(con: duckdb.DuckDBPyConnection) -> None:
    # V5 is issued 06-03, after the last order (06-01, the reference date); "all our unpaid invoices" owe it too:
    # unpaid now V2 100 + V4 800 + V5 50 (V3 was paid 07-15, which the data records); overdue (due before the
    # reference date 06-01) only V2
    con.execute("INSERT INTO invoices VALUES ('V5', 'O6', 'C3', DATE '2024-06-03', DATE '2024-07-03', NULL, 50)")
    res = REGISTRY["metric_query"].run(con, {"metrics": ["unpaid_amount", "overdue_amount", "unpaid_invoices"]})
    assert res.rows == [[950, 100, 3]]
    # a period named keeps its snapshot at the period end: V2 and V3 were unpaid on 05-15, V4 and V5 not issued
    assert one(con, "unpaid_amount", as_of=D(2024, 5, 15)) == 750


def test_a_past_periods_invoices_judged_now(con: duckdb.DuckDBPyConnection) -> None:
    # issued in Q1 (V1 paid 02-10, V3 paid 07-15): at the period end V3 was unpaid; now neither is
    q1 = {"start": D(2024, 1, 1), "end": D(2024, 3, 31), "as_of": D(2024, 3, 31)}
    assert one(con, "unpaid_amount", **q1) == 650
    assert one(con, "unpaid_amount", judged_now=True, **q1) == 0
    # issued 04-01..05-15: V2 only (V3, issued in Q1, is not of this period; V4 is issued 05-20), unpaid now and
    # overdue (due 05-10, before the reference date)
    q2 = {"start": D(2024, 4, 1), "end": D(2024, 5, 15), "as_of": D(2024, 5, 15)}
    res = q(con, metrics=["unpaid_amount", "overdue_amount", "unpaid_invoices"], judged_now=True, **q2)
    assert res.rows == [[100, 100, 1]]
    # issued in Q2 (V2, V4): both unpaid now; overdue before the reference date (06-01): V2 only (V4 due 07-19)
    q2 = {"start": D(2024, 4, 1), "end": D(2024, 6, 30), "as_of": D(2024, 6, 30)}
    res = q(con, metrics=["unpaid_amount", "overdue_amount"], judged_now=True, **q2)
    assert res.rows == [[900, 100]]


def test_a_ranking_is_among_groups_that_have_a_value(con: duckdb.DuckDBPyConnection) -> None:
    # the one inquiry (T2) is about no product: no product category has an inquiry to win with
    args = {"metrics": ["tickets"], "ticket_kind": ["inquiry"], "by": ["category"]}
    assert q(con, **args).rows == [[None, 1]]  # the breakdown shows it as a group of its own
    assert q(con, top=1, **args).rows == []
    # complaints by category: 硬件 (T1, T4) wins; the full list still holds 软件 (T3)
    assert q(con, metrics=["tickets"], ticket_kind=["complaint"], by=["category"], top=1).rows == [["硬件", 2]]


def test_ratio_metric_group_by_group_with_its_parts(con: duckdb.DuckDBPyConnection) -> None:
    """A ratio is each group's numerator over its own denominator, its parts shown after it; the total is the ratio
    of the totals, not a sum of ratios; ranking, top and conditions work on the ratio."""
    res = q(con, metrics=["spend_per_signup"], by=["acquisition_channel"], sort_by="acquisition_channel", order="asc")
    assert res.columns == ["acquisition_channel", "spend_per_signup", "marketing_spend", "signups"]
    for channel, ratio, spend, signups in res.rows:
        assert ratio == (approx(float(spend) / signups) if signups else None), channel
    assert res.figures["totals"]["spend_per_signup"] == approx(2500 / 4)
    top = q(con, metrics=["revenue_per_customer"], by=["customer"], top=1)
    by_customer = {r[0]: float(r[2]) for r in q(con, metrics=["revenue"], by=["customer"]).rows}
    assert top.rows[0][0] == max(by_customer, key=lambda c: by_customer[c])  # one buyer each: the ratio is revenue
    assert top.rows[0][2] == approx(max(by_customer.values())) and top.rows[0][4] == 1
    cheap = q(
        con,
        metrics=["revenue_per_customer"],
        by=["customer"],
        having=[{"metric": "revenue_per_customer", "op": "<", "value": 500}],
    )
    assert {r[0] for r in cheap.rows} == {r[0] for r in q(con, metrics=["revenue"], by=["customer"]).rows if r[2] < 500}
