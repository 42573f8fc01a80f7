"""``python -m assistant ask`` picks LLM mode up from the environment (no flags), and ASSISTANT_LLM=off wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from assistant.llm.prompts import UNAVAILABLE
from tests.llm.scripted_server import Reply, ScriptedServer, error, final, tool_calls

Server = Callable[[list[Reply]], ScriptedServer]


def ask(question: str, sample_db: Path, knowledge_index: Path, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "ask",
            question,
            "--json",
            "--db",
            str(sample_db),
            "--index",
            str(knowledge_index),
        ],
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
