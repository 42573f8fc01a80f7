"""A plan carried out: the tool run (or the explanation looked up), then the answer composed.

The deterministic path (the router's plans) and the LLM's fallback come through here.
"""

from __future__ import annotations

from dataclasses import asdict

from assistant.answering.answer import Answer, Citation, result_text
from assistant.answering.citations import cite
from assistant.answering.compose import compose, compose_error
from assistant.answering.conversation import Context, Plan
from assistant.answering.explain import (
    EXPLAIN_CHARS,
    Example,
    example,
    section_text,
    sections,
    tools_of,
    wants_our_data,
)
from assistant.answering.names import customer_names, name_reps, rep_names
from assistant.answering.support import backs
from assistant.answering.toolbox import Toolbox
from assistant.answering.writers import advice_of
from assistant.core.errors import AssistantError
from knowledge.ourdocs import docs_of_tool

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
    names = customer_names(toolbox.con, result)
    text = result_text(spec.name, spec.zh, spec.en, result, lang, period, names, question)
    rep_ids = [str(r) for r in result.arguments.get("rep_id") or []]
    text = name_reps(text, rep_names(toolbox.con, rep_ids), lang, ctx.user_rep_id)
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
    results = [result]
    if wants_our_data(question) and not isinstance(narrative, str):
        # "show me how the churn rate is computed with our data": the real case, its figures shown as computed
        case = example(spec.name, lang, toolbox, dict(plan.args))
        if case is not None:
            text = f"{text}\n\n{_example_block(case, lang)}"
            results = [case.result, result]
    # The quiz's answers stay in the conversation for marking; they are never shown or returned.
    if spec.name == "exercises":
        ctx.exercises, ctx.answered = list(result.figures.get("exercises", [])), {}
        ctx.quizzes += 1
    ctx.remember(plan, result.columns, result.rows)
    return compose(
        question, lang, text, results=results, tool=plan.tool, route=route, notices=plan.notices, citations=citations
    )


def _explain(question: str, plan: Plan, toolbox: Toolbox) -> Answer:
    lang = plan.language
    hits = toolbox.knowledge.search(plan.explain_query or question, lang, k=6)
    if plan.tool:
        docs = docs_of_tool().get(plan.tool, ())
        # the analysis's own documents first, unless the best section found is another one the question's words
        # back ("为什么有些大客户反而是亏钱的": profitability's loss-making section, though 大客户 names the tiers)
        keep = hits[:1] if hits and hits[0].doc_id not in docs and backs(question, hits[0]) else []
        hits = keep + sorted(hits[len(keep) :], key=lambda h: h.doc_id not in docs)
    if not plan.confident and not (hits and backs(question, hits[0])):
        return _unsure(question, plan)
    if not hits:
        text = "知识库里没有找到相关内容。" if lang == "zh" else "Nothing in the knowledge base covers this."
        return compose(
            question, lang, text, tool=plan.tool, arguments=plan.args, route=plan.to_dict(), notices=plan.notices
        )
    shown = sections(question, lang, hits, lambda q: toolbox.knowledge.search(q, lang, k=3))
    # several sections share one chat reply: each gets its share of the room, whole when it fits
    room = EXPLAIN_CHARS.get(lang, 1200) * (2 if len(shown) > 1 else 1) // len(shown)
    source = "来源:" if lang == "zh" else "Source: "
    blocks = [f"**{h.heading or h.title}**\n\n{section_text(h, max(room, 400))}" for h in shown]
    text = "\n\n".join(blocks) + "\n\n" + source + "; ".join(h.citation() for h in shown)
    results = []
    tool = plan.tool or next(iter(tools_of(shown[0])), None)
    if wants_our_data(question) and tool:
        case = example(tool, lang, toolbox, dict(plan.args))
        if case is not None:
            text += "\n\n" + _example_block(case, lang)
            results = [case.result]
    cited = [cite(h) for h in shown] + [
        cite(h) for h in hits[:3] if (h.doc_id, h.anchor) not in {(x.doc_id, x.anchor) for x in shown}
    ]
    answer = compose(
        question,
        lang,
        text,
        results=results,
        tool=tool if results else None,
        route=plan.to_dict(),
        notices=plan.notices,
        citations=cited[:4],
        see_also=False,
    )
    if not results:
        answer.arguments = dict(plan.args)
    return answer


# What the assistant says when it did not understand; the router's clarifications say the same.
UNSURE = {
    "zh": "我还不确定您想看什么。可以换个说法,或试试下面这些问题:",
    "en": "I am not sure what you would like to see. Rephrase it, or try one of these:",
}


def _unsure(question: str, plan: Plan) -> Answer:
    """A guessed explanation the knowledge base did not back: say so and offer the plan's suggested questions."""
    lang = plan.language
    text = "\n".join([UNSURE.get(lang, UNSURE["en"]), *(f"- {s}" for s in plan.suggestions)])
    route = {**plan.to_dict(), "kind": "clarify", "reason": "a guessed explanation the knowledge base did not back"}
    return compose(question, lang, text, route=route, suggestions=plan.suggestions)


def _example_block(case: Example, lang: str) -> str:
    head = "**用我们的数据举例**" if lang == "zh" else "**With our data**"
    return head + "\n\n" + ("" if lang == "zh" else " ").join(case.text)
