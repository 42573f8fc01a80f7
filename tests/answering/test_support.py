"""A guessed explanation needs a section that shares a content word with the question."""

from __future__ import annotations

import pytest

from assistant.answering.support import backs, content_terms
from knowledge.models import Hit


def hit(title: str, heading: str, snippet: str) -> Hit:
    return Hit(
        doc_id="d", title=title, anchor="a", heading=heading, language="zh", snippet=snippet, source="s", score=0.3
    )


LIFECYCLE = hit("客户生命周期", "什么是客户生命周期", "一个客户从认识我们到离开,我们把它分成五个阶段")
STAGES_EN = hit("The customer lifecycle", "What it is", "We use five stages, from first contact to leaving.")


@pytest.mark.parametrize(
    ("question", "section", "backed"),
    [
        ("客户一般会经历哪些阶段?", LIFECYCLE, True),
        ("客户吃饭了吗", LIFECYCLE, False),  # the subject alone is no evidence
        ("客户那边最近咋样了", LIFECYCLE, False),  # nor are question words and "lately"
        ("what stages does a customer go through?", STAGES_EN, True),  # stage ~ stages
        ("how are the customers doing?", STAGES_EN, False),
        ("", LIFECYCLE, False),
    ],
)
def test_backs(question: str, section: Hit, backed: bool) -> None:
    assert backs(question, section) is backed


def test_content_terms_leave_out_the_subject_and_the_question_words() -> None:
    assert content_terms("客户分析包括哪六个方面?") >= {"分析", "方面"}
    assert not content_terms("客户怎么样了?")
    assert content_terms("which customers are we losing") == {"losing"}
