"""The one place an ``Answer`` is built: from tool results, an explanation, a clarification or an error.

The deterministic path, the LLM path and the web app's error answers all come through ``compose``, so every
answer has the same fields filled the same way: the main result's table, figures, chart, definitions and
provenance (tool, arguments, SQL, reference date), the notes of every result it rests on, and a "see" line for
its citations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assistant.answering.answer import Answer, Citation, chart_for
from assistant.answering.follow_ups import follow_ups
from assistant.core.errors import AssistantError

# Figures a tool returns for the answer's text or for marking, never shown as figures.
HIDDEN_FIGURES = ("markdown", "exercises")


def see_line(citations: Sequence[Citation], lang: str) -> str:
    return ("参考:" if lang == "zh" else "See: ") + "; ".join(c.citation for c in citations)


def compose(
    question: str,
    lang: str,
    text: str,
    *,
    results: Sequence[Any] = (),
    tool: str | None = None,
    arguments: Mapping[str, Any] | None = None,
    route: Mapping[str, Any] | None = None,
    notices: Sequence[str] = (),
    citations: Sequence[Citation] = (),
    suggestions: Sequence[str] = (),
    see_also: bool = True,
) -> Answer:
    """An answer in ``lang`` whose text is ``text``.

    ``results`` are the tool results the answer rests on, the main one last: its table, figures, chart and
    definitions are the answer's; the SQL and notes of all of them are. Without results, ``tool`` and
    ``arguments`` say what was planned. With ``see_also``, citations are listed after the text.
    """
    answer = Answer(
        question,
        lang,
        text,
        tool=tool,
        arguments=dict(arguments or {}),
        notices=list(notices),
        citations=list(citations),
        suggestions=list(suggestions),
        route=dict(route or {}),
    )
    if results:
        main = results[-1]
        answer.tool = tool or main.tool
        answer.arguments = main.arguments
        answer.columns, answer.rows = main.columns, main.rows
        answer.as_of = main.as_of
        answer.sql = [q for r in results for q in r.sql]
        answer.figures = {k: v for k, v in main.figures.items() if k not in HIDDEN_FIGURES}
        answer.definitions = [d.model_dump() for d in main.definitions]
        answer.chart = chart_for(main)
        answer.follow_ups = [q for q in follow_ups(answer.tool, main.arguments, lang) if q != question]
        for r in results:
            answer.notices += [n for n in r.notes if n not in answer.notices]
    if see_also and answer.citations:
        answer.answer += "\n\n" + see_line(answer.citations, lang)
    return answer


def compose_error(question: str, lang: str, exc: AssistantError, *, tool: str | None = None, **kw: Any) -> Answer:
    """An answer that says what went wrong and what to fix, in the asker's language."""
    msg = exc.message(lang)
    return compose(question, lang, msg, tool=tool, notices=[*kw.pop("notices", ()), msg], **kw)


def compose_parts(question: str, answers: Sequence[Answer]) -> Answer:
    """One reply to a question that asks several things: every part answered, in order.

    The reply's table, chart and provenance are those of the first part that computed something; each part's
    own answer is kept whole in ``parts``.
    """
    lang = answers[0].language
    main = next((a for a in answers if a.tool and a.rows), next((a for a in answers if a.tool), answers[0]))
    text = "\n\n".join(f"**{i}.** {a.answer}" for i, a in enumerate(answers, 1))
    out = Answer(
        question,
        lang,
        text,
        tool=main.tool,
        arguments=main.arguments,
        columns=main.columns,
        rows=main.rows,
        sql=[q for a in answers for q in a.sql],
        as_of=main.as_of,
        figures=main.figures,
        definitions=main.definitions,
        chart=main.chart,
        route={"kind": "parts", "language": lang, "parts": [a.route for a in answers]},
        parts=list(answers),
        follow_ups=next((a.follow_ups for a in reversed(answers) if a.follow_ups), []),
    )
    for a in answers:
        out.notices += [n for n in a.notices if n not in out.notices]
        out.suggestions += [s for s in a.suggestions if s not in out.suggestions]
        out.citations += [
            c for c in a.citations if (c.doc, c.section) not in {(x.doc, x.section) for x in out.citations}
        ]
    return out
