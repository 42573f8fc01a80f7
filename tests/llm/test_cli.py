"""``python -m assistant ask`` picks LLM mode up from the environment (no flags), and ASSISTANT_LLM=off wins."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from assistant.llm.prompts import UNAVAILABLE
from tests.llm.scripted_server import Reply, ScriptedServer, error, final, tool_calls

Server = Callable[[list[Reply]], ScriptedServer]


def ask(question: str, db: Path, index: Path, env: dict[str, str], *flags: str) -> dict[str, object]:
    cmd = [sys.executable, "-m", "assistant", "ask", question, "--json", "--db", str(db), "--index", str(index)]
    out = subprocess.run(
        [*cmd, *flags],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    return json.loads(out.stdout)


def llm_env(srv: ScriptedServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ASSISTANT_LLM"))}
    env.update({"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": srv.base_url, "ASSISTANT_LLM_RETRIES": "0"})
    env.update(extra)
    return env


def test_ask_uses_the_llm_from_the_environment(sample_db: Path, knowledge_index: Path, server: Server) -> None:
    srv = server(
        [tool_calls(("metric_query", {"metrics": ["orders"], "by": ["region"]})), final("各大区订单数见下表。")]
    )
    ans = ask("各大区的订单数", sample_db, knowledge_index, llm_env(srv, ASSISTANT_MODEL="deepseek-chat"))
    assert ans["route"]["kind"] == "llm" and ans["answer"] == "各大区订单数见下表。"  # type: ignore[index]
    assert ans["tool"] == "metric_query" and len(ans["data"]["rows"]) == 7  # type: ignore[index]
    assert srv.requests[0]["model"] == "deepseek-chat"


def test_endpoint_failure_still_answers(sample_db: Path, knowledge_index: Path, server: Server) -> None:
    srv = server([error(503)])
    ans = ask("各大区的订单数", sample_db, knowledge_index, llm_env(srv))
    assert ans["notices"][0] == UNAVAILABLE["zh"] and ans["tool"] == "metric_query"  # type: ignore[index]


def test_assistant_llm_off_keeps_the_router(sample_db: Path, knowledge_index: Path, server: Server) -> None:
    srv = server([final("x")])
    ans = ask("各大区的订单数", sample_db, knowledge_index, llm_env(srv, ASSISTANT_LLM="off"))
    assert srv.requests == [] and ans["route"].get("kind") != "llm"  # type: ignore[union-attr]


def test_no_llm_flag_keeps_the_router(sample_db: Path, knowledge_index: Path, server: Server) -> None:
    srv = server([final("x")])
    ans = ask("各大区的订单数", sample_db, knowledge_index, llm_env(srv), "--no-llm")
    assert srv.requests == [] and ans["tool"] == "metric_query" and ans["notices"] == []


def test_chat_holds_an_llm_conversation(sample_db: Path, knowledge_index: Path, server: Server) -> None:
    srv = server(
        [
            tool_calls(("metric_query", {"metrics": ["orders"], "by": ["region"]})),
            final("各大区订单数见下表。"),
            tool_calls(("metric_query", {"metrics": ["orders"], "by": ["region"], "region": ["华北"]})),
            final("华北的订单数见下表。"),
        ]
    )
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "chat", "--json", "--db", str(sample_db), "--index", str(knowledge_index)],
        input="各大区的订单数\n那华北呢?\n/quit\n",
        capture_output=True,
        text=True,
        check=True,
        env=llm_env(srv),
        timeout=120,
    )
    answers = [json.loads(c) for c in re.split(r"\n(?=\{\n)", out.stdout.strip()) if c.strip()]
    assert [a["answer"] for a in answers] == ["各大区订单数见下表。", "华北的订单数见下表。"]
    assert answers[1]["arguments"]["region"] == ["华北"] and len(answers[1]["data"]["rows"]) == 1
    # The follow-up's prompt names the previous tool and arguments.
    system = srv.requests[2]["messages"][0]["content"]
    assert "metric_query" in system and '"by": ["region"]' in system
