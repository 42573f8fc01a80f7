"""The example bank: confirmed phrasings matched with named things as placeholders, values carried over."""

from __future__ import annotations

import re

import pytest

from assistant.nlu.example_bank import Example, ExampleBank, Span, similarity

REGIONS = ("华东", "华北", "华南", "East China", "North China")
PERIODS = ("今年", "去年", "上个月", "这个月", "this year", "last year")


def finder(text: str) -> list[Span]:
    """A tiny stand-in for the warehouse's entity index: a few regions and periods."""
    out = []
    for kind, words in (("region", REGIONS), ("period", PERIODS)):
        for w in words:
            for m in re.finditer(re.escape(w), text):
                out.append(Span(kind, m.start(), m.end(), w))
    return out


def bank(*pairs: tuple[str, str]) -> ExampleBank:
    examples = [Example(str(i + 1), q, r) for i, (q, r) in enumerate(pairs)]
    return ExampleBank(lambda: examples, lambda: len(examples))


def test_the_same_question_matches_whatever_its_punctuation_and_spaces() -> None:
    m = bank(("我们的金主爸爸都有谁", "今年销售额前十的客户")).matcher(finder).match(" 我们的金主爸爸都有谁?")
    assert m is not None and m.rewrite == "今年销售额前十的客户" and m.similarity == 1.0


def test_values_of_the_question_replace_the_examples_own() -> None:
    b = bank(("华南上个月的金主都有谁", "华南上个月销售额前十的客户"))
    m = b.matcher(finder).match("华北今年的金主都有谁")
    assert m is not None and m.rewrite == "华北今年销售额前十的客户"


def test_an_extra_filter_goes_in_front_of_the_rewrite() -> None:
    m = bank(("金主爸爸都有谁", "销售额前十的客户")).matcher(finder).match("华东金主爸爸都有谁")
    # masked: "<region>金主爸爸都有谁" vs "金主爸爸都有谁" — one bigram more, still the same question
    assert m is not None and m.rewrite == "华东销售额前十的客户"


@pytest.mark.parametrize(
    "asked",
    [
        "上个月的金主都有谁",  # the example names a region; this question names none
        "今年的大客户都有谁",  # different words
        "who are the big spenders",  # another language
        "金主",  # a fragment
    ],
)
def test_near_misses_do_not_match(asked: str) -> None:
    b = bank(("华南上个月的金主都有谁", "华南上个月销售额前十的客户"))
    assert b.matcher(finder).match(asked) is None


def test_a_value_with_no_place_in_the_rewrite_means_no_match() -> None:
    # the rewrite does not say the example's period, so another period cannot be carried: no silent drop
    b = bank(("上个月的金主都有谁", "销售额前十的客户"))
    assert b.matcher(finder).match("上个月的金主都有谁") is not None
    assert b.matcher(finder).match("今年的金主都有谁") is None


def test_numbers_are_values_too() -> None:
    b = bank(("30天没动静的客户", "超过30天没有下单的客户"))
    m = b.matcher(finder).match("90天没动静的客户")
    assert m is not None and m.rewrite == "超过90天没有下单的客户"


def test_english_examples_match_english_questions() -> None:
    b = bank(("who are our whales in East China", "top 10 customers by revenue in East China"))
    m = b.matcher(finder).match("Who are our whales in North China?")
    assert m is not None and m.rewrite == "top 10 customers by revenue in North China"


def test_a_newer_example_wins_a_tie_and_the_bank_reloads_when_its_version_moves() -> None:
    examples = [Example("1", "金主都有谁", "销售额前十的客户")]
    version = [1]
    matcher = ExampleBank(lambda: list(examples), lambda: version[0]).matcher(finder)
    assert matcher.match("金主都有谁").rewrite == "销售额前十的客户"
    examples.append(Example("2", "金主都有谁", "销售额前五的客户"))
    assert matcher.match("金主都有谁").rewrite == "销售额前十的客户"  # version unchanged: not reread
    version[0] = 2
    assert matcher.match("金主都有谁").rewrite == "销售额前五的客户"


def test_similarity_is_dice_on_bigrams() -> None:
    assert similarity("abcd", "abcd") == 1.0
    assert similarity("abcd", "abce") == pytest.approx(2 * 2 / 6)
    assert similarity("上个月销售额", "这个月销售额") < 0.86  # why periods are masked, not compared as text
