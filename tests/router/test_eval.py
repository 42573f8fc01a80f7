"""The router evaluation set (tests/router/eval/questions.yaml) through Router + tools on the sample warehouse.

Each question is scored fully correct when the plan's kind, tool and key arguments are right and, where the
set gives one, the answer's table matches an independent hand-written SQL expectation. Unanswerable
questions must get no number. Accuracy by category and language is printed and written to
tests/artifacts/router_eval.json, together with the held-out set's score (reported, not asserted).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.agent import Assistant
from assistant.answering.conversation import Context
from assistant.capabilities import load_all

EVAL = Path(__file__).with_name("eval")
ARTIFACT = Path(__file__).parents[1] / "artifacts" / "router_eval.json"
TARGET = 0.90
# The analysis tools the issue names; each has questions in the set.
ANALYSIS_TOOLS = {
    "rfm",
    "customer_types",
    "tiers",
    "boston_matrix",
    "satisfaction",
    "attention",
    "churn_retention",
    "loyalty",
    "profitability",
    "clv",
    "credit",
    "cross_sell",
    "product_distribution",
}

# Hand-written relations the SQL expectations use (plain contract tables, not our tools).
LINES_ALL = """(SELECT o.order_id, o.customer_id, o.order_date, o.channel, o.status, oi.quantity, oi.amount,
    oi.product_id, p.category, p.unit_cost, c.name AS cname, c.region, c.city, c.industry, c.size, c.rep_id,
    c.acquisition_channel
  FROM orders o JOIN order_items oi ON oi.order_id = o.order_id
  LEFT JOIN products p ON p.product_id = oi.product_id
  JOIN customers c ON c.customer_id = o.customer_id
  WHERE o.order_date <= DATE '2026-10-30')"""
LINES_DONE = f"(SELECT * FROM {LINES_ALL} WHERE status = 'completed')"
FILTER_KEYS = ("region", "city", "industry", "size", "rep_id", "category", "channel", "customer_ids")


def load(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((EVAL / name).read_text(encoding="utf-8"))["questions"]


# ---- comparing plans ---------------------------------------------------------------------------
def _norm(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def _one_of(got: Any, want: Any) -> bool:
    """A list of dates/values in the expectation for a scalar slot lists the acceptable answers."""
    if isinstance(want, list) and not isinstance(got, list):
        return any(_one_of(got, w) for w in want)
    if isinstance(got, (int, float)) and isinstance(want, (int, float)) and not isinstance(got, bool):
        return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-9)
    return bool(got == want)


def _having_ok(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> bool:
    if len(got) != len(want):
        return False
    return all(
        g["metric"] == w["metric"] and _one_of(g["op"], w["op"]) and _one_of(float(g["value"]), w["value"])
        for g, w in zip(got, want, strict=True)
    )


def _substitute(v: Any, prev: tuple[list[str], list[list[Any]]]) -> Any:
    if isinstance(v, dict):
        return {k: _substitute(x, prev) for k, x in v.items()}
    if isinstance(v, list):
        return [_substitute(x, prev) for x in v]
    if isinstance(v, str) and v.startswith("$prev.row"):
        cols, rows = prev
        col = next((c for c in ("customer_id", "customer") if c in cols), None)
        i = int(v.removeprefix("$prev.row")) - 1
        return rows[i][cols.index(col)] if col is not None and i < len(rows) else f"<no row {i + 1}>"
    return v


def plan_problems(plan: Any, exp: dict[str, Any], prev: tuple[list[str], list[list[Any]]]) -> list[str]:
    """Why the plan differs from one expectation (tool + args, or kind); empty when it matches."""
    kind = exp.get("kind", "tool")
    if kind == "unsupported":
        return [] if plan.kind in ("unsupported", "clarify") else [f"kind {plan.kind} ({plan.tool}), want unsupported"]
    if kind != "tool":
        return [] if plan.kind == kind else [f"kind {plan.kind} ({plan.tool}), want {kind}"]
    if plan.kind != "tool":
        return [f"kind {plan.kind}, want tool {exp['tool']}: {'; '.join(plan.notices)}"]
    if plan.tool != exp["tool"]:
        return [f"tool {plan.tool}, want {exp['tool']}"]
    spec = load_all()[plan.tool]
    try:
        args = _norm(spec.args_model.model_validate(plan.args).model_dump(mode="python"))
    except Exception as exc:  # an invalid plan is a wrong plan
        return [f"invalid args {plan.args}: {exc}"]
    want = _norm(_substitute(exp.get("args", {}), prev))
    problems: list[str] = []
    for k, v in want.items():
        got = args.get(k)
        if k in ("metrics", "by"):
            ok = sorted(got or []) == sorted(v)
        elif k in FILTER_KEYS:
            ok = sorted(got or []) == sorted(v)
        elif k == "having":
            ok = _having_ok(got or [], v)
        else:
            ok = _one_of(got, v)
        if not ok:
            problems.append(f"{k}={got!r}, want {v!r}")
    # Slots the question did not ask for must not be invented.
    for k in FILTER_KEYS:
        if k in args and k not in want and args[k]:
            problems.append(f"unasked filter {k}={args[k]!r}")
    if "start" in args and "start" not in want and args["start"] is not None:
        problems.append(f"unasked start={args['start']!r}")
    if plan.tool == "metric_query":
        if "compare" not in want and args.get("compare") not in (None, "none"):
            problems.append(f"unasked compare={args['compare']!r}")
        if "order" not in want and args.get("order") == "asc":
            problems.append("unasked ascending order")
        if "having" not in want and args.get("having"):
            problems.append(f"unasked having={args['having']!r}")
    return problems


# ---- comparing tables --------------------------------------------------------------------------
def _cell_eq(a: Any, b: Any) -> bool:
    a, b = _norm(a), _norm(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=0.01)
    return str(a) == str(b)


def _row_has(row: list[Any], want: tuple[Any, ...]) -> bool:
    return all(any(_cell_eq(w, c) for c in row) for w in want)


def table_problems(con: Any, answer: Any, exp: dict[str, Any]) -> list[str]:
    sql = exp["sql"].replace("{L}", LINES_DONE).replace("{A}", LINES_ALL)
    want = con.execute(sql).fetchall()
    rows = answer.rows
    if exp.get("ordered"):
        if len(rows) < len(want) or (exp.get("match") != "contains" and len(rows) != len(want)):
            return [f"{len(rows)} rows, want {len(want)}"]
        # Row i must hold the i-th sort value (the expectation's last column); rows tied on it may come in
        # any order, and at the cut-off a tie may bring in a different member.
        sort_values = [w[-1] for w in want]
        for i, w in enumerate(want):
            tied = sum(_cell_eq(v, w[-1]) for v in sort_values) > 1 or (
                i == len(want) - 1 and any(_cell_eq(w[-1], c) for r in rows[i + 1 :] for c in r)
            )
            if not _row_has(rows[i], (w[-1],)) or (not tied and not _row_has(rows[i], w)):
                return [f"row {i + 1} {rows[i]} != {w}"]
        return []
    if exp.get("match") != "contains" and len(rows) != len(want):
        return [f"{len(rows)} rows, want {len(want)}: first want {want[:1]}, got {rows[:1]}"]
    free = list(range(len(rows)))
    for w in want:
        hit = next((i for i in free if _row_has(rows[i], w)), None)
        if hit is None:
            return [f"expected row {w} not in the answer (first rows {rows[:2]})"]
        free.remove(hit)
    return []


# ---- numbers in refusals -----------------------------------------------------------------------
NUM = re.compile(r"\d+(?:[.,]\d+)*")


def invented_numbers(question: str, answer: Any) -> list[str]:
    """Numbers in a refusal's text that are neither in the question nor in an offered example question."""
    if answer.rows or answer.figures:
        return ["a table or figures"]
    text = "\n".join(line for line in answer.answer.splitlines() if not line.lstrip().startswith("- "))
    allowed = set(NUM.findall(question))
    return [n for n in NUM.findall(text) if n not in allowed]


