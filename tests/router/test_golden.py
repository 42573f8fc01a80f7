"""The router against its golden file, on a real generated warehouse (no LLM)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from assistant.answering.conversation import Context
from assistant.router.router import Router

GOLDEN = yaml.safe_load((Path(__file__).with_name("golden.yaml")).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def router(sample_db: Path) -> Router:
    con = duckdb.connect(str(sample_db), read_only=True)
    return Router(con)


def norm(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return v


def check(plan: Any, case: dict[str, Any]) -> None:
    assert plan.kind == case.get("kind", "tool"), (case["q"], plan.to_dict())
    if "tool" in case:
        assert plan.tool == case["tool"], (case["q"], plan.to_dict())
    # Effective arguments: what the tool will run with, defaults included.
    from assistant.capabilities import load_all

    spec = load_all().get(plan.tool) if plan.tool else None
    args = norm(spec.args_model.model_validate(plan.args).model_dump(mode="python")) if spec else norm(plan.args)
    for k, v in case.get("args", {}).items():
        got = args.get(k)
        if k == "having":
            got = [{**h, "value": float(h["value"])} for h in got or []]
            v = [{**h, "value": float(h["value"])} for h in v]
        assert got == v, (case["q"], k, got, v, plan.to_dict())


@pytest.mark.parametrize("case", GOLDEN["single"], ids=lambda c: c["q"][:40] or "empty")
def test_single_question(router: Router, case: dict[str, Any]) -> None:
    check(router.route(case["q"], Context()), case)


@pytest.mark.parametrize("turns", GOLDEN["conversations"], ids=lambda t: t[0]["q"][:30])
def test_conversation(router: Router, turns: list[dict[str, Any]]) -> None:
    from assistant.capabilities import load_all

    registry = load_all()
    ctx = Context()
    last_rows: list[list[Any]] = []
    last_cols: list[str] = []
    focus = None
    for case in turns:
        plan = router.route(case["q"], ctx)
        check(plan, case)
        if "row" in case:
            id_col = next(c for c in ("customer_id", "customer") if c in last_cols)
            assert plan.args["customer_ids"] == [last_rows[case["row"] - 1][last_cols.index(id_col)]]
            focus = plan.args["customer_ids"]
        if case.get("same_customer"):
            assert plan.args["customer_ids"] == focus
        result = registry[plan.tool].run(router.con, plan.args)
        if plan.tool != "customer_profile":
            last_rows, last_cols = result.rows, result.columns
        ctx.remember(plan, result.columns, result.rows)


def test_mine_uses_the_signed_in_rep(router: Router) -> None:
    plan = router.route("我负责的客户里哪些超过60天没下单", Context(user_rep_id="R003"))
    assert plan.args["rep_id"] == ["R003"]
    anonymous = router.route("我负责的客户里哪些超过60天没下单", Context())
    assert "rep_id" not in anonymous.args and anonymous.notices  # says it cannot tell who "I" am


@pytest.mark.parametrize(
    "q",
    [
        "'; DROP TABLE customers; --",
        "客户' OR 1=1 --",
        "a" * 5000,
        "🙂🙂🙂",
        "SELECT * FROM customers",
        "\x00\x01",
        "华东" * 500,
    ],
)
def test_hostile_questions_never_break_the_router(router: Router, q: str) -> None:
    plan = router.route(q, Context())
    assert plan.kind in ("tool", "clarify", "explain", "unsupported")
    assert router.con.execute("SELECT count(*) FROM customers").fetchone()[0] == 400
