"""Teaching mode: every generated question has exactly one correct answer, marking is right, examples are faithful."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from assistant.core.errors import InputError
from assistant.teach.core import LETTERS, curriculum, explain, mark, quiz, rfm_walkthrough
from knowledge.ourdocs import find_section
from tools import load_all
from tools.tables import load as load_table


@pytest.fixture(scope="module")
def con(sample_db: Path):
    c = duckdb.connect(str(sample_db), read_only=True)
    yield c
    c.close()


def test_curriculum_points_at_real_sections() -> None:
    ids = [t["id"] for t in curriculum()]
    assert len(ids) == len(set(ids)) >= 15
    for t in curriculum():
        for lang in ("zh", "en"):
            for a in ["what", *t["detailed"]]:
                assert find_section(t["doc"], lang, a) is not None, (t["id"], lang, a)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_explain_two_levels_with_citations(lang: str) -> None:
    brief, cites = explain("rfm", "brief", lang)
    detailed, more = explain("rfm", "detailed", lang)
    assert len(detailed) > 2 * len(brief) and len(more) > len(cites) >= 1
    assert all(f"knowledge/docs/{lang}/rfm.md#" in c for c in more)


def test_unknown_topic_lists_the_choices() -> None:
    with pytest.raises(InputError, match="rfm"):
        explain("astrology")


def _independent_answer(ex, con: duckdb.DuckDBPyConnection, lang: str) -> str:
    """Work out the right option without the generator's own bookkeeping."""
    name = "zh" if lang == "zh" else "en"
    if ex.id.startswith("rfm-"):
        words = {"高": "high", "低": "low"}

        r, f, m = (words.get(x, x) for x in re.findall(r"[RFM] (高|低|high|low)", ex.question))
        return next(c[name] for c in load_table("rfm")["classes8"] if (c["r"], c["f"], c["m"]) == (r, f, m))
    if ex.id.startswith("nps-"):
        nums = [int(x) for x in re.findall(r"\d+", ex.question)]
        # zh: "{n} 份问卷中,推荐者(9–10 分){pro} 人,贬损者(0–6 分){det} 人"; en: "Of {n} responses, {pro} … (9–10) and {det} …"
        n, pro, det = (nums[0], nums[3], nums[6]) if lang == "zh" else (nums[0], nums[1], nums[4])
        return f"{round((pro - det) / n * 100, 1):g}"
    if ex.id.startswith("classify-"):
        res = load_all()["rfm"].run(con, {"by": "customer", "customer_ids": [ex.data["customer_id"]]})
        rec, fig = res.records()[0], res.figures
        key = (
            "high" if rec["recency_days"] <= fig["r_threshold"] else "low",
            "high" if rec["frequency"] >= fig["f_threshold"] else "low",
            "high" if float(rec["monetary"]) >= fig["m_threshold"] else "low",
        )
        return next(c[name] for c in load_table("rfm")["classes8"] if (c["r"], c["f"], c["m"]) == key)
    return ex.options[ex.answer]  # customer-type rules are checked in test_customer_type_questions


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("seed", range(6))
def test_every_question_has_exactly_one_correct_answer(con: duckdb.DuckDBPyConnection, seed: int, lang: str) -> None:
    items = quiz(con, n=9, seed=seed, lang=lang)
    assert {e.kind for e in items} == {"concept", "classify"}
    for ex in items:
        assert len(ex.options) == len(set(ex.options)) >= 3, ex.question
        right = _independent_answer(ex, con, lang)
        assert ex.options.count(right) == 1 and ex.options.index(right) == ex.answer, (ex.question, ex.options, right)
        ok, feedback = mark(ex, LETTERS[ex.answer], lang)
        assert ok and ex.citation in feedback
        for i in range(len(ex.options)):
            if i != ex.answer:
                wrong, fb = mark(ex, LETTERS[i], lang)
                assert not wrong and ex.options[ex.answer] in fb


def test_customer_type_questions() -> None:
    th = {k: v["value"] for k, v in load_table("customer_types")["thresholds"].items()}
    seen = set()
    for seed in range(40):
        for ex in quiz(None, n=3, seed=seed):
            if not ex.id.startswith("type-"):
                continue

            days = [int(x) for x in re.findall(r"(\d+) 天前", ex.question)]
            got = ex.options[ex.answer]
            seen.add(got)
            if "多次购买" in ex.question:
                assert got == "流失客户" and days[0] > th["lost_after_days"]
            elif "F 分 1" in ex.question:
                assert got == "潜在客户" and days[0] <= th["potential_first_order_within_days"]
            elif "F 分 2" in ex.question:
                assert got == "边缘客户" and days[0] > th["potential_first_order_within_days"]
            else:
                assert (
                    got == "忠诚客户"
                    and days[0] >= th["loyal_min_tenure_days"]
                    and days[1] <= th["loyal_max_recency_days"]
                )
    assert seen == {"流失客户", "忠诚客户", "潜在客户", "边缘客户"}


def test_quiz_is_deterministic(con: duckdb.DuckDBPyConnection) -> None:
    a = [e.to_dict() for e in quiz(con, 6, seed=3)]
    b = [e.to_dict() for e in quiz(con, 6, seed=3)]
    assert a == b and a != [e.to_dict() for e in quiz(con, 6, seed=4)]


@pytest.mark.parametrize("given", ["E", "0", "", "maybe"])
def test_marking_refuses_answers_that_are_not_options(given: str) -> None:
    ex = quiz(None, 1, seed=1)[0]
    with pytest.raises(InputError, match="letters"):
        mark(ex, given, "en")


def test_marking_accepts_letter_number_or_text() -> None:
    ex = quiz(None, 1, seed=2)[0]
    assert mark(ex, LETTERS[ex.answer].lower())[0]
    assert mark(ex, str(ex.answer + 1))[0]
    assert mark(ex, ex.options[ex.answer])[0]


def test_rfm_walkthrough_matches_the_tool(con: duckdb.DuckDBPyConnection) -> None:
    cid = con.execute(
        "SELECT customer_id FROM orders WHERE status = 'completed' ORDER BY customer_id LIMIT 1"
    ).fetchone()[0]
    text, res = rfm_walkthrough(con, cid)
    rec = res.records()[0]
    assert f"**{rec['class_zh']}**" in text
    for k in ("R", "F", "M"):
        assert f"{k}(" in text
    r = con.execute(
        "SELECT (SELECT max(order_date) FROM orders) - max(order_date) FROM orders WHERE customer_id = ? AND status = 'completed'",
        [cid],
    ).fetchone()[0]
    assert f"= {float(r)}" in text or f"= {r}" in text
    with pytest.raises(InputError):
        rfm_walkthrough(con, "C999999")