# ---- running -----------------------------------------------------------------------------------
def run_entry(bot: Assistant, entry: dict[str, Any]) -> dict[str, Any]:
    turns = entry.get("turns") or [entry]
    ctx = Context()
    prev: tuple[list[str], list[list[Any]]] = ([], [])
    problems: list[str] = []
    invented: list[str] = []
    routes = []
    for turn in turns:
        plan = bot.router.route(turn["q"], ctx)
        answer = bot.answer_plan(turn["q"], plan, ctx)
        routes.append({"q": turn["q"], "kind": plan.kind, "tool": plan.tool, "args": _norm(plan.args)})
        options = [turn, *turn.get("alt", [])]
        found = [plan_problems(plan, o, prev) for o in options]
        turn_problems = [] if any(not f for f in found) else found[0]
        if plan.language != entry["lang"] and not turn_problems:
            turn_problems = [f"language {plan.language}, want {entry['lang']}"]
        if not turn_problems and "sql" in turn and not found[0]:
            turn_problems = table_problems(bot.con, answer, turn)
        elif not turn_problems and plan.tool and plan.tool != "customer_profile" and answer.notices:
            # A tool error surfaces as a notice with no table: the question got no answer.
            if not answer.rows and not answer.figures:
                turn_problems = [f"no result: {answer.notices[0]}"]
        if turn.get("kind") == "unsupported":
            invented += invented_numbers(turn["q"], answer)
        problems += [f"[{turn['q']}] {p}" for p in turn_problems]
        prev = (answer.columns, answer.rows) if plan.tool != "customer_profile" else prev
    return {
        "id": entry["id"],
        "q": " → ".join(t["q"] for t in turns),
        "category": entry["cat"],
        "language": entry["lang"],
        "ok": not problems and not invented,
        "problems": problems + [f"invented numbers: {invented}"] * bool(invented),
        "invented_number": bool(invented),
        "routes": routes,
    }


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    def acc(rs: list[dict[str, Any]]) -> dict[str, Any]:
        ok = sum(r["ok"] for r in rs)
        return {"n": len(rs), "correct": ok, "accuracy": round(ok / len(rs), 4) if rs else None}

    by_cat: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_lang: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by_cat[r["category"]].append(r)
        by_lang[r["language"]].append(r)
    return {
        "overall": acc(results),
        "by_category": {k: acc(v) for k, v in sorted(by_cat.items())},
        "by_language": {k: acc(v) for k, v in sorted(by_lang.items())},
        "invented_numbers": [r["id"] for r in results if r["invented_number"]],
        "failures": [{"id": r["id"], "q": r["q"], "problems": r["problems"]} for r in results if not r["ok"]],
    }


