"""How did we do: revenue, orders and paying customers for a period against the previous period and the same period
last year (metric_query), and the largest movers (change_drivers by customer group, by customer and by region).

The period is the one asked for, or this quarter to date; a calendar unit is compared with the same days of the one
before ("this quarter to date" with the same days of last quarter), as the metric layer does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import duckdb
from pydantic import Field

from assistant.answering.formatting import fmt, label
from assistant.answering.writers import scope
from assistant.jobs.common import Runs, filters, money, say, words
from tools.base import CommonFilters, ToolResult, last_order_date

METRICS = ("revenue", "orders", "customers")
MOVERS = 3


class ReviewArgs(CommonFilters):
    """经营回顾 / how did we do."""

    period_grain: Literal["month", "quarter", "half", "year"] | None = Field(
        None, description="期间的日历单位,用于对比同样的天数 / the period's calendar unit, to compare like days"
    )
    lang: str = Field("zh", pattern="^(zh|en)$", description="回答语言 / answer language")


def _against(row: dict[str, Any], metric: str, compare: str, lang: str) -> str:
    """ "比上期(797.9万)增长 7.6%" / "up 7.6% on the previous period (7,978,878)"."""
    prev, pct = row.get(f"{metric}_previous"), row.get(f"{metric}_change_pct")
    against = words()["review"]["against"][compare][lang]
    if prev is None:
        return ""
    shown = fmt(prev, metric, lang)
    if pct is None:
        return f"{against} {shown}" if lang == "zh" else f"{shown} in {against}"
    if lang == "zh":
        return f"比{against}({shown}){'增长' if pct >= 0 else '下降'} {abs(pct):.1f}%"
    return f"{'up' if pct >= 0 else 'down'} {abs(pct):.1f}% on {against} ({shown})"


def period_name(start: dt.date | None, end: dt.date | None, grain: str | None, lang: str) -> str:
    """ "2026年第4季度(截至 2026-10-30)" / "Q4 2026 (to 2026-10-30)"; plain dates for any other span."""
    if start is None or end is None:
        return ""
    zh = lang == "zh"
    span = f"{start} 至 {end}" if zh else f"{start} to {end}"
    if grain == "quarter" and start.month % 3 == 1 and start.day == 1:
        name = (
            f"{start.year}年第{(start.month - 1) // 3 + 1}季度" if zh else f"Q{(start.month - 1) // 3 + 1} {start.year}"
        )
        full = (start.month + 2) // 12 + start.year, (start.month + 2) % 12 + 1
    elif grain == "month" and start.day == 1:
        name = f"{start.year}年{start.month}月" if zh else start.strftime("%B %Y")
        full = start.year + start.month // 12, start.month % 12 + 1
    elif grain == "year" and (start.month, start.day) == (1, 1):
        name, full = f"{start.year}年" if zh else str(start.year), (start.year + 1, 1)
    else:
        return span
    complete = end >= dt.date(full[0], full[1], 1) - dt.timedelta(days=1)
    return name if complete else name + (f"(截至 {end})" if zh else f" (to {end})")


def _short(p: dict[str, Any], y: dict[str, Any], metric: str, lang: str) -> str:
    """ "环比 +13.5%、同比 +27.1%" / "+13.5% on the previous period, +27.1% on last year"."""
    parts = []
    for row, zh, en in ((p, "环比", "on the previous period"), (y, "同比", "on last year")):
        pct = row.get(f"{metric}_change_pct")
        if pct is not None:
            parts.append(f"{zh} {pct:+.1f}%" if lang == "zh" else f"{pct:+.1f}% {en}")
    return ("、" if lang == "zh" else ", ").join(parts) or "—"


def _contributions(result: ToolResult, lang: str, name_col: str) -> str:
    cols = result.columns
    top = sorted(
        (r for r in result.rows if r[cols.index("contribution")] and r[0] is not None),  # not the "all others" row
        key=lambda r: abs(float(r[cols.index("contribution")])),
        reverse=True,
    )[:MOVERS]
    key = next((c for c in (f"{name_col}_{lang}", name_col) if c in cols), cols[0])
    return ("、" if lang == "zh" else "; ").join(
        f"{r[cols.index(key)]}({fmt(r[cols.index('contribution')], 'contribution', lang, 'change_drivers', metric='revenue')})"
        if lang == "zh"
        else f"{r[cols.index(key)]} ({fmt(r[cols.index('contribution')], 'contribution', lang, 'change_drivers', metric='revenue')})"
        for r in top
    )


def review(con: duckdb.DuckDBPyConnection, args: ReviewArgs) -> ToolResult:
    lang = args.lang
    runs = Runs(con)
    base = filters(args)
    as_of = args.as_of or last_order_date(con)
    grain = args.period_grain
    if not args.start:  # this quarter to date
        base["start"] = dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1).isoformat()
        base.setdefault("end", as_of.isoformat())
        grain = grain or "quarter"
    if grain:
        base["period_grain"] = grain
    prev = runs.run("metric_query", {**base, "metrics": list(METRICS), "by": [], "compare": "previous_period"})
    year = runs.run("metric_query", {**base, "metrics": list(METRICS), "by": [], "compare": "same_period_last_year"})
    p, y = prev.records()[0], year.records()[0]
    w = words()["review"]
    period = period_name(prev.figures.get("start"), prev.figures.get("end"), grain, lang)
    where = scope({k: v for k, v in base.items() if k not in ("start", "end")}, period, lang)
    lead = say(
        w["lead"],
        lang,
        scope=where,
        revenue=money(p["revenue"], lang),
        vs_prev=_against(p, "revenue", "previous_period", lang),
        vs_year=_against(y, "revenue", "same_period_last_year", lang),
    )
    lines = [lead[:1].upper() + lead[1:]]
    count = {m: _short(p, y, m, lang) for m in ("orders", "customers")}
    lines.append(
        say(
            w["figures"],
            lang,
            orders=fmt(p["orders"], "orders", lang),
            orders_prev=count["orders"],
            customers=fmt(p["customers"], "customers", lang),
            customers_prev=count["customers"],
        )
    )
    drivers_args = {**base, "metric": "revenue", "compare": "previous_period"}
    groups = runs.run("change_drivers", {**drivers_args, "by": "customer_group"})
    movers = runs.run("change_drivers", {**drivers_args, "by": "customer", "limit": 10})
    regions = runs.run("change_drivers", {**drivers_args, "by": "region"}) if not base.get("customer_ids") else None
    details = []
    if groups.rows:
        details.append(say(w["drivers"], lang, items=_contributions(groups, lang, "group")))
    if movers.rows:
        details.append(say(w["movers"], lang, items=_contributions(movers, lang, "name")))
    if regions is not None and len(regions.rows) > 1:
        details.append(say(w["regions"], lang, items=_contributions(regions, lang, "region")))
    f = prev.figures
    details.append(
        say(
            w["periods"],
            lang,
            start=f.get("start"),
            end=f.get("end"),
            pstart=f.get("previous_start"),
            pend=f.get("previous_end"),
        )
    )
    title = say(w["heading"], lang)
    text = "\n".join([*lines, "", f"**{title[:1].upper()}{title[1:]}**", "", *(f"- {d}" for d in details)])
    columns = ["metric", "metric_en", "current", "previous", "previous_change_pct", "last_year", "last_year_change_pct"]
    rows = [
        [
            label(m, "zh"),
            label(m, "en"),
            p[m],
            p.get(f"{m}_previous"),
            p.get(f"{m}_change_pct"),
            y.get(f"{m}_previous"),
            y.get(f"{m}_change_pct"),
        ]
        for m in METRICS
    ]
    return ToolResult(
        as_of=prev.as_of,
        figures={"markdown": text.strip(), "period_start": f.get("start"), "period_end": f.get("end")},
        columns=columns,
        rows=rows,
        sql=runs.sql,
        notes=runs.notes,
    )
