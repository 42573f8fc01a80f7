"""business_review as a tool and through the assistant: the report's own text, the question's language."""

from __future__ import annotations

from pathlib import Path

import duckdb

from assistant.agent import Assistant
from assistant.answering.conversation import Context, Plan
from assistant.capabilities import load_all


def test_tool_returns_the_report_and_its_headline_table(sample_db: Path) -> None:
    con = duckdb.connect(str(sample_db), read_only=True)
    res = load_all()["business_review"].run(con, {"start": "2026-04-01", "end": "2026-06-30", "region": ["华东"]})
    md = res.figures["markdown"]
    assert md.startswith("# 客户经营情况总结:2026年第2季度") and "华东" in md.splitlines()[0]
    assert res.columns[0] == "指标" and any(r[0] == "销售额" for r in res.rows)
    assert res.sql and str(res.figures["period_start"]) == "2026-04-01"
    con.close()


def test_assistant_shows_the_report_in_the_question_language(sample_db: Path, knowledge_index: Path) -> None:
    bot = Assistant(sample_db, index=knowledge_index)
    plan = Plan("tool", "en", tool="business_review", args={"start": "2026-04-01", "end": "2026-06-30"})
    ans = bot.answer_plan("review of Q2", plan, Context()).to_json()
    assert ans["answer"].startswith("# Customer business review: Q2 2026")
    assert "markdown" not in ans["figures"] and ans["arguments"]["lang"] == "en"
    bot.close()
