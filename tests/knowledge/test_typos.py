"""Typo correction against our vocabulary: real typos fixed, ordinary words never touched."""

from __future__ import annotations

import pytest

from knowledge.typos import correct


@pytest.mark.parametrize(
    ("query", "fixed"),
    [
        ("客户需球分析一般分几步", "客户需求分析一般分几步"),
        ("波士顿距阵怎么用", "波士顿矩阵怎么用"),
        ("帕雷托曲线怎么读", "帕累托曲线怎么读"),
        ("how to caculate churn", "how to calculate churn"),
        ("whats the differnce btw loyalty and satisfaction", "whats the difference btw loyalty and satisfaction"),
    ],
)
def test_typos_fixed(query: str, fixed: str) -> None:
    assert correct(query) == fixed


@pytest.mark.parametrize(
    "query",
    [
        "我们现在客户很多",  # 现在 is a word: not a typo of 潜在
        "客户流失了怎么办",  # 了 is a particle: not a typo of 流失率
        "净推荐值咋算的",  # a known term is never changed
        "价格档次属于哪一层要素",  # question words stay: not 第一层要素
        "is it risky to depend on one client",  # another form of a known word, not a typo
        "RFM 打分遇到并列咋整",
        "",
    ],
)
def test_ordinary_words_untouched(query: str) -> None:
    assert correct(query) == query
