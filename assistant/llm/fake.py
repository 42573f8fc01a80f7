"""A scripted chat model for tests and demos: replies in order, records what it was sent. No network."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from assistant.llm.chat import OnToken


def call(name: str, **args: Any) -> dict[str, Any]:
    """One tool call for a scripted reply."""
    return {"name": name, "args": args, "id": f"call_{name}_{json.dumps(args, sort_keys=True)}", "type": "tool_call"}


class ScriptedChatModel:
    """Returns the scripted messages one by one (an ``Exception`` in the script is raised instead)."""

    name = "scripted"

    def __init__(self, script: Sequence[AIMessage | Exception]) -> None:
        self.script = list(script)
        self.calls: list[tuple[list[BaseMessage], list[dict[str, Any]]]] = []

    def respond(
        self, messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]], on_token: OnToken | None = None
    ) -> AIMessage:
        self.calls.append((list(messages), list(tools)))
        if not self.script:
            raise RuntimeError("scripted model: script exhausted")
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        if on_token is not None and step.content:
            on_token(str(step.text))
        return step
