"""Optional LLM mode: a tool-calling chat model over the same registry; the deterministic router stays the
default and the fallback.

``agent_for(toolbox, fallback)`` gives an ``LLMAgent`` when ``OPENAI_API_KEY`` is set (and ``ASSISTANT_LLM`` is not
``off``), else None, without importing langchain. Pass ``chat_model`` to use another backend or a fake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from assistant.llm.settings import DEFAULT_MODEL, LLMSettings, settings_from_env

if TYPE_CHECKING:
    from assistant.answering.answer import Answer
    from assistant.answering.conversation import Context, Plan
    from assistant.answering.toolbox import Toolbox
    from assistant.llm.agent import LLMAgent
    from assistant.llm.chat import ChatModel

__all__ = ["DEFAULT_MODEL", "LLMSettings", "agent_for", "settings_from_env"]


def agent_for(
    toolbox: Toolbox,
    fallback: Callable[[str, Context], Answer],
    chat_model: ChatModel | None = None,
    *,
    settings: LLMSettings | None = None,
    env: Mapping[str, str] | None = None,
    reader: Callable[[str, Context], list[Plan]] | None = None,
) -> LLMAgent | None:
    """The LLM agent over ``toolbox``, falling back to ``fallback``: the model from ``chat_model``, else
    ``settings``, else the environment; or None when none is configured."""
    # ``reader``: the built-in reading of a question (the router's plans), given to the model as a hint.
    settings = settings or settings_from_env(env)
    if chat_model is None:
        if settings is None:
            return None
        from assistant.llm.openai_chat import OpenAIChatModel

        chat_model = OpenAIChatModel(settings)
    from assistant.llm.agent import LLMAgent

    limits = settings or LLMSettings(api_key="")
    return LLMAgent(
        toolbox,
        chat_model,
        fallback=fallback,
        max_tool_calls=limits.max_tool_calls,
        max_invalid_retries=limits.max_invalid_retries,
        reader=reader,
    )
