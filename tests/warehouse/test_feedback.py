"""Feedback beside the warehouse: stored with who/when/question/answer/verdict, reviewed, exported; hostile input."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from assistant.core.errors import InputError
from assistant.warehouse.feedback import MAX_CORRECTION, FeedbackStore, feedback_path
from tests.web.helpers import cli  # the CLI's audit entries go to a scratch file, not the checkout's data/

ROOT = Path(__file__).resolve().parents[2]
ANSWER = {"language": "zh", "answer": "我还不确定您想看什么", "tool": None}


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(feedback_path(tmp_path / "warehouse.duckdb"))


def test_lives_beside_the_warehouse_and_is_the_owners_only(store: FeedbackStore, tmp_path: Path) -> None:
    assert store.path == tmp_path / "warehouse.feedback.sqlite"
    assert not store.path.exists() and store.list() == [] and store.version() == 0  # reading creates nothing
    store.add(who="li", role="sales", question="q", answer=ANSWER, verdict="up")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_a_verdict_is_kept_with_who_when_question_and_answer(store: FeedbackStore) -> None:
    fid = store.add(who="li", role="sales", question=" 我们的 金主 ", answer=ANSWER, verdict="down", correction="x")
    item = store.get(fid)
    assert (item.who, item.role, item.question, item.verdict, item.correction, item.status) == (
        "li",
        "sales",
        "我们的 金主",
        "down",
        "x",
        "new",
    )
    assert item.answer == ANSWER and item.created_at.endswith("+00:00")


def test_the_same_turn_changes_its_verdict_until_reviewed(store: FeedbackStore) -> None:
    a = store.add(who="li", role="sales", question="q", answer=ANSWER, verdict="up", turn="t1")
    b = store.add(who="li", role="sales", question="q", answer=ANSWER, verdict="down", correction="c", turn="t1")
    assert a == b and store.get(a).verdict == "down" and len(store.list()) == 1
    other = store.add(who="wang", role="sales", question="q", answer=ANSWER, verdict="up", turn="t1")
    assert other != a  # another user's turn is their own
    store.review(a, "accepted", "boss")
    with pytest.raises(InputError, match="reviewed"):
        store.add(who="li", role="sales", question="q", answer=ANSWER, verdict="up", turn="t1")


def test_review_moves_the_version_and_accept_needs_a_phrasing(store: FeedbackStore) -> None:
    fid = store.add(who="li", role="sales", question="q", answer=ANSWER, verdict="down")
    v0 = store.version()
    with pytest.raises(InputError, match="--as"):
        store.review(fid, "accepted", "boss")
    done = store.review(fid, "accepted", "boss", rewrite="今年销售额前十的客户")
    assert done.status == "accepted" and done.rewrite == "今年销售额前十的客户" and done.reviewed_by == "boss"
    assert store.version() > v0 and [i.id for i in store.accepted()] == [fid]
    store.review(fid, "rejected", "boss")
    assert store.accepted() == [] and store.get(fid).rewrite is None


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"verdict": "maybe"}, "verdict"),
        ({"question": "   "}, "no question"),
        ({"correction": "长" * (MAX_CORRECTION + 1)}, "too long"),
        ({"question": "q" * 2001}, "too long"),
    ],
)
def test_hostile_input_is_refused_with_what_to_fix(store: FeedbackStore, kwargs: dict, fragment: str) -> None:
    args = {"who": "li", "role": "sales", "question": "q", "answer": ANSWER, "verdict": "down", **kwargs}
    with pytest.raises(InputError, match=fragment):
        store.add(**args)
    assert store.list() == []  # nothing half-written


def test_unknown_numbers_and_statuses_say_what_to_do(store: FeedbackStore) -> None:
    with pytest.raises(InputError, match="feedback list"):
        store.get(42)
    with pytest.raises(InputError, match="status"):
        store.list("done")
    with pytest.raises(InputError, match="accepted"):
        store.review(1, "maybe", "boss")


@pytest.mark.slow
def test_a_correction_accepted_on_the_command_line_is_answered_right(sample_db: Path, tmp_path: Path) -> None:
    """The loop end to end, on a real warehouse: a phrasing that fails, corrected once, accepted, answered."""
    from assistant.agent import Assistant
    from assistant.agent.examples import bank_for

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    bot = Assistant(db, use_llm=False, examples=bank_for(db))
    try:
        asked = "我们的金主爸爸都有谁"
        before = bot.ask(asked)
        assert before.tool is None  # not understood: a clarification
        store = FeedbackStore(feedback_path(db))
        fid = store.add(
            who="li",
            role="sales",
            question=asked,
            answer=before.to_json(),
            verdict="down",
            correction="今年销售额前十的客户",
        )
        listed = json.loads(cli("feedback", "list", "--json", "--db", str(db)).stdout)
        assert [(i["id"], i["verdict"], i["correction"]) for i in listed] == [(fid, "down", "今年销售额前十的客户")]

        bad = store.add(who="li", role="sales", question="别的", answer={}, verdict="down", correction="天气怎么样")
        refused = cli("feedback", "accept", str(bad), "--db", str(db))
        assert refused.returncode == 2 and "not understood" in refused.stderr
        assert store.get(bad).status == "new"

        done = cli("feedback", "accept", str(fid), "--db", str(db))
        assert done.returncode == 0, done.stderr
        after = bot.ask(asked + "?")  # the same running assistant: no restart
        assert after.tool == "metric_query" and after.arguments["top"] == 10
        assert after.arguments["metrics"] == ["revenue"] and after.arguments["by"] == ["customer"]
        assert after.question == asked + "?" and f"#{fid}" in after.notices[0]
        assert after.route["example"]["id"] == str(fid)

        exported = cli("feedback", "export", "--db", str(db)).stdout.splitlines()
        assert [json.loads(line)["status"] for line in exported] == ["accepted", "new"]
        cli("feedback", "reject", str(fid), "--db", str(db))
        assert bot.ask(asked).tool is None  # withdrawn: read as it is again
    finally:
        bot.close()
