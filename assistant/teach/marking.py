"""Marking a trainee's answer to the open quiz in a conversation ("B", "2 C", "第3题 A", "answer is D")."""

from __future__ import annotations

import re

from assistant.answering.answer import Answer, Citation
from assistant.answering.compose import compose
from assistant.answering.conversation import Context
from assistant.core.lang import detect_language
from assistant.teach.core import Exercise, mark

# An answer to an open quiz: "B", "2 C", "第3题 A", "选B", "answer is D".
ANSWER_RE = re.compile(
    r"^\s*(?:第?\s*(\d+)\s*(?:题|[.、::)])?\s*)?(?:我选|选择?|答案是?|my answer is|answer(?:\s+is)?|choose)?\s*([A-Da-d])\s*[。.!!]?\s*$",
    re.IGNORECASE,
)


def mark_answer(question: str, ctx: Context) -> Answer | None:
    """The trainee's answer to the open quiz, marked; None when ``question`` is not one (or no quiz is open)."""
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
    source = Citation("", "", "", "", "", "", ex.citation)
    return compose(question, lang, text, tool="exercises", citations=[source], see_also=False)
