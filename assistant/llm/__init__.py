"""Optional LLM mode: a tool-calling chat model over the same registry; the deterministic router stays the
default and the fallback.

``agent_for(assistant)`` gives an ``LLMAgent`` when ``OPENAI_API_KEY`` is set (and ``ASSISTANT_LLM`` is not
``off``), else None, without importing langchain. Pass ``chat_model`` to use another backend or a fake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from assistant.llm.settings import DEFAULT_MODEL, LLMSettings, settings_from_env

if TYPE_CHECKING:
    from assistant.agent import Assistant
    from assistant.llm.agent import LLMAgent
    from assistant.llm.chat import ChatModel

__all__ = ["DEFAULT_MODEL", "LLMSettings", "agent_for", "settings_from_env"]


def agent_for(
    assistant: Assistant,
    chat_model: ChatModel | None = None,
    *,
    settings: LLMSettings | None = None,
    env: Mapping[str, str] | None = None,
) -> LLMAgent | None:
    """The LLM agent for ``assistant``: from ``chat_model``, else ``settings``, else the environment; or None."""
    settings = settings or settings_from_env(env)
    if chat_model is None:
        if settings is None:
            return None
        from assistant.llm.openai_chat import OpenAIChatModel

        chat_model = OpenAIChatModel(settings)
    from assistant.llm.agent import LLMAgent

    limits = settings or LLMSettings(api_key="")
    return LLMAgent(
        assistant, chat_model, max_tool_calls=limits.max_tool_calls, max_invalid_retries=limits.max_invalid_retries
    )
