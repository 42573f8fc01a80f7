"""Time expressions: a table of Chinese and English phrasings with hand-worked periods (reference 2026-10-30, a Friday)."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.nlu.timeparse import find_all_periods, find_comparison, find_period

REF = dt.date(2026, 10, 30)

CASES = [
    # Chinese, relative
    ("今年销售额", "2026-01-01", "2026-10-30"),
    ("去年的客户", "2025-01-01", "2025-12-31"),
    ("前年", "2024-01-01", "2024-12-31"),
    ("本季度客户经营情况总结", "2026-10-01", "2026-10-30"),
    ("这个季度", "2026-10-01", "2026-10-30"),
    ("上季度的销售额和毛利", "2026-07-01", "2026-09-30"),
    ("上个季度", "2026-07-01", "2026-09-30"),
    ("本月新客户", "2026-10-01", "2026-10-30"),
    ("上个月", "2026-09-01", "2026-09-30"),
    ("上月", "2026-09-01", "2026-09-30"),
    ("最近90天", "2026-08-02", "2026-10-30"),
    ("近30天的投诉", "2026-10-01", "2026-10-30"),
    ("过去三个月", "2026-07-31", "2026-10-30"),
    ("最近两个季度", "2026-05-01", "2026-10-30"),
    ("近一年", "2025-10-31", "2026-10-30"),
    ("最近一周", "2026-10-24", "2026-10-30"),
    ("本周", "2026-10-26", "2026-10-30"),
    ("上周", "2026-10-19", "2026-10-25"),
    ("今年以来", "2026-01-01", "2026-10-30"),
    ("年初至今", "2026-01-01", "2026-10-30"),
    ("今年上半年", "2026-01-01", "2026-06-30"),
    ("去年下半年", "2025-07-01", "2025-12-31"),
    ("昨天", "2026-10-29", "2026-10-29"),
    # Chinese, absolute
    ("2024年", "2024-01-01", "2024-12-31"),
    ("2024年Q3", "2024-07-01", "2024-09-30"),
    ("2024年第三季度", "2024-07-01", "2024-09-30"),
    ("2025年三季度", "2025-07-01", "2025-09-30"),
    ("2024Q1", "2024-01-01", "2024-03-31"),
    ("2024年1月", "2024-01-01", "2024-01-31"),
    ("2024年2月份", "2024-02-01", "2024-02-29"),
    ("2024年1月到6月", "2024-01-01", "2024-06-30"),
    ("2024年1月至2025年3月", "2024-01-01", "2025-03-31"),
    ("2024年1-6月", "2024-01-01", "2024-06-30"),
    ("2024-01-05到2024-03-31", "2024-01-05", "2024-03-31"),
    ("从2024/1/5至2024/2/10", "2024-01-05", "2024-02-10"),
    ("2025年上半年", "2025-01-01", "2025-06-30"),
    ("3月以来", "2026-03-01", "2026-10-30"),
    ("自十一月以来", "2025-11-01", "2026-10-30"),
    ("2025年以来", "2025-01-01", "2026-10-30"),
    # since a day: the day named, up to the reference date; with no year, the last such day on or before it
    ("从2025年3月15日起到现在的订单", "2025-03-15", "2026-10-30"),
    ("8月1号以来", "2026-08-01", "2026-10-30"),
    ("12月10日至今", "2025-12-10", "2026-10-30"),
    ("after the start of 2025", "2025-01-01", "2026-10-30"),
    ("9月份的订单", "2026-09-01", "2026-09-30"),
    ("12月", "2025-12-01", "2025-12-31"),
    ("第二季度", "2026-04-01", "2026-06-30"),
    ("Q4", "2026-10-01", "2026-10-30"),  # the running quarter, to date
    # English
    ("this year", "2026-01-01", "2026-10-30"),
    ("revenue last year", "2025-01-01", "2025-12-31"),
    ("this quarter", "2026-10-01", "2026-10-30"),
    ("top 10 customers by revenue last quarter", "2026-07-01", "2026-09-30"),
    ("this month", "2026-10-01", "2026-10-30"),
    ("last month", "2026-09-01", "2026-09-30"),
    ("the past 90 days", "2026-08-02", "2026-10-30"),
    ("in the last 30 days", "2026-10-01", "2026-10-30"),
    ("over the past six months", "2026-05-01", "2026-10-30"),
    ("last 2 weeks", "2026-10-17", "2026-10-30"),
    ("past 12 months", "2025-10-31", "2026-10-30"),
    ("year to date", "2026-01-01", "2026-10-30"),
    ("YTD revenue", "2026-01-01", "2026-10-30"),
    ("since March", "2026-03-01", "2026-10-30"),
    ("since November", "2025-11-01", "2026-10-30"),
    ("since 2025", "2025-01-01", "2026-10-30"),
    ("Q3 2024", "2024-07-01", "2024-09-30"),
    ("2024 Q2", "2024-04-01", "2024-06-30"),
    ("in 2024", "2024-01-01", "2024-12-31"),
    ("March 2025", "2025-03-01", "2025-03-31"),
    ("Sep 2025", "2025-09-01", "2025-09-30"),
    ("from January to June 2024", "2024-01-01", "2024-06-30"),
    ("between 2024-01-01 and 2024-03-31", "2024-01-01", "2024-03-31"),
    ("H1 2025", "2025-01-01", "2025-06-30"),
    ("first half of 2025", "2025-01-01", "2025-06-30"),
    ("last week", "2026-10-19", "2026-10-25"),
    ("in March", "2026-03-01", "2026-03-31"),
    # the first quarters of a year (前三季度 is Q1–Q3 in business Chinese, not the last three quarters)
    ("今年前三季度销售额", "2026-01-01", "2026-09-30"),
    ("去年前三个季度", "2025-01-01", "2025-09-30"),
    ("2024年前两季度", "2024-01-01", "2024-06-30"),
    ("一到三季度", "2026-01-01", "2026-09-30"),
    ("去年2-4季度", "2025-04-01", "2025-12-31"),
    ("Q1-Q3 2025", "2025-01-01", "2025-09-30"),
    ("Q2 through Q4", "2026-04-01", "2026-10-30"),
    ("the first three quarters of last year", "2025-01-01", "2025-09-30"),
    ("first 2 quarters of 2024", "2024-01-01", "2024-06-30"),
    # a quarter or month of a year named relatively
    ("去年三季度", "2025-07-01", "2025-09-30"),
    ("去年第四季度", "2025-10-01", "2025-12-31"),
    ("今年Q4", "2026-10-01", "2026-10-30"),
    ("去年9月份的回款", "2025-09-01", "2025-09-30"),
    ("今年十月", "2026-10-01", "2026-10-30"),
    ("Q3 of last year", "2025-07-01", "2025-09-30"),
    ("Q2 this year", "2026-04-01", "2026-06-30"),
    ("last year's Q1", "2025-01-01", "2025-03-31"),
    ("June of last year", "2025-06-01", "2025-06-30"),
    ("this year's March", "2026-03-01", "2026-03-31"),
    # a month named alone in English: the most recent one
    ("How many complaints came in during September?", "2026-09-01", "2026-09-30"),
    ("December revenue", "2025-12-01", "2025-12-31"),
    ("for May", "2026-05-01", "2026-05-31"),
    # a year up to now
    ("2024到现在每年的销售额", "2024-01-01", "2026-10-30"),
    ("从2025年至今", "2025-01-01", "2026-10-30"),
    ("revenue from 2024 to date", "2024-01-01", "2026-10-30"),
    ("Which products have we launched since the start of 2025?", "2025-01-01", "2026-10-30"),
    ("products launched from 2025 onwards", "2025-01-01", "2026-10-30"),
    ("2025年起上市的产品", "2025-01-01", "2026-10-30"),
    ("去年以来上市的新品", "2025-01-01", "2026-10-30"),
    # a range of quarters whose first carries its own 季度 (round 7)
    ("西南区去年一季度到三季度每季度的订单", "2025-01-01", "2025-09-30"),
    ("2024年第二季度至第四季度", "2024-04-01", "2024-12-31"),
    # a span of whole years (the running one to the reference date); "or" names both
    ("每年的订单数,2023到2024", "2023-01-01", "2024-12-31"),
    ("invoices issued in 2024 or 2025", "2024-01-01", "2025-12-31"),
    ("from 2025 through 2026", "2025-01-01", "2026-10-30"),
    ("2024年至2025年各季度的回款", "2024-01-01", "2025-12-31"),
    # …but a change between two years compares them: the first year alone here, the comparison elsewhere
    ("从2024到2025年回款增长了多少", "2024-01-01", "2024-12-31"),
    # a holiday on a fixed date with its month said: that month, the latest one
    ("国庆那个月的回款", "2026-10-01", "2026-10-30"),
    ("去年五一当月的订单", "2025-05-01", "2025-05-31"),
    ("元旦所在月份的销售额", "2026-01-01", "2026-01-31"),
]


@pytest.mark.parametrize(("text", "start", "end"), CASES)
def test_period(text: str, start: str, end: str) -> None:
    m = find_period(text, REF)
    assert m is not None, text
    assert m.period.span() == (start, end)
    assert text[m.start : m.end] == m.text


@pytest.mark.parametrize(
    "text",
    [
        "华东区销售额前十的客户",
        "which of my customers are at risk?",
        "张伟负责的客户",
        "RFM 是什么",
        "客户数",
        "top 10 customers",
        "2024年13月",
        "may I see the revenue by region",  # "may" is a month only after a preposition
        "we may lose them",
    ],
)
def test_no_period(text: str) -> None:
    m = find_period(text, REF)
    assert m is None or (text == "2024年13月" and m.period.grain == "year"), (text, m)


def test_previous_period_of_a_full_month_is_the_month_before() -> None:
    p = find_period("2024年3月", REF).period
    assert p.previous().span() == ("2024-02-01", "2024-02-29")
    assert p.same_period_last_year().span() == ("2023-03-01", "2023-03-31")


def test_previous_period_of_a_running_quarter_is_the_same_stretch() -> None:
    p = find_period("本季度", REF).period  # 2026-10-01..2026-10-30
    assert p.previous().span() == ("2026-07-01", "2026-07-30")
    assert p.same_period_last_year().span() == ("2025-10-01", "2025-10-30")


def test_previous_of_a_rolling_window_is_the_window_before() -> None:
    p = find_period("最近30天", REF).period
    assert p.previous().span() == ("2026-09-01", "2026-09-30")


def test_several_periods_left_to_right() -> None:
    found = find_all_periods("2025年和2024年的销售额对比", REF)
    assert [m.period.span()[0] for m in found] == ["2025-01-01", "2024-01-01"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("销售额同比增长多少", "same_period_last_year"),
        ("和去年同期比", "same_period_last_year"),
        ("revenue year over year", "same_period_last_year"),
        ("环比变化", "previous_period"),
        ("revenue vs last month", "previous_period"),
        ("客户数", None),
        ("mommy", None),
        # the period before, however it is worded
        ("华东区上个季度的销售额跟再前一个季度比", "previous_period"),
        ("这个月和上一期相比", "previous_period"),
        ("revenue against the prior quarter", "previous_period"),
        ("last quarter compared with the previous quarter", "previous_period"),
        ("比前几个月", None),
        ("上季度的销售额和去年同季度相比", "same_period_last_year"),
        ("九月和上年同月比", "same_period_last_year"),
        ("revenue this quarter vs the same quarter last year", "same_period_last_year"),
    ],
)
def test_comparison_words(text: str, kind: str | None) -> None:
    assert find_comparison(text) == kind


def test_a_quarter_written_q3_next_to_chinese() -> None:
    found = find_period("Q3里软件服务占了多少", dt.date(2026, 10, 30))
    assert found is not None and found.period.start == dt.date(2026, 7, 1)


@pytest.mark.parametrize("text", ["YTD销售额", "last quarter的销售额", "Q3的订单"])
def test_english_periods_inside_chinese_text(text: str) -> None:
    assert find_period(text, dt.date(2026, 10, 30)) is not None
