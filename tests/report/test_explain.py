"""The review's quotes from our documents: whole sentences, a list whole with the sentence that introduces it."""

from __future__ import annotations

import pytest

from assistant.report.explain import MAX_CHARS, _units, brief
from knowledge.ourdocs import find_section

TEXT = """Intro sentence one. Second sentence:

- **First** item;
- Second item;
- Third item.

After the list. Another one.

1. Step one.
2. Step two.
"""


def test_a_list_is_one_unit_with_the_sentence_that_introduces_it() -> None:
    assert _units(TEXT, "en") == [
        "Intro sentence one.",
        "Second sentence: First item; Second item; Third item.",
        "After the list.",
        "Another one. 1. Step one. 2. Step two.",  # a list without a colon still belongs to the sentence before it
    ]


def test_chinese_units_join_without_spaces() -> None:
    text = "分成三组:\n\n- **甲**:一;\n- 乙:二。\n\n说明。"
    assert _units(text, "zh") == ["分成三组:甲:一;乙:二。", "说明。"]


# Every section the review quotes (assistant/report/build.py), in both languages.
QUOTED = [
    ("rfm", "what"),
    ("customer_types", "what"),
    ("customer_types", "actions"),
    ("churn_retention", "how"),
    ("pareto", "what"),
    ("big_customers", "what"),
    ("satisfaction", "nps"),
    ("customer_attention", "what"),
    ("profitability", "what"),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("doc", "anchor"), QUOTED)
def test_the_reviews_quotes_end_where_a_sentence_or_list_ends(doc: str, anchor: str, lang: str) -> None:
    got = brief(doc, anchor, lang)
    assert got is not None
    text, cite = got
    assert not text.endswith("…") and text[-1] in "。.!?!?;;", text
    assert len(text) <= MAX_CHARS[lang] * 2.5 and anchor in cite
    found = find_section(doc, lang, anchor)
    assert found is not None
    items = [ln for ln in found[1].text.splitlines() if ln.lstrip().startswith("- ")]
    # A list quoted at all is quoted to its end: the last item of the first list is there when its first is.
    if items and items[0].lstrip("- ").replace("**", "")[:12] in text:
        first_list_end = next(
            ln for i, ln in enumerate(found[1].text.splitlines()) if ln in items and not _next_is_item(found, i)
        )
        assert first_list_end.lstrip("- ").replace("**", "")[:12] in text


def _next_is_item(found: tuple, i: int) -> bool:
    lines = found[1].text.splitlines()
    return i + 1 < len(lines) and lines[i + 1].lstrip().startswith("- ")
