"""A plan carried out: the tool run (or the explanation looked up), then the answer composed.

The deterministic path (the router's plans) and the LLM's fallback come through here.
"""

from __future__ import annotations

from assistant.answering.answer import Answer, result_text
from assistant.answering.citations import cite
from assistant.answering.compose import compose, compose_error
from assistant.answering.conversation import Context, Plan
from assistant.answering.toolbox import Toolbox
from assistant.core.errors import AssistantError
from knowledge.ourdocs import docs_of_tool

# Plain queries explain no concept: no automatic citations.
NO_CONCEPT_TOOLS = frozenset({"metric_query", "sql_query"})


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
    # A tool that writes its own narrative (the business review) is shown as written; others are described.
    narrative = result.figures.get("markdown")
    text = result_text(spec.name, spec.zh, spec.en, result, lang, period)
    citations = []
    if spec.name not in NO_CONCEPT_TOOLS and not isinstance(narrative, str):
        fallback = spec.zh if lang == "zh" else spec.en
        citations = toolbox.knowledge.citations_for(question, spec.name, lang, fallback_query=fallback)
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
        f"**{top.heading or top.title}**\n\n{top.snippet}\n\n"
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
