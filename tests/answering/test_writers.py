"""The writers of analysis answers (assistant/answering/writers.yaml): every tool has one, every view gets a first
sentence, the advice they quote exists, and the first sentence names what plain SQL on the sample warehouse finds.

The label test (test_labels.py) runs the same writers through ``result_text`` in both languages.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.answering.answer import result_text
from assistant.answering.formatting import fmt, text_value
from assistant.answering.names import customer_names
from assistant.answering.writers import advice, table, write
from assistant.capabilities import load_all
from tools import CALCULATORS

REGISTRY = load_all()
# Tools whose answers are written elsewhere: the metric layer's lead (lead.py) and free SQL (no shape to answer).
WRITTEN_ELSEWHERE = {"metric_query", "sql_query"}

_spec = importlib.util.spec_from_file_location("label_cases", Path(__file__).with_name("test_labels.py"))
assert _spec and _spec.loader
_labels = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_labels)
CASES = [(n, a) for n, a in _labels.cases() if REGISTRY[n].module in CALCULATORS and n not in WRITTEN_ELSEWHERE]


def _run(con: duckdb.DuckDBPyConnection, name: str, args: dict[str, Any], lang: str) -> tuple[Any, str]:
    result = REGISTRY[name].run(con, args)
    spec = REGISTRY[name]
    return result, result_text(name, spec.zh, spec.en, result, lang, None, customer_names(con, result))


def first_sentence(text: str, lang: str) -> str:
    end = "。" if lang == "zh" else ". "
    return text.split(end)[0]


def test_every_calculator_has_a_writer() -> None:
    tools = {n for n, s in REGISTRY.items() if s.module in CALCULATORS} - WRITTEN_ELSEWHERE
    assert tools <= set(table()), tools - set(table())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_advice_quotes_a_point_that_exists(lang: str) -> None:
    for tool, variants in table().items():
        if tool.startswith("_"):
            continue  # not a tool: the wording of a contradicted question
        for v in variants:
            how = v.get("advice")
            if how:
                found = advice(how["doc"], how["anchor"], how["item"], lang)
                assert found is not None, (tool, how)
                assert found.snippet and "**" not in found.snippet


@pytest.mark.parametrize(("name", "args"), CASES, ids=[_labels._id(n, a, "") for n, a in CASES])
def test_every_view_answers_first(sample_con: duckdb.DuckDBPyConnection, name: str, args: dict[str, Any]) -> None:
    result = REGISTRY[name].run(sample_con, args)
    if not result.rows:
        pytest.skip("no rows on the sample")
    for lang in ("zh", "en"):
        written = write(result, lang, None, customer_names(sample_con, result))
        assert written is not None and written.lead, (name, args, lang)
        assert written.heading and "{" not in written.heading
        assert not any("{" in s for s in written.lead)


# ---- the first sentence against plain SQL ---------------------------------------------------------------------
REVENUE_BY_CUSTOMER = """
SELECT c.name, sum(i.amount) AS revenue FROM order_items i JOIN orders o USING (order_id)
JOIN customers c USING (customer_id) WHERE o.status = 'completed' GROUP BY c.name ORDER BY revenue DESC LIMIT 1
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_largest_customer_is_named(sample_con: duckdb.DuckDBPyConnection, lang: str) -> None:
    name, revenue = sample_con.execute(REVENUE_BY_CUSTOMER).fetchone()
    _, text = _run(sample_con, "tiers", {"by": "customer"}, lang)
    first = first_sentence(text, lang)
    assert name in first and fmt(revenue, "revenue", lang) in first, first


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_category_with_most_tickets_is_named(sample_con: duckdb.DuckDBPyConnection, lang: str) -> None:
    # tickets of customers who bought (the attention tool's population), by issue category
    category, n = sample_con.execute(
        "SELECT category, count(*) AS n FROM tickets WHERE customer_id IN (SELECT customer_id FROM orders "
        "WHERE status = 'completed') GROUP BY category ORDER BY n DESC, category LIMIT 1"
    ).fetchone()
    _, text = _run(sample_con, "attention", {"view": "by", "dimension": "category"}, lang)
    first = first_sentence(text, lang)
    assert text_value(category, lang) in first and f"{n:,}" in first, first


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_open_ticket_count_is_said(sample_con: duckdb.DuckDBPyConnection, lang: str) -> None:
    (as_of,) = sample_con.execute("SELECT max(order_date) FROM orders").fetchone()
    (n,) = sample_con.execute(
        "SELECT count(*) FROM tickets WHERE CAST(created_at AS DATE) <= ? AND (resolved_at IS NULL "
        "OR CAST(resolved_at AS DATE) > ?) AND customer_id IN (SELECT customer_id FROM orders WHERE status = 'completed')",
        [as_of, as_of],
    ).fetchone()
    result, text = _run(sample_con, "attention", {"view": "backlog"}, lang)
    assert result.as_of == as_of
    first = first_sentence(text, lang)
    assert re.search(rf"(?<![\d,]){n:,}(?![\d,])", first), (n, first)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_region_with_the_best_nps_is_named(sample_con: duckdb.DuckDBPyConnection, lang: str) -> None:
    rows = sample_con.execute(
        "SELECT c.region, 100.0 * (count(*) FILTER (WHERE s.nps >= 9) - count(*) FILTER (WHERE s.nps <= 6)) "
        "/ count(s.nps) AS nps FROM surveys s JOIN customers c USING (customer_id) WHERE s.nps IS NOT NULL "
        "GROUP BY c.region ORDER BY nps DESC"
    ).fetchall()
    _, text = _run(sample_con, "satisfaction", {"view": "by", "dimension": "region"}, lang)
    first = first_sentence(text, lang)
    best, worst = rows[0], rows[-1]
    name = text_value(best[0], lang)  # an English answer names the region in English (East China)
    assert f"{name}({fmt(best[1], 'nps', lang)})" in first.replace(" (", "(") or name in first, first
    assert fmt(best[1], "nps", lang) in first and fmt(worst[1], "nps", lang) in first, first


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_top_category_is_named(sample_con: duckdb.DuckDBPyConnection, lang: str) -> None:
    (category,) = sample_con.execute(
        "SELECT p.category FROM order_items i JOIN orders o USING (order_id) JOIN products p USING (product_id) "
        "WHERE o.status = 'completed' GROUP BY p.category ORDER BY sum(i.amount) DESC LIMIT 1"
    ).fetchone()
    _, text = _run(sample_con, "product_distribution", {}, lang)
    assert text_value(category, lang) in first_sentence(text, lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_change_is_said_with_its_size_and_direction(sample_con: duckdb.DuckDBPyConnection, lang: str) -> None:
    result, text = _run(sample_con, "change_drivers", {}, lang)
    f = result.figures
    base, current = (
        sample_con.execute(
            "SELECT coalesce(sum(i.amount), 0) FROM order_items i JOIN orders o USING (order_id) "
            "WHERE o.status = 'completed' AND o.order_date BETWEEN ? AND ?",
            [start, end],
        ).fetchone()[0]
        for start, end in ((f["base_start"], f["base_end"]), (f["current_start"], f["current_end"]))
    )
    first = first_sentence(text, lang)
    change = float(current) - float(base)
    word = ("增加" if change >= 0 else "减少") if lang == "zh" else ("up" if change >= 0 else "down")
    assert f"{word} {fmt(abs(change), 'revenue', lang)}" in first, first
    assert fmt(current, "revenue", lang) in first, first


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_profile_names_the_customer_and_counts_orders(sample_con: duckdb.DuckDBPyConnection, lang: str) -> None:
    cid, name, orders = sample_con.execute(
        "SELECT o.customer_id, c.name, count(*) FROM orders o JOIN customers c USING (customer_id) "
        "WHERE o.status = 'completed' GROUP BY ALL ORDER BY 3 DESC, 1 LIMIT 1"
    ).fetchone()
    _, text = _run(sample_con, "customer_profile", {"customer_ids": [cid]}, lang)
    first = first_sentence(text, lang)
    assert first.startswith(name) and f"{orders:,}" in first, first


@pytest.mark.parametrize(
    ("lang", "want"),
    [("zh", "**华东 2026年第3季度 按客户的销售额**"), ("en", "**Revenue by customer — East China, Q3 2026**")],
)
def test_a_heading_says_what_was_asked(lang: str, want: str) -> None:
    from tools.base import Chart, ToolResult

    result = ToolResult(
        tool="metric_query",
        arguments={"metrics": ["revenue"], "by": ["customer"], "region": ["华东"]},
        as_of=None,
        columns=["customer_id", "customer_name", "revenue"],
        rows=[["C1", "甲公司", 540_449.0], ["C2", "乙公司", 450_603.0]],
        chart=Chart(
            kind="bar", x="customer_name", y=["revenue"], title_zh="按客户的销售额", title_en="Revenue by customer"
        ),
    )
    text = result_text(
        "metric_query", "指标查询:x", "Metric query: x", result, lang, "2026年第3季度" if lang == "zh" else "Q3 2026"
    )
    assert want in text, text
    assert "指标查询" not in text and "Metric query" not in text
    assert text.startswith(
        "2026年第3季度,华东的销售额按客户:甲公司"
        if lang == "zh"
        else "Revenue by customer in East China (Q3 2026): 甲公司"
    )


@pytest.mark.parametrize(
    ("question", "lang", "starts"),
    [
        ("为什么本季度销售额下滑了", "zh", "并没有下降,反而上升了:"),
        ("why did revenue drop this quarter", "en", "It did not fall; it rose: "),
    ],
)
def test_a_fall_that_was_a_rise_is_said_first(
    sample_con: duckdb.DuckDBPyConnection, question: str, lang: str, starts: str
) -> None:
    result = REGISTRY["change_drivers"].run(sample_con, {})
    change = float(result.figures["change"])
    text = result_text("change_drivers", "x", "x", result, lang, None, {}, question)
    assert text.startswith(starts) == (change > 0), text
    plain = result_text("change_drivers", "x", "x", result, lang, None, {}, "what drove revenue")
    assert not plain.startswith(starts)
