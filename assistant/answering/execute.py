"""A plan carried out: the tool run (or the explanation looked up), then the answer composed.

The deterministic path (the router's plans) and the LLM's fallback come through here.
"""

from __future__ import annotations

import re
from dataclasses import asdict

from assistant.answering.answer import Answer, Citation, result_text
from assistant.answering.citations import cite
from assistant.answering.compose import compose, compose_error
from assistant.answering.conversation import Context, Plan
from assistant.answering.names import customer_names
from assistant.answering.toolbox import Toolbox
from assistant.answering.writers import advice_of
from assistant.core.errors import AssistantError
from knowledge.models import Hit
from knowledge.ourdocs import docs_of_tool, find_section

# Plain queries explain no concept: no automatic citations (a change's drivers have no document of their own; the
# search found unrelated "why" sections).
NO_CONCEPT_TOOLS = frozenset({"metric_query", "sql_query", "change_drivers"})


def answer_plan(question: str, plan: Plan, ctx: Context, toolbox: Toolbox) -> Answer:
    """The answer to ``question`` by ``plan``; the conversation remembers what it showed."""
    lang = plan.language
    route = plan.to_dict()
    if plan.kind in ("clarify", "unsupported"):
        text = "\n".join([*plan.notices, *(f"- {s}" for s in plan.suggestions)])
        return compose(question, lang, text, arguments=plan.args, route=route, suggestions=plan.suggestions)
    if plan.kind == "explain":
        return _explain(question, plan, toolbox)
    spec = toolbox.spec(str(plan.tool))
    args = dict(plan.args)
    if spec.name == "exercises" and "seed" not in args:
        args["seed"] = ctx.quizzes  # a new set each time in a conversation, the same sets in a new one
    try:
        result = toolbox.run(spec.name, args, lang=lang)
    except AssistantError as exc:
        return compose_error(
            question, lang, exc, tool=plan.tool, arguments=plan.args, route=route, notices=plan.notices
        )
    period = (plan.period.zh if lang == "zh" else plan.period.en) if plan.period else None
    # A tool that writes its own narrative (the business review) is shown as written; others are described, the
    # answer first (answer.describe_result), then the figures and rows it rests on.
    narrative = result.figures.get("markdown")
    text = result_text(spec.name, spec.zh, spec.en, result, lang, period, customer_names(toolbox.con, result))
    citations = []
    if spec.name not in NO_CONCEPT_TOOLS and not isinstance(narrative, str):
        fallback = spec.zh if lang == "zh" else spec.en
        citations = toolbox.knowledge.citations_for(question, spec.name, lang, fallback_query=fallback)
        advice = advice_of(result, lang)
        if advice is not None:  # the section the answer's advice quotes comes first
            citations = [Citation(**asdict(advice))] + [
                c for c in citations if (c.doc, c.section) != (advice.doc, advice.section)
            ]
    if plan.explain_query:
        extra = [cite(h) for h in toolbox.knowledge.search(plan.explain_query, lang, k=2)]
        shown = {(e.doc, e.section) for e in extra}
        citations = extra + [c for c in citations if (c.doc, c.section) not in shown]
        if extra:
            text += "\n\n" + (f"**为什么?** {extra[0].snippet}" if lang == "zh" else f"**Why?** {extra[0].snippet}")
    # The quiz's answers stay in the conversation for marking; they are never shown or returned.
    if spec.name == "exercises":
        ctx.exercises, ctx.answered = list(result.figures.get("exercises", [])), {}
        ctx.quizzes += 1
    ctx.remember(plan, result.columns, result.rows)
    return compose(
        question, lang, text, results=[result], tool=plan.tool, route=route, notices=plan.notices, citations=citations
    )


# How much of a section an explanation shows: a chat reply, not the whole document.
EXPLAIN_CHARS = {"zh": 900, "en": 1800}
_SENTENCE_END = re.compile(r"(?<=[。!?!?;;])|(?<=[.!?])\s")


def section_text(hit: Hit) -> str:
    """The section a hit points at, whole when it fits a chat reply, else cut at the last paragraph or sentence
    end that fits, never mid-sentence. Users' pages (not ours) show the passage found."""
    found = find_section(hit.doc_id, hit.language, hit.anchor) if hit.kind == "doc" else None
    text = found[1].text.strip() if found else hit.snippet
    limit = EXPLAIN_CHARS.get(hit.language, 1200)
    if len(text) <= limit:
        return text
    cut = text.rfind("\n\n", 0, limit)
    if cut < limit // 2:
        ends = [m.start() for m in _SENTENCE_END.finditer(text, 0, limit)]
        cut = ends[-1] if ends else limit
    more = "(全文见出处)" if hit.language == "zh" else "(the whole section is in the source)"
    return text[:cut].rstrip() + "\n\n" + more


def _explain(question: str, plan: Plan, toolbox: Toolbox) -> Answer:
    lang = plan.language
    hits = toolbox.knowledge.search(plan.explain_query or question, lang, k=3)
    if plan.tool:
        docs = docs_of_tool().get(plan.tool, ())
        hits = sorted(hits, key=lambda h: h.doc_id not in docs)
    if not hits:
        text = "知识库里没有找到相关内容。" if lang == "zh" else "Nothing in the knowledge base covers this."
        return compose(
            question, lang, text, tool=plan.tool, arguments=plan.args, route=plan.to_dict(), notices=plan.notices
        )
    top = hits[0]
    text = (
        f"**{top.heading or top.title}**\n\n{section_text(top)}\n\n"
        + ("来源:" if lang == "zh" else "Source: ")
        + top.citation()
    )
    return compose(
        question,
        lang,
        text,
        arguments=plan.args,
        route=plan.to_dict(),
        notices=plan.notices,
        citations=[cite(h) for h in hits[:3]],
        see_also=False,
    )
