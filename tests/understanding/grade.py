"""Grade the assistant's answers to a blind question set against expectations computed by plain SQL.

A set is a YAML list of questions written by people who never saw the router (see README.md here). Each has
expectations that must all hold for the answer to count as right:

- ``number``: the value the SQL returns appears in the answer (headline figures, table or text);
- ``top``: the name the SQL returns is the answer's winner (first row of its table, or its text when it has none);
- ``names``: every name the SQL returns appears in the answer (``ordered``: in that order);
- ``no_figures``: the answer computed nothing (questions the data cannot answer, requests it must refuse);
- ``doc``: the answer cites that methodology document.

``python -m tests.understanding.grade SET.yaml [--db PATH] [--index DIR] [--misses]`` prints the scores as JSON
(``--misses``: with every miss; do not look at the misses of a set that has not had its one unseen measurement).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml

HERE = Path(__file__).parent
REL_TOL = 0.001  # float sums in another order; rounding of written numbers is allowed for separately
KINDS = ("number", "top", "names", "no_figures", "doc")
SHAPES = (
    "value", "count", "list", "ranking", "winner", "share", "trend", "change", "explain", "profile",
    "out_of_data", "multi",
)  # fmt: skip

_NUM = re.compile(r"(?<![\w.])[-−]?\d[\d,]*(?:\.\d+)?\s*(?:万|亿|%|％)?")


@dataclass
class Question:
    id: str
    q: str
    lang: str
    role: str
    shape: str
    expect: list[dict[str, Any]]
    as_rep: str | None = None


@dataclass
class Outcome:
    question: Question
    ok: bool
    failed: list[str] = field(default_factory=list)  # which expectations did not hold, and why


def load(path: Path) -> list[Question]:
    """The questions of a set; a malformed one stops the load with its id and what is wrong."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(rows, list):
        raise ValueError(f"{path}: a YAML list of questions is expected")
    out, seen = [], set()
    for row in rows:
        qid = str(row.get("id", ""))
        if not qid or qid in seen:
            raise ValueError(f"{path}: missing or repeated id {qid!r}")
        seen.add(qid)
        expect = row.get("expect") or []
        if not expect or any(e.get("kind") not in KINDS for e in expect):
            raise ValueError(f"{path}: {qid}: each expectation needs a kind among {KINDS}")
        if row.get("shape") not in SHAPES or row.get("lang") not in ("zh", "en"):
            raise ValueError(f"{path}: {qid}: shape must be one of {SHAPES} and lang zh or en")
        out.append(
            Question(
                qid, str(row["q"]), str(row["lang"]), str(row["role"]), str(row["shape"]), expect, row.get("as_rep")
            )
        )
    return out


# ---- what an answer holds -------------------------------------------------------------------------
def _flat_numbers(v: Any) -> Iterable[float]:
    if isinstance(v, bool) or v is None:
        return
    if isinstance(v, (int, float, Decimal)):
        f = float(v)
        if math.isfinite(f):
            yield f
    elif isinstance(v, dict):
        for x in v.values():
            yield from _flat_numbers(x)
    elif isinstance(v, (list, tuple)):
        for x in v:
            yield from _flat_numbers(x)


def text_numbers(text: str) -> list[tuple[float, bool, float]]:
    """Numbers written in a text, with 万/亿 and % read: (value, is_percent, rounding), where rounding is the
    most the written value can be off from the true one (half its last written digit).

    >>> text_numbers("销售额 46.3万, 增长 12.5%, 共 1,204 家")
    [(463000.0, False, 500.0), (12.5, True, 0.05), (1204.0, False, 0.5)]
    """
    out = []
    for m in _NUM.finditer(text):
        tok = m.group(0).replace(",", "").replace("−", "-").strip()
        scale, pct = 1.0, False
        if tok.endswith("万"):
            scale, tok = 1e4, tok[:-1]
        elif tok.endswith("亿"):
            scale, tok = 1e8, tok[:-1]
        elif tok.endswith(("%", "％")):
            pct, tok = True, tok[:-1]
        tok = tok.strip()
        try:
            value = float(tok)
        except ValueError:
            continue
        decimals = len(tok.partition(".")[2])
        out.append((value * scale, pct, 0.5 * 10**-decimals * scale))
    return out


