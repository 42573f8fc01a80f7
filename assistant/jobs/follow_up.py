"""Who should I follow up: one list from four tools, each customer with its reasons and the next step for its type.

- overdue against the customer's own buying rhythm: churn_retention (view at_risk);
- open complaints and tickets: attention (view backlog);
- low scores: satisfaction (the least satisfied 20%, whose mean NPS answer is a detractor's);
- big customers gone quiet: rfm, the classes with high M and low R (重要保持, 重要挽留);
and the customer's type (customer_types) for what to do. A salesperson's connection holds only their customers, and
"my customers" passes their rep id: every tool is run on the same scope.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb
from pydantic import Field

from assistant.answering.formatting import fmt
from assistant.answering.writers import scope
from assistant.jobs.common import Runs, filters, money, say, sources, words
from tools.base import CommonFilters, ToolResult

QUIET_CLASSES = ("重要保持", "重要挽留")  # high M, low R: big spenders cooling off (knowledge/docs/*/rfm.md#actions)
DETRACTOR_MAX = 6.0  # a mean NPS answer of a detractor (0–6), the satisfaction tool's own bound


class FollowUpArgs(CommonFilters):
    """该跟进哪些客户 / who to follow up."""

    limit: int = Field(15, ge=1, le=200, description="名单最多列出的客户数 / most customers listed")
    lang: str = Field("zh", pattern="^(zh|en)$", description="回答语言 / answer language")


@dataclass
class Reason:
    kind: str
    values: dict[str, Any]
    size: float  # how much is at stake, to order customers with the same reasons


@dataclass
class Candidate:
    customer_id: str
    reasons: list[Reason] = field(default_factory=list)

    def weight(self) -> tuple[bool, float, float]:
        """Open complaints first; then what is at stake now (the last year's revenue of an overdue customer, as the
        methodology orders the at-risk list), then how many reasons; long-lost customers with nothing recent sink."""
        table = words()["follow_up"]["reasons"]
        stake = max((r.size for r in self.reasons if r.kind == "overdue"), default=0.0)
        return (
            any(r.kind == "open_complaint" for r in self.reasons),
            stake,
            sum(table[r.kind]["weight"] for r in self.reasons) + max(r.size for r in self.reasons) / 1e12,
        )


def _col(result: ToolResult, row: list[Any], name: str) -> Any:
    return row[result.columns.index(name)]


def gather(runs: Runs, base: dict[str, Any], lang: str) -> dict[str, Candidate]:
    """Every customer with a reason to be followed up, from the four tools."""
    found: dict[str, Candidate] = {}

    def add(cid: str, reason: Reason) -> None:
        found.setdefault(cid, Candidate(cid)).reasons.append(reason)

    risk = runs.run("churn_retention", {**base, "view": "at_risk"})
    for row in risk.rows:
        stake = _col(risk, row, "revenue_at_stake") or 0
        days, interval = _col(risk, row, "days_since_last"), _col(risk, row, "median_interval_days")
        add(
            str(_col(risk, row, "customer_id")),
            Reason(
                "overdue",
                {"days": fmt(days, "days", lang), "interval": fmt(interval, "days", lang), "stake": money(stake, lang)},
                float(stake),
            ),
        )
    backlog = runs.run("attention", {**base, "view": "backlog"})
    tickets: dict[str, list[list[Any]]] = defaultdict(list)
    for row in backlog.rows:
        tickets[str(_col(backlog, row, "customer_id"))].append(row)
    for cid, rows in tickets.items():
        complaints = [r for r in rows if _col(backlog, r, "kind") == "complaint"]
        chosen = complaints or rows
        oldest = max(chosen, key=lambda r: _col(backlog, r, "age_days") or 0)
        values = {
            "n": len(chosen),
            "s": "" if len(chosen) == 1 else "s",
            "age": _col(backlog, oldest, "age_days"),
            "category": _col(backlog, oldest, "category"),
        }
        add(cid, Reason("open_complaint" if complaints else "open_ticket", values, float(values["age"] or 0)))
    sat = runs.run("satisfaction", {**base, "view": "extremes", "by": "customer"})
    for row in sat.rows:
        nps = _col(sat, row, "mean_nps")
        if _col(sat, row, "group_en") != "Least satisfied" or nps is None or nps > DETRACTOR_MAX:
            continue
        add(
            str(_col(sat, row, "customer_id")),
            Reason(
                "low_score", {"nps": fmt(nps, "mean_nps", lang, "satisfaction")}, float(_col(sat, row, "revenue") or 0)
            ),
        )
    rfm = runs.run("rfm", {**base, "by": "customer"})
    for row in rfm.rows:
        if _col(rfm, row, "class_zh") not in QUIET_CLASSES:
            continue
        monetary = _col(rfm, row, "monetary") or 0
        klass = _col(rfm, row, "class_zh" if lang == "zh" else "class_en")
        values = {"monetary": money(monetary, lang), "days": _col(rfm, row, "recency_days"), "klass": klass}
        add(str(_col(rfm, row, "customer_id")), Reason("quiet_big", values, float(monetary)))
    return found


def follow_up(con: duckdb.DuckDBPyConnection, args: FollowUpArgs) -> ToolResult:
    lang = args.lang
    runs = Runs(con)
    base = filters(args)
    found = gather(runs, base, lang)
    types = runs.run("customer_types", {**base, "by": "customer"})
    type_of = {str(_col(types, r, "customer_id")): r for r in types.rows}
    plans = runs.run("customer_types", base)  # one row per type, with what to do for it
    treatment = {_col(plans, r, "type_zh"): r for r in plans.rows}
    ranked = sorted(found.values(), key=lambda c: c.weight(), reverse=True)
    shown = ranked[: args.limit]
    names = runs.names([c.customer_id for c in ranked])
    w = words()["follow_up"]
    as_of = next((r.as_of for r in runs.results if r.as_of), None)
    where = scope(base, None, lang, as_of)
    columns = ["customer_id", "customer_name", "customer_type", "customer_type_en", "reasons", "next_step"]
    rows: list[list[Any]] = []
    lines: list[str] = []
    for i, c in enumerate(ranked, 1):
        t = type_of.get(c.customer_id)
        type_zh = _col(types, t, "type_zh") if t else None
        type_en = _col(types, t, "type_en") if t else None
        why = (
            ";".join(say(w["reasons"][r.kind], lang, **r.values) for r in c.reasons)
            if lang == "zh"
            else "; ".join(say(w["reasons"][r.kind], lang, **r.values) for r in c.reasons)
        )
        # the first step for the weightiest reason, then what the customer's type calls for
        main = max(c.reasons, key=lambda r: w["reasons"][r.kind]["weight"])
        steps = [w["reasons"][main.kind]["do"][lang]]
        plan = treatment.get(type_zh)
        if plan is not None:
            how = _col(plans, plan, "treatment_zh" if lang == "zh" else "treatment_en")
            steps.append(
                say(w["type_action"], lang, type=type_zh if lang == "zh" else str(type_en).lower())
                + (":" if lang == "zh" else ": ")
                + str(how).split(":")[0].split(":")[0]
            )
        step = ";".join(dict.fromkeys(steps)) if lang == "zh" else "; ".join(dict.fromkeys(steps))
        name = names.get(c.customer_id, c.customer_id)
        kind = f"({type_zh})" if lang == "zh" and type_zh else f" ({type_en})" if type_en else ""
        if i <= args.limit:
            lines.append(
                f"{i}. **{name}**{kind}:{why}。{w['action'][lang]}:{step}。"
                if lang == "zh"
                else f"{i}. **{name}**{kind}: {why}. {w['action'][lang]}: {step}."
            )
        rows.append([c.customer_id, name, type_zh, type_en, why, step])
    if shown:
        counts_by = defaultdict(int)
        for c in found.values():
            for kind in {r.kind for r in c.reasons}:
                counts_by[kind] += 1
        counts = ("、" if lang == "zh" else ", ").join(
            say(w["counts"][k], lang, n=counts_by[k]) for k in w["counts"] if counts_by.get(k)
        )
        lead = say(w["lead"], lang, scope=where, n=f"{len(found):,}", counts=counts, first=rows[0][1], why=rows[0][4])
        lead = lead[:1].upper() + lead[1:]
    else:
        lead = say(w["none"], lang, scope=where)
    heading = say(w["heading"], lang)
    more = ""
    if len(ranked) > len(shown):
        more = (
            f"(另有 {len(ranked) - len(shown)} 位,见表格)"
            if lang == "zh"
            else f" ({len(ranked) - len(shown)} more in the table)"
        )
    text = "\n".join(
        [lead, "", f"**{heading[:1].upper()}{heading[1:]}**{more}", "", *lines, "", sources(w["sources"], lang)]
    )
    return ToolResult(
        as_of=as_of,
        figures={"markdown": text.strip(), "customers": len(found), "listed": len(shown)},
        columns=columns,
        rows=rows,
        sql=runs.sql,
        notes=runs.notes,
    )
