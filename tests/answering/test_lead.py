"""The first sentence of a metric answer, per shape, in both languages, from hand-built results."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from assistant.answering.lead import lead_sentence
from tools.base import ToolResult


def result(args: dict[str, Any], columns: list[str], rows: list[list[Any]]) -> ToolResult:
    return ToolResult(tool="metric_query", arguments=args, as_of=dt.date(2026, 10, 30), columns=columns, rows=rows)


CASES = [
    # (arguments, columns, rows, period, zh, en)
    (  # two periods side by side (this year to date beside last year): the later against the earlier
        {"metrics": ["revenue"], "by": ["year"], "start": "2025-01-01"},
        ["year", "revenue"],
        [[2025, 1_000_000.0], [2026, 1_200_000.0]],
        (None, None),
        "销售额:2026 120.0万,2025 100.0万;2026比2025增加 20.0%。",
        "Revenue: 2026 1,200,000, 2025 1,000,000; 2026 is up 20.0% on 2025.",
    ),
    (  # a percentage moves in points, never by a percentage of itself
        {"metrics": ["gross_margin"], "by": ["year"]},
        ["year", "gross_margin"],
        [[2025, 36.5], [2026, 34.0]],
        (None, None),
        "毛利率:2026 34.0%,2025 36.5%;2026比2025低 2.5 个点。",
        "Gross margin: 2026 34.0%, 2025 36.5%; 2026 is down 2.5 points on 2025.",
    ),
    (
        {"metrics": ["revenue"], "by": [], "region": ["华东"]},
        ["revenue"],
        [[23_465_553.46]],
        ("2026年", "2026"),
        "2026年,华东的销售额 2,346.6万。",
        "Revenue in East China (2026): 23,465,553.",
    ),
    (
        {"metrics": ["revenue"], "by": [], "compare": "same_period_last_year"},
        ["revenue", "revenue_previous", "revenue_change", "revenue_change_pct"],
        [[120.0, 100.0, 20.0, 20.0]],
        (None, None),
        "销售额 120,比去年同期(100)增长 20.0%。",
        "Revenue: 120, up 20.0% on the same period last year (100).",
    ),
    (
        {"metrics": ["revenue"], "by": ["rep"], "top": 1},
        ["rep", "rep_name", "revenue"],
        [["R001", "李娜", 517_000.0]],
        ("2026年9月", "September 2026"),
        "2026年9月销售额最高的负责销售是李娜(51.7万)。",
        "The sales rep with the highest revenue (September 2026) is 李娜 (517,000).",
    ),
    (
        {"metrics": ["orders"], "by": ["month"]},
        ["month", "orders"],
        [["2026-01", 500], ["2026-02", 412], ["2026-03", 848]],
        (None, None),
        "订单数按月:最高 2026-03(848),最低 2026-02(412),最近一期 2026-03(848)。",
        "Orders by month: highest 2026-03 (848), lowest 2026-02 (412), latest 2026-03 (848).",
    ),
    (
        {
            "metrics": ["revenue"],
            "by": ["customer"],
            "region": ["华东"],
            "having": [{"metric": "days_since_last_order", "op": ">", "value": 90}],
        },
        ["customer", "customer_name", "revenue"],
        [["C1", "甲", 5.0], ["C2", "乙", 3.0]],
        ("2026年", "2026"),
        "2026年,距上次下单天数超过 90 的客户共 2 个(华东)。",  # the condition in words, the filters after it
        "2 customers have days since last order over 90 (East China) (2026).",
    ),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("args", "columns", "rows", "period", "zh", "en"), CASES)
def test_lead_sentences(args: dict[str, Any], columns: list[str], rows: list[list[Any]], period: tuple[Any, Any],
                        zh: str, en: str, lang: str) -> None:  # fmt: skip
    text = lead_sentence(result(args, columns, rows), lang, period[0 if lang == "zh" else 1])
    assert text == (zh if lang == "zh" else en)


def test_a_ranking_names_the_first_five_and_the_rest(lang: str = "zh") -> None:
    rows = [[f"C{i}", f"客户{i}", 100.0 - i] for i in range(8)]
    text = lead_sentence(
        result({"metrics": ["revenue"], "by": ["customer"]}, ["customer", "customer_name", "revenue"], rows), "zh", None
    )
    assert text is not None and text.startswith("销售额按客户:客户0(100)") and "客户4" in text and "客户5" not in text
    assert text.endswith("等 8 个。")


def test_shares_are_said_with_their_group() -> None:
    res = result({"metrics": ["revenue"], "by": ["channel"], "share": True}, ["channel", "revenue", "revenue_share"],
                 [["线上", 334.0, 0.334], ["直销", 273.0, 0.273]])  # fmt: skip
    assert "线上(334,占 33.4%)" in (lead_sentence(res, "zh", None) or "")
    assert "Online (334, 33.4% of the total)" in (lead_sentence(res, "en", None) or "")


def test_a_share_of_one_value_names_it_first_then_the_others() -> None:
    res = result({"metrics": ["revenue"], "by": ["channel"], "share": True, "focus": ["直销"]},
                 ["channel", "revenue", "revenue_share"], [["线上", 334.0, 0.334], ["直销", 273.0, 0.273]])  # fmt: skip
    assert lead_sentence(res, "zh", None) == "销售额:直销(273,占 27.3%)。其他销售渠道:线上(334,占 33.4%)。"
    assert lead_sentence(res, "en", None) == (
        "Revenue: Direct sales (273, 27.3% of the total). Others: Online (334, 33.4% of the total)."
    )


def test_no_sentence_for_other_tools_or_empty_results() -> None:
    assert (
        lead_sentence(ToolResult(tool="rfm", arguments={"metrics": ["revenue"]}, as_of=None, rows=[[1]]), "zh", None)
        is None
    )
    assert lead_sentence(result({"metrics": ["revenue"], "by": []}, ["revenue"], []), "zh", None) is None


def test_a_truncated_list_is_not_counted_as_its_rows() -> None:
    res = result({"metrics": ["revenue"], "by": ["customer"], "having": [{"metric": "revenue", "op": ">", "value": 1}]},
                 ["customer", "customer_name", "revenue"], [["C1", "甲", 5.0], ["C2", "乙", 3.0]])  # fmt: skip
    res.figures["truncated"] = True
    assert lead_sentence(res, "zh", None) == "销售额超过 1 的客户超过 2 个,下表只列出前 2 个。"
    assert lead_sentence(res, "en", None) == "More than 2 customers have revenue over 1; the table shows the first 2."


def test_a_share_says_the_share_then_both_figures() -> None:
    args = {"metrics": ["returns"], "by": [], "share_of": {"metric": "orders_placed", "drop": []}}
    res = result(args, ["returns", "whole_orders_placed", "returns_share"], [[236, 7579, 236 / 7579]])
    assert (
        lead_sentence(res, "zh", "2026年") == "2026年,退货单数占全部订单数的 3.1%:全部订单数 7,579,其中退货单数 236。"
    )
    assert lead_sentence(res, "en", "2026") == "Returned orders as a share of all orders (2026): 3.1% (236 of 7,579)."


def test_the_parts_own_filter_names_the_part_and_the_rest_the_whole() -> None:
    args = {"metrics": ["revenue"], "by": [], "region": ["华东"], "rep_id": ["R001"],
            "share_of": {"metric": "revenue", "drop": ["rep_id"]}}  # fmt: skip
    res = result(args, ["revenue", "whole_revenue", "revenue_share"], [[3_884_000.0, 23_466_000.0, 0.1655]])
    assert lead_sentence(res, "zh", None) == (
        "R001 负责的客户的销售额占华东全部销售额的 16.6%:华东全部销售额 2,346.6万,其中R001 负责的客户的销售额 388.4万。"
    )


def test_the_top_rows_together_come_first() -> None:
    args = {"metrics": ["revenue"], "by": ["customer"], "top": 2, "share": True}
    res = result(args, ["customer", "customer_name", "revenue", "revenue_share"],
                 [["C1", "甲", 600.0, 0.3], ["C2", "乙", 400.0, 0.2]])  # fmt: skip
    res.figures["top_share"] = {"metric": "revenue", "n": 2, "value": 1000.0, "total": 2000.0, "share": 0.5}
    assert lead_sentence(res, "zh", "2026年") == "2026年销售额前 2 的客户合计 1,000,占全部(2,000)的 50.0%。"
    assert lead_sentence(res, "en", "2026") == (
        "The top 2 customers by revenue (2026) together: 1,000, 50.0% of the total (2,000)."
    )


def test_a_duration_says_its_unit_and_days_when_over_a_day() -> None:
    res = result({"metrics": ["avg_resolution_hours"], "by": []}, ["avg_resolution_hours"], [[62.3]])
    assert lead_sentence(res, "zh", None) == "平均处理时长 62.3 小时(约 2.6 天)。"
    assert lead_sentence(res, "en", None) == "Average resolution time: 62.3 hours (about 2.6 days)."
