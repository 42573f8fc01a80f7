"""The assistant: a question → a plan (router, or an LLM when configured) → a tool run → an answer.

Every figure in an answer comes from a tool result; explanations come from the knowledge base
with citations. The connection is read-only.
"""

from __future__ import annotations

import re
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from assistant.answering.answer import Answer, Citation, chart_for, result_text
from assistant.answering.conversation import Context, Plan
from assistant.core.errors import AssistantError
from assistant.router.router import Router
from assistant.warehouse.db import connect
from tools import load_all

if TYPE_CHECKING:
    from assistant.llm.agent import LLMAgent
    from assistant.llm.chat import ChatModel

# An answer to an open quiz: "B", "2 C", "第3题 A", "选B", "answer is D".
ANSWER_RE = re.compile(
    r"^\s*(?:第?\s*(\d+)\s*(?:题|[.、::)])?\s*)?(?:我选|选择?|答案是?|my answer is|answer(?:\s+is)?|choose)?\s*([A-Da-d])\s*[。.!!]?\s*$",
    re.IGNORECASE,
)


@cache
def docs_of_tool() -> dict[str, list[str]]:
    """tool name → ids of the methodology documents that explain it (from the documents' front matter)."""
    from knowledge.ourdocs import parse_doc, shipped_docs

    out: dict[str, list[str]] = {}
    for path in shipped_docs():
        doc = parse_doc(path.read_text(encoding="utf-8"), str(path))
        for tool in doc.tools:
            if doc.doc_id not in out.setdefault(tool, []):
                out[tool].append(doc.doc_id)
    return out


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
    ) -> None:
        self.con = con or connect(db)
        self.index = index
        self.registry = load_all()
        self.router = Router(self.con)
        # LLM mode when configured (OPENAI_API_KEY, or a chat model passed in); the router otherwise and as fallback.
        self.llm: LLMAgent | None = None
        if use_llm:
            from assistant.llm import agent_for

            self.llm = agent_for(self, chat_model)

    def close(self) -> None:
        self.con.close()

    # ---- citations ----------------------------------------------------------------------------
    def _search(self, query: str, lang: str, k: int = 6) -> list[Any]:
        try:
            import knowledge

            return knowledge.search(query, k=k, lang=lang, index=self.index)
        except AssistantError:
            return []

    @staticmethod
    def _cite(hit: Any) -> Citation:
        return Citation(hit.doc_id, hit.anchor, hit.title, hit.heading, hit.snippet, hit.source, hit.citation())

    def citations_for(self, question: str, tool: str | None, lang: str, k: int = 2) -> list[Citation]:
        """Sections that explain what was computed: from the tool's own documents when possible."""
        hits = self._search(question, lang)
        docs = docs_of_tool().get(tool or "", [])
        chosen = [h for h in hits if h.doc_id in docs] if docs else hits
        if not chosen and tool and tool in self.registry:
            spec = self.registry[tool]
            chosen = [
                h for h in self._search(spec.zh if lang == "zh" else spec.en, lang) if not docs or h.doc_id in docs
            ]
        return [self._cite(h) for h in chosen[:k]]

    # ---- answering ----------------------------------------------------------------------------
    def _mark(self, question: str, ctx: Context) -> Answer | None:
        """An answer to the open quiz ("B", "2 C", "第3题 A", "answer D"), marked; None if it is not one."""
        from assistant.core.lang import detect_language
        from assistant.teach.core import Exercise, mark

        m = ANSWER_RE.match(question)
        if not ctx.exercises or m is None:
            return None
        open_ = [i for i in range(1, len(ctx.exercises) + 1) if i not in ctx.answered]
        number = int(m.group(1)) if m.group(1) else (open_[0] if open_ else 0)
        if not 1 <= number <= len(ctx.exercises):
            return None
        ex = Exercise(**ctx.exercises[number - 1])
        lang = detect_language(ex.question)
        ok, feedback = mark(ex, m.group(2), lang)
        ctx.answered[number] = ok
        text = f"**{number}.** {feedback}"
        if len(ctx.answered) == len(ctx.exercises):
            right = sum(ctx.answered.values())
            text += (
                f"\n\n全部答完:{right}/{len(ctx.exercises)} 题正确。"
                if lang == "zh"
                else f"\n\nAll answered: {right} of {len(ctx.exercises)} correct."
            )
            ctx.exercises, ctx.answered = [], {}
        return Answer(question, lang, text, tool="exercises", citations=[Citation("", "", "", "", "", "", ex.citation)])

    def ask(self, question: str, ctx: Context | None = None) -> Answer:
        t0 = time.perf_counter()
        ctx = ctx or Context()
        marked = self._mark(question, ctx)
        if marked is not None:
            marked.elapsed_ms = (time.perf_counter() - t0) * 1000
            return marked
        if self.llm is not None:
            answer = self.llm.ask(question, ctx)
        else:
            answer = self.answer_plan(question, self.router.route(question, ctx), ctx)
        answer.elapsed_ms = (time.perf_counter() - t0) * 1000
        return answer

    def answer_plan(self, question: str, plan: Plan, ctx: Context) -> Answer:
        lang = plan.language
        base = Answer(
            question, lang, "", tool=plan.tool, arguments=plan.args, notices=list(plan.notices), route=plan.to_dict()
        )
        if plan.kind in ("clarify", "unsupported"):
            base.tool = None
            base.suggestions = plan.suggestions
            base.answer = "\n".join([*plan.notices, *(f"- {s}" for s in plan.suggestions)])
            base.notices = []
            return base
        if plan.kind == "explain":
            hits = self._search(plan.explain_query or question, lang, k=3)
            if plan.tool:
                docs = docs_of_tool().get(plan.tool, [])
                hits = sorted(hits, key=lambda h: h.doc_id not in docs)
            if not hits:
                base.answer = (
                    "知识库里没有找到相关内容。" if lang == "zh" else "Nothing in the knowledge base covers this."
                )
                return base
            top = hits[0]
            base.tool = None
            base.citations = [self._cite(h) for h in hits[:3]]
            base.answer = (
                f"**{top.heading or top.title}**\n\n{top.snippet}\n\n"
                + ("来源:" if lang == "zh" else "Source: ")
                + top.citation()
            )
            return base
        spec = self.registry[str(plan.tool)]
        try:
            args = dict(plan.args)
            if "lang" in spec.args_model.model_fields and "lang" not in args:
                args["lang"] = lang  # tools that write prose write it in the question's language
            if spec.name == "exercises" and "seed" not in args:
                args["seed"] = ctx.quizzes  # a new set each time in a conversation, the same sets in a new one
            result = spec.run(self.con, args)
        except AssistantError as exc:
            base.answer = exc.message(lang)
            base.notices.append(exc.message(lang))
            return base
        period = None
        if plan.period:
            period = plan.period.zh if lang == "zh" else plan.period.en
        # A tool that writes its own narrative (the business review) is shown as written; others are described.
        narrative = result.figures.get("markdown")
        base.answer = result_text(spec.name, spec.zh, spec.en, result, lang, period)
        base.arguments = result.arguments
        base.columns, base.rows = result.columns, result.rows
        base.sql, base.as_of = result.sql, result.as_of
        # The quiz's answers stay in the conversation for marking; they are never shown or returned.
        if spec.name == "exercises":
            ctx.exercises, ctx.answered = list(result.figures.get("exercises", [])), {}
            ctx.quizzes += 1
        base.figures = {k: v for k, v in result.figures.items() if k not in ("markdown", "exercises")}
        base.definitions = [d.model_dump() for d in result.definitions]
        base.chart = chart_for(result)
        base.notices += result.notes
        # Plain metric queries explain no concept; analysis tools cite the sections behind their definitions.
        if plan.tool != "metric_query" and not isinstance(narrative, str):
            base.citations = self.citations_for(question, plan.tool, lang)
        if plan.explain_query:
            extra = [self._cite(h) for h in self._search(plan.explain_query, lang, k=2)]
            base.citations = extra + [
                c for c in base.citations if (c.doc, c.section) not in {(e.doc, e.section) for e in extra}
            ]
            if extra:
                base.answer += "\n\n" + (
                    f"**为什么?** {extra[0].snippet}" if lang == "zh" else f"**Why?** {extra[0].snippet}"
                )
        if base.citations:
            base.answer += (
                "\n\n" + ("参考:" if lang == "zh" else "See: ") + "; ".join(c.citation for c in base.citations)
            )
        ctx.remember(plan, result.columns, result.rows)
        return base
