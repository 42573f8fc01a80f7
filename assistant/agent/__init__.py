"""The assistant: a question → a plan (the router, or an LLM when configured) → a tool run → an answer.

This module only wires the parts together: the capabilities (``assistant.capabilities``), the router,
the optional LLM agent, quiz marking, and the answering layer that runs plans and composes answers.
Every figure in an answer comes from a tool result; explanations come from the knowledge base with
citations. The connection is read-only.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from assistant.answering.answer import Answer
from assistant.answering.citations import Knowledge
from assistant.answering.compose import compose_parts
from assistant.answering.conversation import Context, Plan
from assistant.answering.execute import answer_plan
from assistant.answering.toolbox import Toolbox
from assistant.capabilities import load_all
from assistant.nlu.example_bank import ExampleBank, Match, Span
from assistant.nlu.readings import Readings, confirmed
from assistant.nlu.timeparse import find_all_periods
from assistant.router.router import SUGGESTIONS, Router
from assistant.teach.marking import mark_answer
from assistant.warehouse.db import connect

if TYPE_CHECKING:
    from assistant.llm.agent import LLMAgent
    from assistant.llm.chat import ChatModel


class Assistant:
    """One warehouse, one knowledge index, one router. ``ask`` answers a question in a conversation."""

    def __init__(
        self,
        db: str | Path,
        *,
        index: str | Path | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
        use_llm: bool = True,
        chat_model: ChatModel | None = None,
        examples: ExampleBank | None = None,
    ) -> None:
        self.con = con or connect(db)
        self.index = index
        self.registry = load_all()
        self.toolbox = Toolbox(self.registry, self.con, Knowledge(index))
        self.router = Router(self.con)
        # Phrasings the team confirmed (accepted feedback): read as the confirmed phrasing, on both paths.
        self.examples = examples.matcher(self.named_things) if examples is not None else None
        # What a clarification offers: the questions closest in meaning (readings.yaml and the confirmed phrasings).
        self.readings = _readings(examples)
        # LLM mode when configured (OPENAI_API_KEY, or a chat model passed in); the router otherwise and as fallback.
        self.llm: LLMAgent | None = None
        if use_llm:
            from assistant.llm import agent_for

            self.llm = agent_for(self.toolbox, self.answer_by_rules, chat_model, reader=self.read)

    def close(self) -> None:
        self.con.close()

    def ask(self, question: str, ctx: Context | None = None) -> Answer:
        t0 = time.perf_counter()
        ctx = ctx or Context()
        answer = mark_answer(question, ctx)
        taught = self.examples.match(question) if answer is None and self.examples is not None else None
        asked = question
        if taught is not None:
            question = taught.rewrite
        if answer is None and self.llm is not None:
            # A request to change data or about data the warehouse lacks is refused the same way on both paths.
            refused = self.router.refused(question)
            if refused is not None:
                answer = self.answer_plan(question, refused, ctx)
        if answer is None:
            answer = self.llm.ask(question, ctx) if self.llm is not None else self.answer_by_rules(question, ctx)
        if taught is not None:
            _say_taught(answer, asked, taught)
        answer.elapsed_ms = (time.perf_counter() - t0) * 1000
        return answer

    def named_things(self, text: str) -> list[Span]:
        """Regions, cities, reps, products … and periods in a question, for matching confirmed phrasings."""
        out = [Span(e.kind, e.start, e.end, e.text) for e in self.router.entities.find(text)]
        return out + [Span("period", m.start, m.end, m.text) for m in find_all_periods(text, self.router.ref)]

    def read(self, question: str, ctx: Context) -> list[Plan]:
        """The router's reading of a question, one plan per part (the LLM gets it as a hint)."""
        parts = self.router.parts(question, ctx)
        if len(parts) == 1:
            return [self.router.route(question, ctx)]
        return [self.router.route(p, Context(user_rep_id=ctx.user_rep_id)) for p in parts]

    def answer_by_rules(self, question: str, ctx: Context) -> Answer:
        """The deterministic path: the router's plan, carried out; for a question that asks several things,
        every part answered in one reply."""
        parts = self.router.parts(question, ctx)
        if len(parts) == 1:
            return self.answer_plan(question, self.router.route(question, ctx), ctx)
        # Each part is its own question (it carries what it needs from the earlier part): not a follow-up of it.
        answers = []
        previous: Plan | None = None
        for p in parts:
            part_ctx = Context(user_rep_id=ctx.user_rep_id)
            plan = (previous and self.router.elliptical(p, previous)) or self.router.route(p, part_ctx)
            answers.append(self.answer_plan(p, plan, part_ctx))
            previous = plan if plan.kind == "tool" else previous
            if part_ctx.last_plan is not None:
                ctx.remember(part_ctx.last_plan, part_ctx.last_columns, part_ctx.last_rows)
            ctx.focus_customer = part_ctx.focus_customer or ctx.focus_customer
        return compose_parts(question, answers)

    def answer_plan(self, question: str, plan: Plan, ctx: Context) -> Answer:
        if self.readings is not None and plan.suggestions == SUGGESTIONS.get(plan.language):
            # not understood (or refused): the likeliest readings first instead of the general examples
            likely = self.readings.likeliest(question, plan.language)
            plan.suggestions = likely + [s for s in plan.suggestions if s not in likely][: max(0, 4 - len(likely))]
        return answer_plan(question, plan, ctx, self.toolbox)


def _readings(examples: ExampleBank | None) -> Readings | None:
    """Readings ranked by the sentence encoder, loaded on the first clarification; None without the encoder."""
    from knowledge.encoder import available, get_encoder

    if not available():
        return None

    def extra() -> list:
        return [confirmed(e.question, e.rewrite) for e in examples.examples()] if examples is not None else []

    return Readings(lambda texts: get_encoder().encode(texts), extra)


def _say_taught(answer: Answer, asked: str, taught: Match) -> None:
    """The answer says it read the question as a confirmed phrasing, and which one (the route records it)."""
    zh = answer.language == "zh"
    note = (
        f"按团队确认过的说法理解为「{taught.rewrite}」(反馈 #{taught.example.id})。"
        if zh
        else f'Read as the team\'s confirmed phrasing "{taught.rewrite}" (feedback #{taught.example.id}).'
    )
    answer.question = asked
    answer.notices.insert(0, note)
    answer.route = {
        **answer.route,
        "example": {"id": taught.example.id, "rewrite": taught.rewrite, "similarity": taught.similarity},
    }
