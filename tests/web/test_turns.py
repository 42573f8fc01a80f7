"""An answer as chat messages: readable headers, formatted cells with raw values, "show all", the chips."""

from __future__ import annotations

import re

from assistant.web.turns import SHOWN_ROWS, messages, shown_columns, table_html

ANS = {
    "question": "华东区今年销售额前十的客户",
    "language": "zh",
    "answer": "华东销售额按客户:甲(137.1万)等。\n\n**华东 2026年 按客户的销售额**\n\n前 2 行(共 2 行):\n1. 甲:销售额 137.1万\n2. 乙:销售额 3万",
    "tool": "metric_query",
    "arguments": {"metrics": ["revenue"], "by": ["customer"]},
    "as_of": "2026-10-30",
    "data": {
        "columns": ["customer", "customer_name", "revenue"],
        "rows": [["C1", "甲", 1371397.78], ["C2", "乙", 30000]],
    },
    "sql": ["SELECT 1"],
    "chart": {"kind": "bar", "x": "customer_name", "y": "revenue", "title_zh": "按客户的销售额", "title_en": ""},
    "notices": ["注意"],
    "citations": [],
    "suggestions": [],
    "follow_ups": ["2026年每月的销售额"],
}


def test_headers_are_labels_cells_are_formatted_and_raw_values_kept() -> None:
    html = table_html(ANS["data"]["columns"], ANS["data"]["rows"], "zh", "metric_query")
    assert re.findall(r"<th[^>]*>([^<]*)</th>", html) == ["客户", "客户名称", "销售额"]
    assert '<td class="num" title="1371397.78">137.1万</td>' in html
    en = table_html(ANS["data"]["columns"], ANS["data"]["rows"], "en", "metric_query")
    assert re.findall(r"<th[^>]*>([^<]*)</th>", en) == ["Customer", "Customer name", "Revenue"]
    assert ">1,371,398<" in en


def test_long_tables_show_the_first_rows_and_hide_the_rest_behind_show_all() -> None:
    rows = [[f"C{i}", f"客户{i}", float(i)] for i in range(25)]
    html = table_html(["customer", "customer_name", "revenue"], rows, "zh")
    assert html.count('<tr class="more">') == 25 - SHOWN_ROWS and "显示全部 25 行" in html
    assert "more-rows" not in table_html(["customer"], [["C1"]], "zh")


def test_text_is_escaped() -> None:
    html = table_html(["customer_name"], [["<script>alert(1)</script>"]], "zh")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_only_the_readers_half_of_a_bilingual_pair_is_shown() -> None:
    cols = ["class_zh", "class_en", "customers"]
    assert shown_columns(cols, "zh") == [0, 2] and shown_columns(cols, "en") == [1, 2]
    assert shown_columns(["segment", "segment_en"], "en") == [1]


def test_an_answer_becomes_text_with_its_table_a_chart_how_and_chips() -> None:
    out = messages(ANS, files=["/tmp/x/answer.csv"])
    text = out[0]["content"]
    assert "ans-table" in text and "> 注意" in text
    assert "1. 甲" not in text  # the text's own row list gives way to the table
    assert out[1]["content"].__class__.__name__ == "Plot"
    assert out[2]["content"]["path"] == "/tmp/x/answer.csv"
    how = next(m for m in out if m.get("metadata"))
    assert how["metadata"]["title"] == "计算过程" and "metric_query" in how["content"] and "SELECT 1" in how["content"]
    assert how["content"].count("2026-10-30") == 1
    assert out[-1]["options"] == [{"value": "2026年每月的销售额", "label": "2026年每月的销售额"}]


def test_a_clarification_offers_its_readings_as_chips_and_has_no_table() -> None:
    ans = {"language": "en", "answer": "Did you mean…", "tool": None, "data": {}, "suggestions": ["revenue by city"]}
    out = messages(ans)
    assert "ans-table" not in out[0]["content"] and not any(m.get("metadata") for m in out)
    assert out[-1]["options"][0]["value"] == "revenue by city" and len(out) == 1


def test_a_charts_words_are_in_the_readers_language() -> None:
    from assistant.web.views import figure

    fig = figure(ANS)
    assert fig.layout.title.text == "按客户的销售额"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("客户名称", "销售额")
    rfm = {
        "language": "en",
        "tool": "rfm",
        "data": {"columns": ["class_zh", "class_en", "customers"], "rows": [["重要价值", "Important value", 3]] * 2},
        "chart": {"kind": "bar", "x": "class_zh", "y": "customers", "title_zh": "RFM 分群客户数", "title_en": ""},
    }
    fig = figure(rfm)
    assert list(fig.data[0].x) == ["Important value"] * 2 and "Important value" not in fig.layout.title.text
    mixed = {
        **ANS,
        "data": {"columns": ["month", "revenue", "orders"], "rows": [["2026-01", 5.0, 2], ["2026-02", 6.0, 3]]},
    }
    mixed["chart"] = {"kind": "line", "x": "month", "y": ["revenue", "orders"], "title_zh": "", "title_en": ""}
    fig = figure(mixed)  # an amount and a count are not drawn on one axis
    assert len(fig.data) == 1 and list(fig.data[0].x) == ["2026-01", "2026-02"]


def test_a_part_without_rows_keeps_the_numbering_of_the_others() -> None:
    first = {**ANS, "data": {"columns": [], "rows": []}, "tool": "search_docs"}
    ans = {**ANS, "answer": "**1.** 概念\n\n**2.** 数字\n\n**3.** 数字", "parts": [first, ANS, ANS]}
    text = messages(ans)[0]["content"]
    assert "**第 2 部分**" in text and "**第 3 部分**" in text and "第 1 部分" not in text
