"""The assistant end to end, no LLM: real DuckDB file, real Chroma index, answers checked against plain SQL."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from assistant.agent import Assistant
from assistant.answering.conversation import Context

KEYS = {
    "question",
    "language",
    "answer",
    "tool",
    "arguments",
    "data",
    "sql",
    "citations",
    "chart",
    "notices",
    "elapsed_ms",
}


@pytest.fixture(scope="module")
def bot(sample_db: Path, knowledge_index: Path) -> Assistant:
    return Assistant(sample_db, index=knowledge_index)


def test_top_customers_match_plain_sql(bot: Assistant, sample_db: Path) -> None:
    ans = bot.ask("华东区今年销售额前十的客户").to_json()
    assert KEYS <= set(ans)
    assert ans["language"] == "zh" and ans["tool"] == "metric_query"
    con = duckdb.connect(str(sample_db), read_only=True)
    last = con.execute("SELECT max(order_date) FROM orders").fetchone()[0]
    expected = con.execute(
        """SELECT c.customer_id, round(sum(oi.amount), 2) FROM customers c JOIN orders o USING (customer_id)
           JOIN order_items oi USING (order_id)
           WHERE c.region = '华东' AND o.status = 'completed' AND o.order_date BETWEEN make_date(year($d), 1, 1) AND $d
           GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10""",
        {"d": last},
    ).fetchall()
    con.close()
    cols = ans["data"]["columns"]
    got = [(r[cols.index("customer")], round(r[cols.index("revenue")], 2)) for r in ans["data"]["rows"]]
    assert got == [(cid, float(rev)) for cid, rev in expected]
    first_name = ans["data"]["rows"][0][cols.index("customer_name")]
    assert first_name in ans["answer"]
    assert ans["sql"] and ans["arguments"]["region"] == ["华东"]
    assert ans["chart"]["kind"] == "bar"


def test_english_question_gets_an_english_answer(bot: Assistant) -> None:
    ans = bot.ask("revenue by region last quarter").to_json()
    assert ans["language"] == "en" and ans["tool"] == "metric_query"
    assert "revenue" in ans["answer"].lower() and not re.search(r"[\u4e00-\u9fff]{4,}", ans["answer"].split("\n")[0])


def test_explanations_cite_the_documents(bot: Assistant) -> None:
    ans = bot.ask("什么是RFM?").to_json()
    assert ans["tool"] is None and ans["citations"]
    assert ans["citations"][0]["doc"] == "rfm"
    assert "rfm.md" in ans["answer"]


def test_analysis_answers_cite_their_method(bot: Assistant) -> None:
    ans = bot.ask("哪些客户有流失风险?").to_json()
    assert ans["tool"] == "churn_retention"
    assert any(c["doc"] == "churn_retention" for c in ans["citations"])


@pytest.mark.parametrize("q", ["明年销售额预测是多少", "竞争对手的价格是多少", "你好", "asdfgh"])
def test_no_number_is_invented(bot: Assistant, q: str) -> None:
    ans = bot.ask(q).to_json()
    assert ans["tool"] is None and ans["data"]["rows"] == []
    said = ans["answer"]
    for s in ans["suggestions"]:
        said = said.replace(s, "")
    assert not re.search(r"\d", said), said


def test_follow_up_keeps_context(bot: Assistant) -> None:
    ctx = Context()
    first = bot.ask("华东区今年销售额前十的客户", ctx).to_json()
    second = bot.ask("第二个客户的详情", ctx).to_json()
    cols = first["data"]["columns"]
    assert second["tool"] == "customer_profile"
    assert second["arguments"]["customer_ids"] == [first["data"]["rows"][1][cols.index("customer")]]


def test_ask_command_prints_json(sample_db: Path, knowledge_index: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "ask",
            "各大区的销售额",
            "--json",
            "--db",
            str(sample_db),
            "--index",
            str(knowledge_index),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    ans = json.loads(out.stdout)
    assert KEYS <= set(ans) and ans["tool"] == "metric_query" and len(ans["data"]["rows"]) == 7


def test_chat_keeps_a_conversation(sample_db: Path, knowledge_index: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "chat", "--json", "--db", str(sample_db), "--index", str(knowledge_index)],
        input="各大区的销售额\n去年呢\n/quit\n",
        capture_output=True,
        text=True,
        check=True,
    )
    answers = [json.loads(chunk) for chunk in re.split(r"\n(?=\{\n)", out.stdout.strip()) if chunk.strip()]
    assert [a["tool"] for a in answers] == ["metric_query", "metric_query"]
    assert answers[1]["arguments"]["start"].endswith("-01-01") and answers[1]["arguments"]["by"] == ["region"]


def test_quiz_in_the_chat_is_marked_and_never_leaks_answers(bot: Assistant) -> None:
    ctx = Context()
    quiz = bot.ask("出两道练习题", ctx).to_json()
    assert quiz["tool"] == "exercises" and len(quiz["data"]["rows"]) == 2
    text = json.dumps(quiz, ensure_ascii=False)
    first, second = ctx.exercises
    assert "exercises" not in quiz["figures"]
    assert first["explanation"] not in text and second["explanation"] not in text
    right = "ABCD"[first["answer"]]
    wrong = next(x for x in "ABCD"[: len(second["options"])] if x != "ABCD"[second["answer"]])
    ok = bot.ask(right, ctx).to_json()
    assert ok["answer"].startswith("**1.** ✓")
    no = bot.ask(f"第2题 {wrong}", ctx).to_json()
    assert "✗" in no["answer"] and second["options"][second["answer"]] in no["answer"] and "1/2" in no["answer"]
    assert ctx.exercises == []  # all answered: a plain "B" is a question again
    assert bot.ask("B", ctx).to_json()["tool"] != "exercises"


def test_walkthrough_and_review_in_the_chat(bot: Assistant, sample_db: Path) -> None:
    con = duckdb.connect(str(sample_db), read_only=True)
    cid = con.execute("SELECT min(customer_id) FROM orders WHERE status = 'completed'").fetchone()[0]
    con.close()
    walk = bot.ask(f"一步一步演示客户{cid}的RFM分类").to_json()
    assert walk["tool"] == "rfm_walkthrough" and walk["answer"].startswith(f"# RFM 分类演示: {cid}")
    review = bot.ask("总结一下上个季度").to_json()
    assert review["tool"] == "business_review" and review["answer"].startswith("# 客户经营情况总结")


@pytest.mark.parametrize(
    ("q", "doc"),
    [
        ("做客户分析通常要看哪几块内容?", "overview"),
        ("一个客户从认识到离开会经历哪些阶段?", "lifecycle"),
        ("what stages does a customer go through with us?", "lifecycle"),
    ],
)
def test_a_concept_named_by_no_analysis_is_found_in_the_documents(bot: Assistant, q: str, doc: str) -> None:
    ans = bot.ask(q).to_json()
    assert ans["tool"] is None and not ans["data"]["rows"]
    assert ans["citations"] and ans["citations"][0]["doc"] == doc, ans["citations"]


@pytest.mark.parametrize("q", ["客户那边最近咋样了", "customers, hmm?", "客户吃饭了吗"])
def test_a_guess_the_documents_do_not_back_asks_instead(bot: Assistant, q: str) -> None:
    ans = bot.ask(q).to_json()
    assert ans["route"]["kind"] == "clarify" and not ans["citations"], (ans["route"], ans["citations"])
    assert ans["suggestions"]