def parts(ans: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer and its parts (an answer to a multi-part question may carry one per part)."""
    return [ans, *[p for p in ans.get("parts") or [] if isinstance(p, dict)]]


def numbers_in(ans: dict[str, Any]) -> list[tuple[float, bool, float]]:
    """(value, is_percent, rounding) of every number in the answer: exact values from figures and tables,
    rounded ones from the text."""
    out: list[tuple[float, bool, float]] = []
    for p in parts(ans):
        out += [(x, False, 0.0) for x in _flat_numbers(p.get("figures"))]
        out += [(x, False, 0.0) for x in _flat_numbers((p.get("data") or {}).get("rows"))]
        out += text_numbers(str(p.get("answer") or ""))
    return out


def _close(a: float, b: float, rounding: float = 0.0) -> bool:
    """Equal within float noise, or within what writing the number rounded it by."""
    return abs(a - b) <= max(REL_TOL * abs(b), 1e-9, rounding * 1.0001)


def has_number(ans: dict[str, Any], expected: float) -> bool:
    """The expected value, or the same share or rate written as a percentage or as a fraction."""
    for value, pct, rounding in numbers_in(ans):
        if _close(value, expected, rounding):
            return True
        if (pct or abs(expected) <= 1) and _close(value, expected * 100, rounding):
            return True
        if (pct or abs(value) <= 1) and _close(value * 100, expected, rounding * 100):
            return True
        if pct and _close(value / 100, expected, rounding / 100):
            return True
    return False


def _norm(s: Any) -> str:
    return re.sub(r"\s+", " ", str(s)).strip().lower()


def first_row_names(ans: dict[str, Any]) -> list[str]:
    rows = (ans.get("data") or {}).get("rows") or []
    return [_norm(v) for v in rows[0] if isinstance(v, str)] if rows else []


def names_in(ans: dict[str, Any]) -> list[str]:
    """String cells of every table, in row order, then the texts."""
    out: list[str] = []
    for p in parts(ans):
        for row in (p.get("data") or {}).get("rows") or []:
            out += [_norm(v) for v in row if isinstance(v, str)]
    return out


def texts(ans: dict[str, Any]) -> str:
    return "\n".join(_norm(p.get("answer") or "") for p in parts(ans))


# ---- expectations -----------------------------------------------------------------------------------
def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    if row is None or row[0] is None:
        raise ValueError(f"expected value is empty: {sql}")
    return row[0]


def check(e: dict[str, Any], ans: dict[str, Any], con: duckdb.DuckDBPyConnection) -> str:
    """'' when the expectation holds, else why not."""
    kind = e["kind"]
    if kind == "number":
        value = float(_scalar(con, e["sql"]))
        return "" if has_number(ans, value) else f"number {value:g} not in the answer"
    if kind == "top":
        name = _norm(_scalar(con, e["sql"]))
        if any(p.get("data", {}).get("rows") for p in parts(ans)):
            heads = [c for p in parts(ans) for c in first_row_names(p)]
            return "" if name in heads else f"winner {name!r} not the first row"
        return "" if name in texts(ans) else f"winner {name!r} not named"
    if kind == "names":
        want = [_norm(r[0]) for r in con.execute(e["sql"]).fetchall()]
        if not want:
            raise ValueError(f"expected names are empty: {e['sql']}")
        cells, text = names_in(ans), texts(ans)
        missing = [n for n in want if n not in cells and n not in text]
        if missing:
            return f"names missing: {missing[:5]}"
        if e.get("ordered"):
            order = [cells.index(n) for n in want if n in cells]
            if order != sorted(order):
                return "names in another order"
        return ""
    if kind == "no_figures":
        computed = ans.get("tool") or any((p.get("data") or {}).get("rows") for p in parts(ans))
        computed = computed or any(True for p in parts(ans) for _ in _flat_numbers(p.get("figures")))
        return "figures given to a question the data cannot answer" if computed else ""
    if kind == "doc":
        docs = {c.get("doc") for p in parts(ans) for c in p.get("citations") or []}
        return "" if e["doc"] in docs else f"doc {e['doc']} not cited (cited {sorted(d for d in docs if d)})"
    raise ValueError(f"unknown expectation kind {kind}")


def grade(
    questions: list[Question], ask: Callable[[Question], dict[str, Any]], con: duckdb.DuckDBPyConnection
) -> list[Outcome]:
    out = []
    for q in questions:
        ans = ask(q)
        failed = [f"{e['kind']}: {why}" for e in q.expect if (why := check(e, ans, con))]
        out.append(Outcome(q, not failed, failed))
    return out


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """Accuracy overall and by language, role and shape."""

    def rate(items: list[Outcome]) -> dict[str, Any]:
        right = sum(o.ok for o in items)
        return {"n": len(items), "right": right, "rate": round(right / len(items), 3) if items else None}

    out: dict[str, Any] = {"all": rate(outcomes)}
    for key in ("lang", "role", "shape"):
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for o in outcomes:
            groups[getattr(o.question, key)].append(o)
        out[key] = {k: rate(v) for k, v in sorted(groups.items())}
    return out


def run_set(path: Path, db: Path, index: Path | None) -> list[Outcome]:
    """The set through the default path a user gets with no LLM configured, one new conversation per question;
    expectations computed on the same warehouse connection."""
    from assistant.agent import Assistant
    from assistant.answering.conversation import Context

    bot = Assistant(db, index=index, use_llm=False)
    try:
        return grade(load(path), lambda q: bot.ask(q.q, Context(user_rep_id=q.as_rep)).to_json(), bot.con)
    finally:
        bot.close()


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set", type=Path)
    ap.add_argument("--db", type=Path, default=Path("data/warehouse.duckdb"))
    ap.add_argument("--index", type=Path, default=None)
    ap.add_argument("--misses", action="store_true")
    a = ap.parse_args(argv)
    outcomes = run_set(a.set, a.db, a.index)
    report: dict[str, Any] = summary(outcomes)
    if a.misses:
        report["misses"] = [{"id": o.question.id, "q": o.question.q, "why": o.failed} for o in outcomes if not o.ok]
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
