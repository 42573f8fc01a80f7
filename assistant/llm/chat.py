"""The chat-model interface the agent loop talks to: messages and tool schemas in, one AI message out.

Swap it for another backend or a fake; the loop never sees HTTP. Any exception from ``respond`` means
"the model is unavailable" and the assistant answers with the deterministic router instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from langchain_core.messages import AIMessage, BaseMessage

OnToken = Callable[[str], None]


class ChatModel(Protocol):
    """A tool-calling chat model."""

    name: str

    def respond(
        self, messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]], on_token: OnToken | None = None
    ) -> AIMessage:
        """The model's next message: text, ``tool_calls`` or ``invalid_tool_calls``. ``on_token`` gets text deltas."""
        ...
