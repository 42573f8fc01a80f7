"""LLM settings from the environment. No key, no LLM: the deterministic router answers.

- ``OPENAI_API_KEY`` turns LLM mode on;
- ``OPENAI_BASE_URL`` any OpenAI-compatible endpoint (DeepSeek, Qwen, vLLM, Ollama …);
- ``ASSISTANT_MODEL`` the model name (default ``gpt-4o-mini``);
- ``ASSISTANT_LLM=off`` forces the router even with a key;
- ``ASSISTANT_LLM_TIMEOUT`` seconds per request (default 30), ``ASSISTANT_LLM_RETRIES`` (default 1),
  ``ASSISTANT_LLM_STREAM=1`` asks for server-sent events.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from assistant.core.errors import ConfigError

DEFAULT_MODEL = "gpt-4o-mini"
OFF_VALUES = {"off", "0", "false", "no", "none", "router"}


@dataclass(frozen=True)
class LLMSettings:
    """How to reach the chat model and how far the agent loop may go."""

    api_key: str = field(repr=False)
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    timeout_s: float = 30.0
    max_retries: int = 1  # transport retries inside the client (429, 5xx, connection errors)
    streaming: bool = False
    temperature: float | None = 0.0
    max_tool_calls: int = 4  # tool runs per question
    max_invalid_retries: int = 2  # invalid tool arguments sent back to the model before giving up


def _number(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not lo <= value <= hi:
        raise ConfigError(
            f"环境变量 {name}={raw!r} 无效:应为 {lo:g} 到 {hi:g} 之间的数字。",
            f"{name}={raw!r} is invalid: use a number from {lo:g} to {hi:g}.",
        )
    return value


def settings_from_env(env: Mapping[str, str] | None = None) -> LLMSettings | None:
    """The LLM settings, or None when LLM mode is off (no key, or ``ASSISTANT_LLM=off``)."""
    env = os.environ if env is None else env
    if env.get("ASSISTANT_LLM", "").strip().lower() in OFF_VALUES:
        return None
    key = env.get("OPENAI_API_KEY", "").strip()
    if not key:
        return None
    return LLMSettings(
        api_key=key,
        model=env.get("ASSISTANT_MODEL", "").strip() or DEFAULT_MODEL,
        base_url=env.get("OPENAI_BASE_URL", "").strip() or None,
        timeout_s=_number(env, "ASSISTANT_LLM_TIMEOUT", 30.0, 0.001, 600),
        max_retries=int(_number(env, "ASSISTANT_LLM_RETRIES", 1, 0, 10)),
        streaming=env.get("ASSISTANT_LLM_STREAM", "").strip().lower() in {"1", "true", "yes", "on"},
    )
