"""LLM-mode fixtures: a scripted OpenAI-compatible server on loopback and an assistant over the sample warehouse."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.agent import Assistant
from assistant.llm.agent import LLMAgent
from assistant.llm.openai_chat import OpenAIChatModel
from assistant.llm.settings import LLMSettings
from tests.llm.scripted_server import Reply, ScriptedServer


@pytest.fixture(scope="module")
def bot(sample_db: Path, knowledge_index: Path) -> Iterator[Assistant]:
    """The assistant without an LLM: the router path every LLM failure falls back to."""
    b = Assistant(sample_db, index=knowledge_index, use_llm=False)
    yield b
    b.close()


@pytest.fixture
def server() -> Iterator[Callable[[list[Reply]], ScriptedServer]]:
    """``server([replies…])`` starts a scripted server; it is stopped after the test."""
    started: list[ScriptedServer] = []

    def start(replies: list[Reply]) -> ScriptedServer:
        s = ScriptedServer(replies).__enter__()
        started.append(s)
        return s

    yield start
    for s in started:
        s.__exit__(None, None, None)


def settings_for(srv: ScriptedServer, **kw: object) -> LLMSettings:
    """Quick settings: no transport retries and a short timeout, so failure tests take well under a second."""
    base: dict[str, object] = {"api_key": "test-key", "model": "scripted-model", "base_url": srv.base_url}
    base.update({"timeout_s": 5.0, "max_retries": 0})
    base.update(kw)
    return LLMSettings(**base)  # type: ignore[arg-type]


def agent_for_server(bot: Assistant, srv: ScriptedServer, **kw: object) -> LLMAgent:
    on_token = kw.pop("on_token", None)
    settings = settings_for(srv, **kw)
    return LLMAgent(
        bot.toolbox,
        OpenAIChatModel(settings),
        fallback=bot.answer_by_rules,
        max_tool_calls=settings.max_tool_calls,
        max_invalid_retries=settings.max_invalid_retries,
        on_token=on_token,  # type: ignore[arg-type]
    )
