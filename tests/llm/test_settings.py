"""LLM settings come from the environment: no key → no LLM; ASSISTANT_LLM=off wins; bad numbers are refused."""

from __future__ import annotations

import pytest

from assistant.core.errors import ConfigError
from assistant.llm import DEFAULT_MODEL, agent_for, settings_from_env


def test_no_key_means_no_llm() -> None:
    assert settings_from_env({}) is None
    assert settings_from_env({"OPENAI_API_KEY": "  "}) is None


@pytest.mark.parametrize("off", ["off", "OFF", "0", "false", "router"])
def test_assistant_llm_off_forces_the_router(off: str) -> None:
    assert settings_from_env({"OPENAI_API_KEY": "sk-x", "ASSISTANT_LLM": off}) is None


def test_key_base_url_and_model() -> None:
    s = settings_from_env({"OPENAI_API_KEY": "sk-secret"})
    assert s is not None and s.model == DEFAULT_MODEL and s.base_url is None and not s.streaming
    s = settings_from_env(
        {
            "OPENAI_API_KEY": "sk-secret",
            "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
            "ASSISTANT_MODEL": "qwen2.5:7b",
            "ASSISTANT_LLM_TIMEOUT": "2.5",
            "ASSISTANT_LLM_RETRIES": "0",
            "ASSISTANT_LLM_STREAM": "1",
        }
    )
    assert s is not None
    assert (s.base_url, s.model, s.timeout_s, s.max_retries, s.streaming) == (
        "http://127.0.0.1:11434/v1",
        "qwen2.5:7b",
        2.5,
        0,
        True,
    )
    assert "sk-secret" not in repr(s)  # the key never reaches logs


@pytest.mark.parametrize(("name", "value"), [("ASSISTANT_LLM_TIMEOUT", "fast"), ("ASSISTANT_LLM_TIMEOUT", "-1")])
def test_bad_numbers_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_from_env({"OPENAI_API_KEY": "sk-x", name: value})
    assert name in err.value.zh and name in err.value.en


def test_no_agent_without_settings() -> None:
    assert agent_for(object(), object(), env={}) is None  # type: ignore[arg-type]