def table(title: str, s: dict[str, Any]) -> str:
    lines = [title, f"{'':18}{'n':>5}{'ok':>5}{'acc':>8}"]
    for name, a in [("overall", s["overall"]), *s["by_language"].items(), *s["by_category"].items()]:
        lines.append(f"{name:18}{a['n']:>5}{a['correct']:>5}{a['accuracy']:>8.1%}")
    return "\n".join(lines)


def _first_run() -> dict[str, Any] | None:
    path = EVAL / "holdout.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("first_run") if path.exists() else None


@pytest.fixture(scope="module")
def bot(sample_db: Path, knowledge_index: Path) -> Assistant:
    return Assistant(sample_db, index=knowledge_index)


def test_the_set_is_what_the_issue_asks_for() -> None:
    qs = load("questions.yaml")
    langs = [q["lang"] for q in qs]
    assert len(qs) >= 170 and langs.count("zh") >= 110 and langs.count("en") >= 55
    assert sum(1 for q in qs if "turns" in q) >= 10
    with_sql = sum(1 for q in qs for t in q.get("turns") or [q] if "sql" in t)
    assert with_sql >= 60
    assert len({q["id"] for q in qs}) == len(qs)
    for cat in ("metric_total", "metric_by", "metric_top", "metric_filter", "metric_time", "metric_compare"):
        assert any(q["cat"] == cat for q in qs), cat
    for cat in ("metric_having", "analysis", "explain", "lookup", "followup", "unsupported"):
        assert any(q["cat"] == cat for q in qs), cat
    tools = {t.get("tool") for q in qs for t in q.get("turns") or [q]}
    assert ANALYSIS_TOOLS <= tools, ANALYSIS_TOOLS - tools


def test_evaluation_set_meets_the_targets(bot: Assistant, capsys: pytest.CaptureFixture[str]) -> None:
    results = [run_entry(bot, e) for e in load("questions.yaml")]
    holdout = [run_entry(bot, e) for e in load("holdout.yaml")] if (EVAL / "holdout.yaml").exists() else []
    report = {
        "reference_date": str(bot.router.ref),
        "evaluation": summarise(results),
        "holdout": summarise(holdout) if holdout else None,
        "holdout_first_run": _first_run(),
        "results": results,
        "holdout_results": holdout,
    }
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    with capsys.disabled():
        print("\n" + table("router evaluation", report["evaluation"]))
        if holdout:
            first = report["holdout_first_run"] or {}
            print(
                table(
                    f"held-out questions now (first run, the figure to quote: {first.get('correct')}/{first.get('n')})",
                    report["holdout"],
                )
            )
    s = report["evaluation"]
    assert not s["invented_numbers"], s["invented_numbers"]
    assert s["overall"]["accuracy"] >= TARGET, json.dumps(s["failures"], ensure_ascii=False, indent=1)
