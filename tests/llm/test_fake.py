"""The in-package scripted chat model drives the same loop without HTTP (for tests of other packages too)."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from assistant.agent import Assistant
from assistant.answering.conversation import Context
from assistant.llm.agent import LLMAgent
from assistant.llm.fake import ScriptedChatModel, call
from assistant.llm.prompts import UNAVAILABLE


def test_scripted_model_runs_tools_and_sees_their_results(bot: Assistant) -> None:
    model = ScriptedChatModel(
        [AIMessage("", tool_calls=[call("metric_query", metrics=["customers"], by=["size"])]), AIMessage("见下表。")]
    )
    ans = LLMAgent(bot.toolbox, fallback=bot.answer_by_rules, model=model).ask("各规模的客户数", Context())
    assert ans.answer == "见下表。" and ans.tool == "metric_query" and ans.columns[0] == "size"
    messages, tools = model.calls[1]
    assert messages[-1].type == "tool" and '"rows_total": 5' in str(messages[-1].content)
    assert [t["function"]["name"] for t in tools][-1] == "search_docs"


def test_a_model_exception_falls_back(bot: Assistant) -> None:
    ans = LLMAgent(bot.toolbox, fallback=bot.answer_by_rules, model=ScriptedChatModel([ConnectionError("down")])).ask(
        "revenue by region", Context()
    )
    assert ans.notices[0] == UNAVAILABLE["en"] and ans.route["llm"]["reason"] == "ConnectionError"
    assert ans.tool == "metric_query"


def test_context_reaches_the_prompt(bot: Assistant) -> None:
    model = ScriptedChatModel([AIMessage("好的。")])
    ctx = Context(user_rep_id="R001", focus_customer="C000001")
    LLMAgent(bot.toolbox, fallback=bot.answer_by_rules, model=model).ask("我的客户怎么样", ctx)
    system = str(model.calls[0][0][0].content)
    assert "rep_id=[R001]" in system and "C000001" in system


def test_parallel_calls_in_one_message_each_get_an_answer(bot: Assistant) -> None:
    calls = [call("metric_query", metrics=["orders"], by=["region"]), call("search_docs", query="NPS 怎么算")]
    model = ScriptedChatModel([AIMessage("", tool_calls=calls), AIMessage("见下表和参考文档。")])
    ans = LLMAgent(bot.toolbox, fallback=bot.answer_by_rules, model=model).ask(
        "各大区订单数,以及 NPS 怎么算", Context()
    )
    tool_messages = [m for m in model.calls[1][0] if m.type == "tool"]
    assert [m.tool_call_id for m in tool_messages] == [c["id"] for c in calls]
    assert ans.tool == "metric_query" and ans.citations and ans.notices == []
    assert ans.route["reason"] == "LLM scripted: metric_query → search_docs"


def test_inline_reasoning_is_not_shown_or_checked(bot: Assistant) -> None:
    model = ScriptedChatModel(
        [
            AIMessage("", tool_calls=[call("metric_query", metrics=["customers"], by=["size"])]),
            AIMessage("<think>先查 5 类规模,大概 400 家客户。</think>各规模的客户数见下表。"),
        ]
    )
    ans = LLMAgent(bot.toolbox, fallback=bot.answer_by_rules, model=model).ask("各规模的客户数", Context())
    assert ans.answer == "各规模的客户数见下表。" and ans.notices == []
