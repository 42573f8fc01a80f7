"""The narrative check, by hand: which numbers trace back to the results, with the formats people write."""

from __future__ import annotations

import pytest

from assistant.llm.number_check import mentions, untraceable

RESULT = {
    "revenue": 1234567.891,
    "customers": 57,
    "change_pct": -3.456,
    "share": 0.1234,
    "as_of": "2024-06-30",
    "customer_id": "C000123",
    "nps": 41.0,
}

CASES = [
    # (narrative, untraceable numbers as written)
    ("销售额 1,234,567.89 元", []),
    ("销售额 1,234,568 元", []),  # rounded to the yuan
    ("销售额 1,234,567 元", []),  # truncated to the yuan
    ("销售额 123.5万", []),
    ("销售额约 123万", []),
    ("revenue of 1.23M", []),
    ("revenue of 1.2 million", []),
    ("约1.2百万", []),
    ("共 57 位客户", []),
    ("共 58 位客户", ["58"]),  # a count is quoted exactly
    ("下降 3.5%", []),
    ("下降 3.46%", []),
    ("下降 4%", ["4%"]),
    ("占比 12.3%", []),  # the ratio 0.1234 as a percentage
    ("占比 12.34%", []),
    ("占比 13%", ["13%"]),
    ("NPS 41", []),
    ("截至 2024-06-30", []),
    ("截至2024年6月30日(第2季度)", []),
    ("客户 C000123", []),
    ("客户 C000999", ["000999"]),  # an id not in the results is caught too
    ("销售额 124万", ["124万"]),
    ("revenue grew to 1.5 million", ["1.5 million"]),
    ("合计 1,234,624.89", ["1,234,624.89"]),  # revenue + customers: arithmetic is not traceable
    ("销售额 １２３.５万", []),  # full-width digits
    ("前 10 名", []),  # in the question
]


@pytest.mark.parametrize(("text", "bad"), CASES)
def test_numbers_trace_to_results(text: str, bad: list[str]) -> None:
    assert untraceable(text, [RESULT], question="前10名客户") == bad


def test_list_numbering_up_to_the_rows_shown() -> None:
    text = "1. 华东 2. 华北 3. 华南"
    assert untraceable(text, [{"x": "a"}], ordinals=3) == []
    assert untraceable(text, [{"x": "a"}], ordinals=2) == ["3"]


def test_mentions_read_units_and_decimals() -> None:
    got = [(m.value, m.decimals, m.unit) for m in mentions("1,234.5万 与 12% 和 3 million")]
    assert got == [(1234.5, 1, "万"), (12.0, 0, "%"), (3.0, 0, "million")]
