"""The real chat model: langchain-openai's ChatOpenAI against any OpenAI-compatible endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage

from assistant.llm.chat import OnToken
from assistant.llm.settings import LLMSettings


class OpenAIChatModel:
    """ChatOpenAI with our timeouts and retries; tools bound per call (schemas are plain OpenAI dicts)."""

    def __init__(self, settings: LLMSettings) -> None:
        from langchain_openai import ChatOpenAI

        self.settings = settings
        self.name = settings.model
        kwargs: dict[str, Any] = {}
        if settings.temperature is not None:
            kwargs["temperature"] = settings.temperature
        self._llm = ChatOpenAI(
            model=settings.model,
            base_url=settings.base_url,
            api_key=settings.api_key,  # type: ignore[arg-type]  # str is accepted and wrapped in SecretStr
            timeout=settings.timeout_s,
            max_retries=settings.max_retries,
            streaming=settings.streaming,
            **kwargs,
        )
        self._bound: dict[tuple[str, ...], Any] = {}

    def _with_tools(self, tools: Sequence[dict[str, Any]]) -> Any:
        key = tuple(t["function"]["name"] for t in tools)
        if key not in self._bound:
            self._bound[key] = self._llm.bind_tools(list(tools)) if tools else self._llm
        return self._bound[key]

    def respond(
        self, messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]], on_token: OnToken | None = None
    ) -> AIMessage:
        runnable = self._with_tools(tools)
        if not self.settings.streaming:
            out = runnable.invoke(list(messages))
            if not isinstance(out, AIMessage):
                raise TypeError(f"the model returned {type(out).__name__}, not an AI message")
            return out
        acc: AIMessageChunk | None = None
        for chunk in runnable.stream(list(messages)):
            if on_token is not None and chunk.content:
                on_token(str(chunk.text))
            acc = chunk if acc is None else acc + chunk
        if acc is None:
            raise ValueError("the model's stream was empty")
        return acc
