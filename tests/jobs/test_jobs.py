"""The three jobs (assistant/jobs): the follow-up list, the visit briefing and the period review, checked against
plain SQL on the sample warehouse, through the chat, `ask --json`, and for a signed-in salesperson."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from assistant.agent import Assistant
from assistant.answering.conversation import Context
from assistant.answering.formatting import fmt
from assistant.capabilities import load_all
from assistant.core.errors import InputError
from assistant.warehouse.access import Principal, open_for

REGISTRY = load_all()
OPEN_COMPLAINTS = """
SELECT DISTINCT customer_id FROM tickets WHERE kind = 'complaint' AND CAST(created_at AS DATE) <= ?
  AND (resolved_at IS NULL OR CAST(resolved_at AS DATE) > ?)
  AND customer_id IN (SELECT customer_id FROM orders WHERE status = 'completed')
"""
REVENUE_BETWEEN = """
SELECT coalesce(sum(i.amount), 0) FROM order_items i JOIN orders o USING (order_id)
WHERE o.status = 'completed' AND o.order_date BETWEEN ? AND ?
"""


@pytest.fixture(scope="module")
def con(sample_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(sample_db), read_only=True)
    yield c
    c.close()


def _as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    return con.execute("SELECT max(order_date) FROM orders").fetchone()[0]


def _rep_with_most_customers(con: duckdb.DuckDBPyConnection) -> str:
    return str(
        con.execute("SELECT rep_id FROM customers GROUP BY rep_id ORDER BY count(*) DESC, rep_id LIMIT 1").fetchone()[0]
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_open_complaints_come_first(con: duckdb.DuckDBPyConnection, lang: str) -> None:
    as_of = _as_of(con)
    complaints = {r[0] for r in con.execute(OPEN_COMPLAINTS, [as_of, as_of]).fetchall()}
    result = REGISTRY["follow_up"].run(con, {"lang": lang, "limit": 200})
    listed = [r[0] for r in result.rows]
    assert complaints <= set(listed)
    if complaints:
        assert set(listed[: len(complaints)]) == complaints  # the list starts with them
        name = con.execute("SELECT name FROM customers WHERE customer_id = ?", [listed[0]]).fetchone()[0]
        assert name in result.figures["markdown"].split("\n")[0]  # the lead names the first to call


def test_a_reps_list_holds_only_their_customers(con: duckdb.DuckDBPyConnection) -> None:
    rep = _rep_with_most_customers(con)
    theirs = {r[0] for r in con.execute("SELECT customer_id FROM customers WHERE rep_id = ?", [rep]).fetchall()}
    result = REGISTRY["follow_up"].run(con, {"rep_id": [rep], "limit": 200})
    assert result.rows and {r[0] for r in result.rows} <= theirs
    assert f"{rep} 名下" in result.figures["markdown"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_briefing_says_what_sql_says(con: duckdb.DuckDBPyConnection, lang: str) -> None:
    cid, name, orders = con.execute(
        "SELECT o.customer_id, c.name, count(*) FROM orders o JOIN customers c USING (customer_id) "
        "WHERE o.status = 'completed' GROUP BY ALL ORDER BY 3 DESC, 1 LIMIT 1"
    ).fetchone()
    as_of = _as_of(con)
    (this_year,) = con.execute(
        REVENUE_BETWEEN.replace("WHERE", "WHERE o.customer_id = ? AND"), [cid, dt.date(as_of.year, 1, 1), as_of]
    ).fetchone()
    text = REGISTRY["visit_briefing"].run(con, {"customer_ids": [cid], "lang": lang}).figures["markdown"]
    lead = text.split("\n")[0]
    assert lead.startswith(name) and f"{orders:,}" in lead, lead
    assert fmt(this_year, "revenue", lang) in text, text
    assert ("谈话要点" if lang == "zh" else "Talking points") in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_review_compares_with_the_same_days_before(con: duckdb.DuckDBPyConnection, lang: str) -> None:
    as_of = _as_of(con)
    start = dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    prev_start = dt.date(start.year - (start.month == 1), (start.month - 4) % 12 + 1, 1)
    prev_end = prev_start + (as_of - start)
    (now,) = con.execute(REVENUE_BETWEEN, [start, as_of]).fetchone()
    (before,) = con.execute(REVENUE_BETWEEN, [prev_start, prev_end]).fetchone()
    result = REGISTRY["period_review"].run(con, {"lang": lang})
    lead = result.figures["markdown"].split("\n")[0]
    assert fmt(now, "revenue", lang) in lead and fmt(before, "revenue", lang) in lead, lead
    pct = 100 * (float(now) - float(before)) / float(before)
    assert f"{abs(pct):.1f}%" in lead


# ---- the chat, ask --json, a signed-in salesperson ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "tool"),
    [
        ("我该跟进谁", "follow_up"),
        ("who should I follow up", "follow_up"),
        ("这个季度我们做得怎么样", "period_review"),
        ("how did we do last month", "period_review"),
    ],
)
def test_the_chat_reaches_the_jobs(sample_db: Path, question: str, tool: str) -> None:
    bot = Assistant(sample_db, use_llm=False)
    try:
        ans = bot.ask(question, Context())
    finally:
        bot.close()
    assert ans.tool == tool and ans.sql and ans.answer.split("\n")[0]


def test_the_chat_briefs_a_named_customer(sample_db: Path, con: duckdb.DuckDBPyConnection) -> None:
    cid, name = con.execute(
        "SELECT customer_id, name FROM customers WHERE customer_id IN (SELECT customer_id FROM orders) ORDER BY 1 LIMIT 1"
    ).fetchone()
    bot = Assistant(sample_db, use_llm=False)
    try:
        ans = bot.ask(f"拜访{name}前帮我准备一下", Context())
    finally:
        bot.close()
    assert ans.tool == "visit_briefing" and ans.arguments["customer_ids"] == [cid] and ans.answer.startswith(name)


def test_ask_json_answers_a_job(sample_db: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "ask",
            "who should I follow up",
            "--json",
            "--db",
            str(sample_db),
            "--no-llm",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    ans = json.loads(out.stdout)
    assert ans["tool"] == "follow_up" and ans["data"]["rows"] and ans["sql"]
    assert ans["data"]["columns"][:2] == ["customer_id", "customer_name"]


def test_a_salesperson_sees_only_their_customers(sample_db: Path, con: duckdb.DuckDBPyConnection) -> None:
    rep = _rep_with_most_customers(con)
    theirs = {r[0] for r in con.execute("SELECT customer_id FROM customers WHERE rep_id = ?", [rep]).fetchall()}
    other = con.execute("SELECT customer_id FROM customers WHERE rep_id <> ? ORDER BY 1 LIMIT 1", [rep]).fetchone()[0]
    scoped = open_for(sample_db, Principal("s", "sales", rep))
    try:
        listed = REGISTRY["follow_up"].run(scoped, {"limit": 200})
        assert listed.rows and {r[0] for r in listed.rows} <= theirs
        with pytest.raises(InputError):
            REGISTRY["visit_briefing"].run(scoped, {"customer_ids": [other]})
        bot = Assistant(sample_db, con=scoped, use_llm=False)
        ans = bot.ask("我该跟进谁", Context(user_rep_id=rep))
        assert ans.tool == "follow_up" and {r[0] for r in ans.rows} <= theirs
    finally:
        scoped.close()
