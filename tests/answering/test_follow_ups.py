"""Suggested next questions: each one, asked as it is, gets the analysis it promises (routed for real)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest

from assistant.answering.conversation import Context
from assistant.answering.follow_ups import follow_ups, period_words, table
from assistant.router.router import Router

SEEDS = [
    "华东区今年销售额前十的客户",
    "今年的销售额",
    "2026年第3季度各大区的销售额",
    "今年每月的订单数",
    "Top 10 customers by revenue this year",
    "revenue in Q3 2026",
    "monthly gross profit in 2026",
    "North China revenue by city this year",
]


@pytest.fixture(scope="module")
def router(sample_db) -> Iterator[Router]:
    con = duckdb.connect(str(sample_db), read_only=True)
    yield Router(con)
    con.close()


def _plan(router: Router, q: str):
    return router.route(q, Context())


@pytest.mark.parametrize("question", SEEDS)
def test_metric_follow_ups_keep_the_measure_filters_and_period(router: Router, question: str) -> None:
    plan = _plan(router, question)
    assert plan.tool == "metric_query", plan.reason
    suggestions = follow_ups(plan.tool, plan.args, plan.language)
    assert 2 <= len(suggestions) <= 3, suggestions
    for s in suggestions:
        got = _plan(router, s)
        assert got.kind == "tool" and got.language == plan.language, (s, got.reason)
        if got.tool == "change_drivers":
            assert (got.args["start"], got.args["end"]) == (plan.args["start"], plan.args["end"]), s
            continue
        assert got.tool == "metric_query", (s, got.tool)
        assert got.args["metrics"] == plan.args["metrics"], s
        for k in ("region", "city", "industry"):
            assert got.args.get(k) == plan.args.get(k), (s, k)
        assert (got.args.get("start"), got.args.get("end")) == (plan.args.get("start"), plan.args.get("end")), s
        assert got.args.get("by") != plan.args.get("by"), s  # something new: a breakdown or a trend


@pytest.mark.parametrize("tool", sorted(table()["tools"]))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_fixed_suggestions_are_understood(router: Router, tool: str, lang: str) -> None:
    for s in follow_ups(tool, {}, lang):
        got = _plan(router, s)
        assert got.kind == "tool" and got.language == lang, (s, got.reason)


def test_a_filter_a_suggestion_cannot_carry_means_no_metric_suggestions() -> None:
    args = {"metrics": ["revenue"], "by": [], "product": ["P001"], "start": "2026-01-01", "end": "2026-10-30"}
    assert follow_ups("metric_query", args, "zh") == []


@pytest.mark.parametrize(
    ("start", "end", "zh", "en"),
    [
        ("2026-01-01", "2026-10-30", "2026年", " in 2026"),
        ("2026-07-01", "2026-09-30", "2026年第3季度", " in Q3 2026"),
        ("2026-09-01", "2026-09-30", "2026年9月", " in September 2026"),
        ("2026-08-02", "2026-08-31", "2026-08-02至2026-08-31", " from 2026-08-02 to 2026-08-31"),
        (None, None, "", ""),
    ],
)
def test_period_words(start, end, zh: str, en: str) -> None:
    assert period_words(start, end, "zh") == zh and period_words(start, end, "en") == en
    if start:
        assert period_words(dt.date.fromisoformat(start), dt.date.fromisoformat(end), "zh") == zh
