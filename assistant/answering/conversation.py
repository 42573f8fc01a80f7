"""A plan (what to run, decided by the router or the LLM) and a conversation's memory (what was shown)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.nlu.entities import Entity
from assistant.nlu.timeparse import Period


@dataclass
class Plan:
    """What the router decided, with everything needed to explain the decision."""

    kind: str  # tool, explain, clarify, unsupported
    language: str
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    explain_query: str | None = None
    reason: str = ""
    notices: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    period: Period | None = None
    entities: list[Entity] = field(default_factory=list)
    follow_up: bool = False
    # False: the router only guessed (no analysis, metric or data word was read); an explanation is given only
    # when the knowledge base backs the guess, else the question gets a clarification.
    confident: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "language": self.language,
            "tool": self.tool,
            "args": self.args,
            "explain_query": self.explain_query,
            "reason": self.reason,
            "notices": self.notices,
            "suggestions": self.suggestions,
            "period": list(self.period.span()) if self.period else None,
            "follow_up": self.follow_up,
        }


@dataclass
class Context:
    """A conversation's memory: who is asking, the last plan and the rows it showed."""

    user_rep_id: str | None = None
    last_plan: Plan | None = None
    last_columns: list[str] = field(default_factory=list)
    last_rows: list[list[Any]] = field(default_factory=list)
    focus_customer: str | None = None  # the customer "this one" refers to
    exercises: list[dict[str, Any]] = field(default_factory=list)  # the open quiz, answers included
    answered: dict[int, bool] = field(default_factory=dict)  # exercise number → marked correct
    quizzes: int = 0  # quizzes asked for so far (the next one's seed)

    def remember(self, plan: Plan, columns: list[str], rows: list[list[Any]]) -> None:
        if plan.kind != "tool":
            return
        ids = plan.args.get("customer_ids") or []
        if len(ids) == 1:
            self.focus_customer = str(ids[0])
        if plan.tool == "customer_profile" or len(ids) == 1:
            # A look at one customer is a detour: "那华北呢?" and "第三个" still mean the last list.
            return
        self.last_plan, self.last_columns, self.last_rows = plan, columns, rows
