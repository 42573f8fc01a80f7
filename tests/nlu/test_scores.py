"""A survey score named with a value (assistant/nlu/scores.py): which score, which comparison, which number."""

from __future__ import annotations

import pytest

from assistant.nlu.scores import read_score


@pytest.mark.parametrize(
    ("question", "spec"),
    [
        ("去年满意度打了2分的问卷有多少份", "csat=2"),
        ("推荐意愿给了10分的客户都有谁", "nps=10"),
        ("费力度打6分及以上的问卷占多少", "ces>=6"),
        ("which accounts scored us a one on satisfaction", "csat=1"),
        ("customers who rated us 3 or less on effort", "ces<=3"),
    ],
)
def test_a_score_and_its_value(question: str, spec: str) -> None:
    cond = read_score(question)
    assert cond is not None and cond.spec == spec


@pytest.mark.parametrize("question", ["今年的NPS是多少", "top 5 customers by csat", "打了8折的订单有多少"])
def test_no_score_without_a_value_or_a_score(question: str) -> None:
    assert read_score(question) is None
