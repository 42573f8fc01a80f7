"""A real endpoint, only when asked for: OPENAI_API_KEY set and ASSISTANT_LIVE_LLM_TEST=1 (never in CI)."""

from __future__ import annotations

import os
import re
import socket

import pytest

from assistant.agent import Assistant
from assistant.llm.openai_chat import OpenAIChatModel
from assistant.llm.settings import settings_from_env

pytestmark = pytest.mark.skipif(
    not (os.environ.get("OPENAI_API_KEY") and os.environ.get("ASSISTANT_LIVE_LLM_TEST") == "1"),
    reason="live LLM test: set OPENAI_API_KEY and ASSISTANT_LIVE_LLM_TEST=1",
)


def test_live_model_answers_from_tools(
    sample_db: object, knowledge_index: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests import conftest

    monkeypatch.setattr(socket.socket, "connect", conftest._real_connect)  # this one test may leave loopback
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_LLM"}
    settings = settings_from_env(env)
    assert settings is not None
    bot = Assistant(sample_db, index=knowledge_index, chat_model=OpenAIChatModel(settings))  # type: ignore[arg-type]
    try:
        ans = bot.ask("华东区销售额最高的三个客户是谁?")
    finally:
        bot.close()
    assert ans.route.get("kind") == "llm", ans.notices
    assert ans.tool is not None and ans.rows and re.search(r"[\u4e00-\u9fff]", ans.answer)
