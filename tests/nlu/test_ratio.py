"""A share read as a part over its whole (assistant/nlu/ratio.py): the whole's population, the part's qualifiers
added to it, ticket kinds as filters. Questions written for these tests, of the kinds people ask."""

from __future__ import annotations

import pytest

from assistant.nlu.ratio import read_ratio, table
from tools.tables import load

METRICS = load("metrics")["metrics"]


def test_every_population_is_a_metric() -> None:
    assert {p.metric for p in table().populations} <= set(METRICS)


@pytest.mark.parametrize(
    ("question", "part", "whole", "whole_words"),
    [
        ("上个月的订单里取消的占几成", "cancelled_orders", "orders_placed", ["上个月的订单"]),
        ("去年的订单有多少比例是退货", "returns", "orders_placed", ["去年的订单"]),
        ("退货的订单占所有订单的百分之几", "returns", "orders_placed", ["所有订单"]),
        ("what percentage of last quarter's orders were returned", "returns", "orders_placed", ["last quarter's orders"]),
        ("已经付款的发票里,晚于到期日付的占多少", "paid_late_invoices", "paid_invoices", ["已经付款的发票"]),
        ("of the invoices that were paid, how many were paid on time", "paid_on_time_invoices", "paid_invoices",
         ["the invoices that were paid"]),
        ("今年开的发票里逾期的占多大比例", "overdue_invoices", "invoice_count", ["今年开的发票"]),
        ("what share of my accounts bought from us last year", "customers", "customer_count", ["my accounts"]),
        ("华南的客户里有成交的占多少", "customers", "customer_count", ["华南的客户"]),
        ("去年有成交的客户里,下了两单以上的占多少", "repeat_customers", "customers", ["去年有成交的客户"]),
        ("what fraction of the tickets has been resolved", "resolved_tickets", "tickets", ["the tickets"]),
    ],
)  # fmt: skip
def test_the_part_is_the_whole_with_more_qualifiers(
    question: str, part: str, whole: str, whole_words: list[str]
) -> None:
    q = question.lower() if question.isascii() else question
    r = read_ratio(q)
    assert r is not None and (r.part, r.whole) == (part, whole)
    assert [q[s:e] for s, e in r.whole_spans] == whole_words


def test_a_ticket_kind_is_a_filter_on_both_sides_or_on_the_part() -> None:
    both = read_ratio("咨询工单里已经解决的占几成")
    assert both is not None and (both.part, both.whole) == ("resolved_tickets", "tickets")
    assert both.filters == {"ticket_kind": ["inquiry"]} and not both.part_filters
    part = read_ratio("what share of our tickets are suggestions (rather than complaints)")
    assert part is not None and (part.part, part.whole) == ("tickets", "tickets")
    assert part.part_filters == {"ticket_kind": ["suggestion"]}  # the kind named first


def test_no_whole_named_is_no_ratio_and_no_population_is_left_to_the_router() -> None:
    assert read_ratio("今年的退货率") is None
    r = read_ratio("华东今年的销售额占全公司的几成")
    assert r is not None and r.part is None and r.whole is None
