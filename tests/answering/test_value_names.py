"""English answers name the data's Chinese values in English; the results keep the values as the data holds them."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.answering.answer import result_text
from assistant.answering.formatting import fmt, text_value
from assistant.answering.value_names import english
from assistant.web.turns import table_html
from tools.base import ToolResult


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("华东", "East China"),  # region (the sample vocabulary)
        ("制造业", "Manufacturing"),  # industry
        ("线上", "Online"),  # sales channel
        ("老客户推荐", "Referrals"),  # acquisition channel
        ("办公耗材", "Office supplies"),  # product category
        ("西安", "Xi'an"),  # city, from its alias
        ("微信", "WeChat"),  # contact channel (value_names.yaml)
        ("价格争议", "Price dispute"),  # ticket category
        ("催款", "Payment reminder"),  # contact purpose
        ("华南二组", "South China team 2"),  # a team: its region and number
    ],
)
def test_known_values_have_english_names(value: str, name: str) -> None:
    assert english(value) == name
    assert text_value(value, "en") == name
    assert text_value(value, "zh") == value


@pytest.mark.parametrize("value", ["上海精密机械有限公司", "A4复印纸", "华东九十组", "张伟", "Acme Ltd"])
def test_other_values_are_shown_as_they_are(value: str) -> None:
    # customers, products, a user's own categories: no guessing
    assert english(value) is None
    assert text_value(value, "en") == value


def test_an_english_answer_names_groups_and_filters_in_english_and_keeps_the_data() -> None:
    rows = [["华东", 23_465_553.46], ["华南", 15_157_678.0]]
    result = ToolResult(
        tool="metric_query",
        arguments={"metrics": ["revenue"], "by": ["region"], "channel": ["线上"]},
        as_of=dt.date(2026, 10, 30),
        columns=["region", "revenue"],
        rows=[list(r) for r in rows],
    )
    en = result_text("metric_query", "指标查询:x", "Metric query: x", result, "en", "2026")
    zh = result_text("metric_query", "指标查询:x", "Metric query: x", result, "zh", "2026年")
    assert en.startswith("Revenue by region via Online (2026): East China (23,465,553); South China"), en
    assert "1. East China: revenue 23,465,553" in en
    assert "华东" not in en and "线上" not in en
    assert zh.startswith("2026年,线上的销售额按区域:华东") or "华东(2,346.6万)" in zh, zh
    assert result.rows == rows  # what the JSON and the downloads carry


def test_the_chat_table_shows_the_english_name_and_keeps_the_value_on_hover() -> None:
    html = table_html(["region", "revenue"], [["华东", 1.0], ["某区", 2.0]], "en", "metric_query")
    assert '<td class="named" title="华东">East China</td>' in html
    assert "<td>某区</td>" in html  # a value with no English name: as it is, nothing to hover
    assert "<td>华东</td>" in table_html(["region", "revenue"], [["华东", 1.0]], "zh", "metric_query")
    assert fmt("华东", "region", "en") == "East China"


def test_english_filters_are_named_by_their_kind() -> None:
    from assistant.answering.follow_ups import follow_ups
    from assistant.answering.lead import lead_sentence

    args = {"metrics": ["complaints"], "by": [], "issue_category": ["物流配送"], "region": ["华东"]}
    res = ToolResult(tool="metric_query", arguments=args, as_of=dt.date(2026, 10, 30), columns=["complaints"],
                     rows=[[78]])  # fmt: skip
    assert lead_sentence(res, "en", "2026") == "Complaints in East China about Delivery (2026): 78."
    # a suggestion under an English answer names its filters as the router reads them back, in English
    chips = follow_ups("metric_query", {"metrics": ["customer_count"], "by": [], "city": ["成都"]}, "en")
    assert chips == ["Monthly customers on record in Chengdu", "Customers on record by industry in Chengdu"]
