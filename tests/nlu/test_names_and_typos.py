"""Names the router must recognise beyond exact values: pinyin rep names, customers whose name starts
with a city or is a 3-character person name, contextual segment words, typos; and the customer search's
fragment rules (common words are not names, explained words are skipped)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from assistant.nlu.entities import EntityIndex, find_customers
from assistant.nlu.timeparse import find_comparison, find_period
from assistant.router.phrases import correct


@pytest.fixture
def con(empty_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    c = empty_con
    c.execute(
        "INSERT INTO sales_reps VALUES ('R001', '张伟', '华东', '华东一组', '2020-01-01'), "
        "('R002', '吕丽', '华北', '华北一组', '2021-01-01')"
    )
    c.execute(
        """INSERT INTO customers VALUES
        ('C000001', '青岛宇瑞机械有限公司', '华东', '青岛', '制造业', '中型', '展会', '2023-01-01', 'R001', 50000),
        ('C000002', '贵阳宇瑞机械有限公司', '西南', '贵阳', '制造业', '小型', '展会', '2023-01-01', 'R001', 50000),
        ('C000003', '关辉鹏', '华北', '北京', '个人消费者', '个人', '线上推广', '2023-02-01', 'R002', 1000),
        ('C000004', '上海华信科技有限公司', '华东', '上海', '信息技术', '大型', '展会', '2023-01-01', 'R001', 50000),
        ('C000005', '北京华信科技有限公司', '华北', '北京', '信息技术', '大型', '展会', '2023-01-01', 'R002', 50000),
        ('C000006', '杭州华信科技有限公司', '华东', '杭州', '信息技术', '大型', '展会', '2023-01-01', 'R001', 50000),
        ('C000007', '南京华信科技有限公司', '华东', '南京', '信息技术', '大型', '展会', '2023-01-01', 'R001', 50000)"""
    )
    return c


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("青岛宇瑞机械最近买了啥", ["C000001"]),  # the city starts the name
        ("宇瑞机械", ["C000001", "C000002"]),  # a fragment two customers share: both
        ("关辉鹏这个客户怎么样", ["C000003"]),  # a person's full 3-character name
        ("华信科技的客户", []),  # in four names: a common word, not a name
        ("上海华信科技", ["C000004"]),
        ("关辉今年的销售额", []),  # a 2-character fragment is too short
    ],
)
def test_customer_names(con: duckdb.DuckDBPyConnection, text: str, ids: list[str]) -> None:
    assert sorted(c.value for c in find_customers(con, text)) == ids


def test_explained_words_are_not_searched(con: duckdb.DuckDBPyConnection) -> None:
    text = "青岛宇瑞机械的销售额"
    assert [c.value for c in find_customers(con, text, skip=[(0, 6)])] == []
    assert [c.value for c in find_customers(con, text, skip=[(7, 10)])] == ["C000001"]


@pytest.mark.parametrize(
    ("text", "rep"),
    [
        ("how much did Zhang Wei's accounts buy", "R001"),
        ("revenue of zhangwei", "R001"),
        ("customers of Wei Zhang", "R001"),
        ("Lu Li's customers", "R002"),  # ü written as u
        ("zhang's accounts", None),  # a surname alone is not a person
    ],
)
def test_reps_by_pinyin(con: duckdb.DuckDBPyConnection, text: str, rep: str | None) -> None:
    pytest.importorskip("pypinyin")
    found = [e.value for e in EntityIndex.from_warehouse(con).find_pinyin(text)]
    assert found == ([rep] if rep else [])


def test_contextual_segment_words_only_on_request(con: duckdb.DuckDBPyConnection) -> None:
    index = EntityIndex.from_warehouse(con)
    assert [e.kind for e in index.find("只看大客户")] == []  # "大客户" is the tiers analysis by default
    assert [(e.kind, e.value) for e in index.find_contextual("只看大客户")] == [("size", "大型")]


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("revnue by region", "revenue by region"),
        ("top 10 custmers", "top 10 customers"),
        ("今年消售额", "今年销售额"),
        ("show me the stores", "show me the stores"),  # real words stay
        ("whats the nps", "whats the nps"),  # short words are not touched
    ],
)
def test_typos(text: str, fixed: str) -> None:
    assert correct(text) == fixed


REF = dt.date(2026, 10, 30)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("去年双十一那个月卖了多少", ("2025-11-01", "2025-11-30")),
        ("sales in December 2024", ("2024-12-01", "2024-12-31")),
        ("new customers in the first half of this year", ("2026-01-01", "2026-06-30")),
        ("上半年销售额", ("2026-01-01", "2026-06-30")),
        ("去年12月到今年3月的销售额", ("2025-12-01", "2026-03-31")),
        ("近半年各渠道销售额", ("2026-05-01", "2026-10-30")),
    ],
)
def test_more_periods(text: str, span: tuple[str, str]) -> None:
    m = find_period(text, REF)
    assert m is not None and m.period.span() == span


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("orders last month compared with the month before", "previous_period"),
        ("去年新客户数比前年多了多少", "same_period_last_year"),
        ("各大区今年销售额跟去年同期比怎么样", "same_period_last_year"),
        ("revenue in the previous month", None),  # a period, not a comparison
    ],
)
def test_more_comparisons(text: str, kind: str | None) -> None:
    assert find_comparison(text) == kind


def test_many_matching_names_take_the_counting_path(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a tiny row budget the search must count fragments in SQL first; the answers stay the same.
    import assistant.nlu.entities as entities

    monkeypatch.setattr(entities, "MAX_ROWS_PER_SCAN", 1)
    monkeypatch.setattr(entities, "MAX_HITS_PER_SEED", 2)
    assert [c.value for c in find_customers(con, "上海华信科技的订单")] == ["C000004"]
    assert [c.value for c in find_customers(con, "华信科技的订单")] == []  # in 4 names: common
    assert sorted(c.value for c in find_customers(con, "宇瑞机械")) == ["C000001", "C000002"]
