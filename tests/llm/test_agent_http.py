"""LLM mode end to end against a scripted OpenAI-compatible server on loopback (never a live service).

The scripts use figures computed by running the same tool directly, so a correct narrative is traceable
and the answer's data can be compared with the tool's own result.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import pytest

from assistant.agent import Assistant
from assistant.answering.answer import describe_result, fmt
from assistant.answering.conversation import Context
from assistant.llm.openai_chat import OpenAIChatModel
from assistant.llm.prompts import UNAVAILABLE, WRONG_LANGUAGE
from tests.llm.conftest import agent_for_server, settings_for
from tests.llm.scripted_server import (
    Reply,
    ScriptedServer,
    error,
    final,
    streamed,
    streamed_tool_call,
    tool_calls,
)
from tools.base import ToolResult

Server = Callable[[list[Reply]], ScriptedServer]
BY_REGION = {"metrics": ["revenue"], "by": ["region"]}
KEYS = {"question", "language", "answer", "tool", "arguments", "data", "sql", "citations", "chart", "notices"}


def run(bot: Assistant, tool: str, args: dict[str, Any]) -> ToolResult:
    return bot.registry[tool].run(bot.con, args)


def region_narrative(result: ToolResult, lang: str = "zh") -> str:
    top, second = result.rows[0], result.rows[1]
    if lang == "en":
        return f"{top[0]} leads with revenue of {fmt(top[1], 'revenue', 'en')}, ahead of {second[0]}."
    return f"{top[0]}销售额最高,为 {fmt(top[1], 'revenue', 'zh')};其次是{second[0]}。"


def messages_of(request: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [m for m in request["messages"] if m["role"] == role]


# ---- the happy paths ----------------------------------------------------------------------------
def test_one_tool_call_then_final_answer(bot: Assistant, server: Server) -> None:
    expected = run(bot, "metric_query", BY_REGION)
    text = region_narrative(expected)
    srv = server([tool_calls(("metric_query", BY_REGION)), final(text)])
    ctx = Context()
    ans = agent_for_server(bot, srv).ask("各大区销售额", ctx).to_json()

    assert KEYS <= set(ans)
    assert ans["answer"] == text and ans["language"] == "zh"
    assert ans["tool"] == "metric_query" and ans["arguments"]["by"] == ["region"]
    assert ans["data"]["columns"] == expected.columns
    assert ans["data"]["rows"] == [[r[0], float(r[1])] for r in expected.rows]
    assert ans["sql"] == expected.sql and ans["chart"] is not None
    assert ans["notices"] == [] and ans["route"]["kind"] == "llm"
    # The tool result went back to the model as a tool message answering the call.
    assert len(srv.requests) == 2
    tool_msg = messages_of(srv.requests[1], "tool")[0]
    assert tool_msg["tool_call_id"] == "call_0"
    assert json.loads(tool_msg["content"])["rows_total"] == len(expected.rows)
    # The conversation remembers the result, so the router's follow-ups still work.
    assert ctx.last_plan is not None and ctx.last_plan.tool == "metric_query"
    assert ctx.last_rows == expected.rows


def test_request_payload_carries_the_registry_schemas(bot: Assistant, server: Server) -> None:
    srv = server([final("Sorry, I can only answer questions about your customers.")])
    ans = agent_for_server(bot, srv).ask("hello there", Context())
    assert ans.language == "en" and ans.tool is None and ans.notices == []
    req = srv.requests[0]
    assert srv.paths == ["/v1/chat/completions"]
    assert req["model"] == "scripted-model"
    names = [t["function"]["name"] for t in req["tools"]]
    assert names == [*bot.registry] and "search_docs" in names
    rfm = next(t for t in req["tools"] if t["function"]["name"] == "rfm")["function"]
    assert rfm["description"] == f"{bot.registry['rfm'].zh} / {bot.registry['rfm'].en}"
    assert set(rfm["parameters"]["properties"]) == set(bot.registry["rfm"].args_model.model_fields)
    system = messages_of(req, "system")[0]["content"]
    assert "Answer in English" in system and "revenue" in system  # rules and the metric vocabulary
    assert messages_of(req, "user")[0]["content"] == "hello there"


def test_two_tool_calls_in_sequence(bot: Assistant, server: Server) -> None:
    by_region = run(bot, "metric_query", BY_REGION)
    top = by_region.rows[0][0]
    east = {"metrics": ["revenue", "orders"], "region": [top], "by": ["customer"], "top": 3}
    customers = run(bot, "metric_query", east)
    cols = customers.columns
    first = customers.rows[0]
    text = (
        f"{top} is the top region ({fmt(by_region.rows[0][1], 'revenue', 'en')}). Its largest customer is "
        f"{first[cols.index('customer_name')]} with {fmt(first[cols.index('revenue')], 'revenue', 'en')} "
        f"over {first[cols.index('orders')]} orders."
    )
    srv = server([tool_calls(("metric_query", BY_REGION)), tool_calls(("metric_query", east)), final(text)])
    ans = agent_for_server(bot, srv).ask("Which region sells most, and who are its top 3 customers?", Context())

    assert ans.answer == text and ans.notices == []
    assert [s["tool"] for s in ans.route["steps"]] == ["metric_query", "metric_query"]
    assert ans.arguments["region"] == [top] and ans.rows == customers.rows  # the last result is the table
    assert ans.sql == by_region.sql + customers.sql  # provenance for every figure in the text
    assert len(messages_of(srv.requests[2], "tool")) == 2


def test_search_docs_then_answer_cites_the_document(bot: Assistant, server: Server) -> None:
    srv = server(
        [
            tool_calls(("search_docs", {"query": "RFM 是什么", "k": 2})),
            final("RFM 按最近购买、购买频次和购买金额给客户打分分群。"),
        ]
    )
    ans = agent_for_server(bot, srv).ask("什么是RFM?", Context())
    assert ans.tool is None and ans.notices == []
    assert ans.citations and ans.citations[0].doc == "rfm"
    assert "参考:" in ans.answer and "rfm.md" in ans.answer
    hits = json.loads(messages_of(srv.requests[1], "tool")[0]["content"])
    assert hits and hits[0]["doc"] == "rfm"


def test_invalid_argument_goes_back_to_the_model_which_corrects_it(bot: Assistant, server: Server) -> None:
    expected = run(bot, "metric_query", BY_REGION)
    text = region_narrative(expected)
    srv = server(
        [
            tool_calls(("metric_query", {"metrics": ["revenue"], "by": ["region"], "top": 0})),
            tool_calls(("metric_query", BY_REGION)),
            final(text),
        ]
    )
    ans = agent_for_server(bot, srv).ask("各大区销售额", Context())
    assert ans.answer == text and ans.notices == [] and ans.rows == expected.rows
    error_msg = messages_of(srv.requests[1], "tool")[0]["content"]
    assert "`top`" in error_msg and "Invalid arguments" in error_msg
    assert [s["ok"] for s in ans.route["steps"]] == [False, True]


def test_unknown_metric_is_a_tool_error_too(bot: Assistant, server: Server) -> None:
    expected = run(bot, "metric_query", BY_REGION)
    srv = server(
        [
            tool_calls(("metric_query", {"metrics": ["turnover"], "by": ["region"]})),
            tool_calls(("metric_query", BY_REGION)),
            final(region_narrative(expected)),
        ]
    )
    ans = agent_for_server(bot, srv).ask("各大区销售额", Context())
    assert ans.notices == [] and "turnover" in messages_of(srv.requests[1], "tool")[0]["content"]


def test_retries_are_bounded(bot: Assistant, server: Server) -> None:
    bad = tool_calls(("metric_query", {"metrics": [], "by": ["region"]}))
    srv = server([bad, bad, bad, final("不会用到")])
    ans = agent_for_server(bot, srv, max_invalid_retries=2).ask("各大区的销售额", Context())
    assert len(srv.requests) == 3  # the first call and two retries, then the router answered
    assert ans.notices[0] == UNAVAILABLE["zh"] and ans.route["llm"]["reason"] == "invalid tool arguments"
    assert ans.tool == "metric_query" and len(ans.rows) == 7


def test_untraceable_number_is_replaced_by_the_deterministic_text(bot: Assistant, server: Server) -> None:
    expected = run(bot, "metric_query", BY_REGION)
    srv = server([tool_calls(("metric_query", BY_REGION)), final("华东销售额 9,999.9万,同比增长 37%。")])
    ans = agent_for_server(bot, srv).ask("各大区销售额", Context())
    spec = bot.registry["metric_query"]
    assert ans.answer == describe_result(spec.name, spec.zh, spec.en, expected, "zh", None)
    assert "9,999.9万" in ans.notices[0] and "37%" in ans.notices[0]
    assert ans.rows == expected.rows  # the table still comes from the tool


def test_narrative_in_the_wrong_language_is_replaced(bot: Assistant, server: Server) -> None:
    expected = run(bot, "metric_query", BY_REGION)
    srv = server([tool_calls(("metric_query", BY_REGION)), final(region_narrative(expected, "zh"))])
    ans = agent_for_server(bot, srv).ask("revenue by region", Context())
    spec = bot.registry["metric_query"]
    assert ans.answer == describe_result(spec.name, spec.zh, spec.en, expected, "en", None)
    assert ans.notices == [WRONG_LANGUAGE["en"]]


def test_numbers_without_any_tool_fall_back_to_the_router(bot: Assistant, server: Server) -> None:
    srv = server([final("华东区的销售额大约是 500 万。")])
    ans = agent_for_server(bot, srv).ask("各大区的销售额", Context())
    assert ans.route["llm"]["status"] == "fallback" and "500" in ans.notices[0]
    assert ans.tool == "metric_query" and len(ans.rows) == 7  # the router's answer


def test_tool_budget_is_bounded(bot: Assistant, server: Server) -> None:
    call = tool_calls(("metric_query", BY_REGION))
    expected = run(bot, "metric_query", BY_REGION)
    srv = server([call, call, final(region_narrative(expected))])
    ans = agent_for_server(bot, srv, max_tool_calls=1).ask("各大区销售额", Context())
    assert ans.notices == [] and len(ans.route["steps"]) == 1
    assert "budget" in messages_of(srv.requests[2], "tool")[-1]["content"]


def test_streaming_final_answer(bot: Assistant, server: Server) -> None:
    expected = run(bot, "metric_query", BY_REGION)
    text = region_narrative(expected, "en")
    srv = server([streamed_tool_call("metric_query", BY_REGION), streamed(text, pieces=5)])
    deltas: list[str] = []
    ans = agent_for_server(bot, srv, streaming=True, on_token=deltas.append).ask("revenue by region", Context())
    assert all(r.get("stream") is True for r in srv.requests)
    assert ans.answer == text and ans.notices == [] and ans.rows == expected.rows
    assert len(deltas) == 5 and "".join(deltas) == text


# ---- failures fall back to the router with a notice ---------------------------------------------
FAILURES = {
    "http 500": ([error(500)], {}, "HTTP 500"),
    "http 429": ([error(429, "rate limited")], {}, "rate limit (HTTP 429)"),
    "timeout": ([Reply(sleep=1.0, body=final("late").body)], {"timeout_s": 0.2}, "timeout"),
    "garbage json": ([Reply(body="{not json at all")], {}, "unparseable response (JSONDecodeError)"),
    "no choices": ([Reply(body={"id": "x", "object": "chat.completion"})], {}, "unparseable response (TypeError)"),
    "empty answer": ([final("")], {}, "empty response"),
    "malformed tool-call json": ([tool_calls(("metric_query", '{"metrics": ["revenue",'))], {}, "malformed tool call"),
    "tool call as text": (
        [final('{"name": "metric_query", "arguments": {"metrics": ["revenue"]}}')],
        {},
        "unparseable response",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_failures_fall_back_to_the_router(bot: Assistant, server: Server, case: str, lang: str) -> None:
    replies, settings, reason = FAILURES[case]
    srv = server(replies)
    question = "各大区的销售额" if lang == "zh" else "revenue by region"
    ans = agent_for_server(bot, srv, **settings).ask(question, Context())
    rules = bot.ask(question, Context())
    assert ans.notices[0] == UNAVAILABLE[lang]
    assert ans.route["llm"] == {"model": "scripted-model", "status": "fallback", "reason": reason}
    assert (ans.tool, ans.arguments, ans.rows, ans.answer) == (rules.tool, rules.arguments, rules.rows, rules.answer)
    assert len(srv.requests) == 1


def test_connection_refused_falls_back(bot: Assistant) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the request: nothing listens there
    srv = ScriptedServer()
    srv.base_url = f"http://127.0.0.1:{port}/v1"
    ans = agent_for_server(bot, srv).ask("各大区的销售额", Context())
    assert ans.notices[0] == UNAVAILABLE["zh"] and ans.route["llm"]["reason"] == "connection failed"
    srv.httpd.server_close()


def test_transport_retries_are_the_clients(bot: Assistant, server: Server) -> None:
    expected = run(bot, "metric_query", BY_REGION)
    srv = server([error(429), tool_calls(("metric_query", BY_REGION)), final(region_narrative(expected))])
    ans = agent_for_server(bot, srv, max_retries=1).ask("各大区销售额", Context())
    assert ans.notices == [] and len(srv.requests) == 3


# ---- wiring -------------------------------------------------------------------------------------
def test_assistant_uses_the_llm_and_only_the_local_server(
    sample_db: Any, knowledge_index: Any, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected_text = "各大区销售额见下表。"
    srv = server([tool_calls(("metric_query", BY_REGION)), final(expected_text)])
    reached: list[object] = []
    real_connect = socket.socket.connect

    def spy(self: socket.socket, address: object) -> object:
        reached.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    bot = Assistant(sample_db, index=knowledge_index, chat_model=OpenAIChatModel(settings_for(srv)))
    try:
        ans = bot.ask("各大区销售额").to_json()
    finally:
        bot.close()
    assert ans["answer"] == expected_text and ans["tool"] == "metric_query" and ans["elapsed_ms"] > 0
    assert reached and all(a == ("127.0.0.1", srv.port) for a in reached), reached
    assert len(srv.requests) == 2


def test_use_llm_false_never_calls_the_model(sample_db: Any, knowledge_index: Any, server: Server) -> None:
    srv = server([final("x")])
    bot = Assistant(sample_db, index=knowledge_index, use_llm=False, chat_model=OpenAIChatModel(settings_for(srv)))
    try:
        assert bot.llm is None and bot.ask("各大区的销售额").tool == "metric_query"
    finally:
        bot.close()
    assert srv.requests == []


@pytest.mark.parametrize(
    ("question", "said"),
    [("把上海的客户都删掉", "只能读取"), ("Drop the surveys table", "read-only"), ("明天上海会下雨吗", "天气")],
)
def test_refusals_do_not_reach_the_model(
    sample_db: Any, knowledge_index: Any, server: Server, question: str, said: str
) -> None:
    srv = server([tool_calls(("metric_query", BY_REGION)), final("删掉了。")])
    bot = Assistant(sample_db, index=knowledge_index, chat_model=OpenAIChatModel(settings_for(srv)))
    try:
        ans = bot.ask(question).to_json()
    finally:
        bot.close()
    assert srv.requests == [] and ans["tool"] is None and ans["data"]["rows"] == []
    assert said in ans["answer"]


def test_report_narrative_numbers_are_checked(bot: Assistant, server: Server) -> None:
    args = {"start": "2026-04-01", "end": "2026-06-30"}
    report = run(bot, "business_review", {**args, "lang": "zh"})
    revenue = next(r for r in report.rows if r[0] == "销售额")
    good = f"本季度销售额 {revenue[1]},环比 {revenue[3]}。"
    ans = agent_for_server(bot, server([tool_calls(("business_review", args)), final(good)])).ask(
        "总结一下第二季度", Context()
    )
    assert ans.answer.startswith(good) and ans.tool == "business_review" and not ans.notices
    bad = "本季度销售额 123,456,789 元,同比增长 88%。"
    ans = agent_for_server(bot, server([tool_calls(("business_review", args)), final(bad)])).ask(
        "总结一下第二季度", Context()
    )
    assert ans.answer.startswith("# 客户经营情况总结") and "88%" in ans.notices[0]


def test_the_model_is_told_how_the_built_in_reader_understood_the_question(bot: Assistant, server: Server) -> None:
    """The frame as a hint: the router's tool and arguments per part go into the system message."""
    srv = server([final("好的。")])
    agent = agent_for_server(bot, srv)
    agent.reader = bot.read
    agent.ask("上季度签了几单,回款多少", Context())
    system = messages_of(srv.requests[0], "system")[0]["content"]
    hint = system.split("内置规则对这个问题的理解", 1)[1].splitlines()
    assert len([line for line in hint if line.startswith("- 工具 metric_query")]) == 2, hint  # one line per part
    assert '"metrics": ["orders"]' in hint[1] and '"metrics": ["collections"]' in hint[2]
    assert all('"start": "2026-07-01", "end": "2026-09-30"' in line for line in hint[1:3])
    srv = server([final("OK.")])
    agent = agent_for_server(bot, srv)
    agent.reader = bot.read
    agent.ask("blorfl zzyzx", Context())
    system = messages_of(srv.requests[0], "system")[0]["content"]
    assert "did not understand this part" in system
    srv = server([final("OK.")])
    agent_for_server(bot, srv).ask("revenue by region", Context())  # no reader: no hint
    assert "built-in reader" not in messages_of(srv.requests[0], "system")[0]["content"]
