"""Explanations show the whole section when it fits a chat reply, and are never cut mid-sentence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.agent import Assistant
from assistant.answering.conversation import Context
from assistant.answering.execute import EXPLAIN_CHARS, answer_plan, section_text
from assistant.answering.explain import one_explanation
from knowledge.models import Hit
from knowledge.ourdocs import find_section, shipped_documents


@pytest.fixture(scope="module")
def bot(sample_db: Path, knowledge_index: Path) -> Assistant:
    b = Assistant(sample_db, index=knowledge_index, use_llm=False)
    yield b
    b.close()


def test_the_eight_rfm_classes_are_all_named(bot: Assistant) -> None:
    ans = bot.ask("RFM的八类客户分别是什么", Context())
    for name in ("重要价值", "重要发展", "重要保持", "重要挽留", "一般价值", "一般发展", "一般保持", "一般挽留"):
        assert name in ans.answer


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_shipped_section_is_shown_whole_or_cut_at_a_sentence_end(lang: str) -> None:
    for doc in (d for d in shipped_documents() if d.language == lang):
        for s in doc.sections:
            hit = Hit(doc_id=doc.doc_id, title=doc.title, anchor=s.anchor, heading=s.heading, language=lang,
                      snippet="", source=doc.source, score=1.0)  # fmt: skip
            text = section_text(hit)
            if len(s.text.strip()) <= EXPLAIN_CHARS[lang]:
                assert text == s.text.strip()
            else:
                body, _, _ = text.rpartition("\n\n")
                assert s.text.startswith(body) and body.rstrip()[-1] in "。!?!?;;.|", (doc.doc_id, s.anchor, body[-30:])


def test_a_long_passage_is_cut_at_a_sentence_end() -> None:
    sentence = "客户流失率是期初客户中期间内没有再购买的比例。"
    long = sentence * 60  # ~1,400 characters, over the Chinese limit, no paragraph breaks
    hit = Hit(doc_id="x", title="t", anchor="a", heading="h", language="zh", snippet=long, source="s", score=1.0,
              kind="user")  # fmt: skip
    body, _, more = section_text(hit).rpartition("\n\n")
    assert more == "(全文见出处)" and body.endswith("。") and len(body) <= EXPLAIN_CHARS["zh"]
    assert long.startswith(body) and len(body) % len(sentence) == 0


# ---- complete explanations: both parts, two concepts, a real case from the loaded data ---------------------------
def _explained(bot: Assistant, question: str) -> Any:
    """The answer to ``question`` by the router's plan for it as one question (the router's split into parts aside)."""
    plan = bot.router.route(question, Context())
    return answer_plan(question, plan, Context(), bot.toolbox)


@pytest.mark.parametrize(
    ("question", "lang"),
    [("什么是RFM,怎么计算", "zh"), ("What is RFM and how is it computed?", "en")],
)
def test_a_two_part_concept_question_gets_both_parts(bot: Assistant, question: str, lang: str) -> None:
    ans = _explained(bot, question)
    what, how = (find_section("rfm", lang, a) for a in ("what", "how"))
    assert what and how
    assert f"**{what[1].heading}**" in ans.answer and f"**{how[1].heading}**" in ans.answer, ans.answer
    assert ans.answer.index(what[1].heading) < ans.answer.index(how[1].heading)
    assert {("rfm", "what"), ("rfm", "how")} <= {(c.doc, c.section) for c in ans.citations}


@pytest.mark.parametrize(
    ("question", "lang"),
    [("RFM和四类客户有什么区别", "zh"), ("What is the difference between RFM and the four customer types?", "en")],
)
def test_a_difference_shows_both_concepts(bot: Assistant, question: str, lang: str) -> None:
    ans = _explained(bot, question)
    for doc in ("rfm", "customer_types"):
        found = find_section(doc, lang, "what")
        assert found and f"**{found[1].heading}**" in ans.answer, ans.answer


def test_the_two_parts_of_one_concept_are_one_explanation() -> None:
    assert one_explanation("什么是RFM,怎么计算") and one_explanation("what is RFM and how is it computed")
    assert one_explanation("流失率怎么算?用我们的数据举个例子")
    assert not one_explanation("什么是RFM") and not one_explanation("上季度签了几单,回款多少")


@pytest.mark.parametrize(
    ("question", "lang"),
    [("RFM是什么?用我们的数据举个例子", "zh"), ("explain RFM with an example from our data", "en")],
)
def test_an_example_with_our_data_is_a_real_important_value_customer(
    bot: Assistant, sample_con: duckdb.DuckDBPyConnection, question: str, lang: str
) -> None:
    ans = _explained(bot, question)
    head = "**用我们的数据举例**" if lang == "zh" else "**With our data**"
    assert head in ans.answer, ans.answer
    case = ans.answer.split(head)[1]
    assert ans.tool == "rfm" and ans.sql  # computed, with its SQL
    cid = ans.rows[0][ans.columns.index("customer_id")]
    assert ans.rows[0][ans.columns.index("class_zh")] == "重要价值"
    name, orders = sample_con.execute(
        "SELECT c.name, count(*) FILTER (WHERE o.status = 'completed') FROM customers c JOIN orders o "
        "USING (customer_id) WHERE customer_id = ? GROUP BY c.name",
        [cid],
    ).fetchone()
    assert name in case and f"{orders:,}" in case, case
    assert "示例" not in ans.answer.split(head)[0] and "Worked example" not in ans.answer  # not the document's example


LAST_QUARTER_CHURN = """
WITH buys AS (SELECT DISTINCT customer_id, order_date FROM orders WHERE status = 'completed'),
prev AS (SELECT DISTINCT customer_id FROM buys WHERE order_date BETWEEN ? AND ?),
cur AS (SELECT DISTINCT customer_id FROM buys WHERE order_date BETWEEN ? AND ?)
SELECT (SELECT count(*) FROM prev), (SELECT count(*) FROM prev WHERE customer_id NOT IN (SELECT customer_id FROM cur))
"""


@pytest.mark.parametrize(
    ("question", "lang"),
    [("流失率怎么算,用我们的数据举个例子", "zh"), ("how is the churn rate computed? show me with our data", "en")],
)
def test_an_example_with_our_data_is_last_quarters_churn(
    bot: Assistant, sample_con: duckdb.DuckDBPyConnection, question: str, lang: str
) -> None:
    (as_of,) = sample_con.execute("SELECT max(order_date) FROM orders").fetchone()
    q_start = dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    end = q_start - dt.timedelta(days=1)
    start = dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
    prev_end = start - dt.timedelta(days=1)
    prev_start = dt.date(prev_end.year, 3 * ((prev_end.month - 1) // 3) + 1, 1)
    active, churned = sample_con.execute(LAST_QUARTER_CHURN, [prev_start, prev_end, start, end]).fetchone()
    ans = _explained(bot, question)
    head = "**用我们的数据举例**" if lang == "zh" else "**With our data**"
    case = ans.answer.split(head)[1]
    assert f"{churned:,} ÷ {active:,} = {100 * churned / active:.1f}%" in case, case
    assert start.isoformat() in case and end.isoformat() in case


@pytest.mark.parametrize(
    ("question", "lang"),
    [("为什么有的大客户反而让我们亏钱?", "zh"), ("Why do some of our big customers actually lose us money?", "en")],
)
def test_the_best_backed_section_leads_though_another_analysis_is_named(
    bot: Assistant, question: str, lang: str
) -> None:
    # "大客户" names the tiers analysis, but the question is about loss-making customers: profitability's section
    # answers it first, not the tiers' own documents
    ans = _explained(bot, question)
    assert ans.citations and ans.citations[0].doc == "profitability", [(c.doc, c.section) for c in ans.citations]
