"""A visit briefing for one customer: what they buy, this year against last, open tickets, satisfaction, credit and
overdue invoices, RFM class and type, and talking points, from customer_profile, metric_query, attention, credit,
cross_sell and customer_types. On a salesperson's connection only their own customers can be briefed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
from pydantic import Field

from assistant.answering.formatting import fmt
from assistant.core.errors import InputError
from assistant.jobs.common import Runs, filters, money, say, sources, words
from assistant.jobs.follow_up import DETRACTOR_MAX
from tools.base import CommonFilters, ToolResult

TOP_PRODUCTS = 3


class BriefingArgs(CommonFilters):
    """拜访简报 / visit briefing (one customer in customer_ids)."""

    lang: str = Field("zh", pattern="^(zh|en)$", description="回答语言 / answer language")


def _one(result: ToolResult, col: str) -> Any:
    return result.rows[0][result.columns.index(col)] if result.rows and col in result.columns else None


def _pct(v: Any, lang: str) -> str:
    return fmt(v, "revenue_change_pct", lang)


def briefing(con: duckdb.DuckDBPyConnection, args: BriefingArgs) -> ToolResult:
    lang, zh = args.lang, args.lang == "zh"
    if not args.customer_ids:
        raise InputError(
            "请说明要拜访哪位客户(名称或编号);只能为你有权限查看的客户准备简报。",
            "Say which customer to brief (name or id); only customers you may see can be briefed.",
        )
    cid = args.customer_ids[0]
    runs = Runs(con)
    # one customer: the question's other words (a region, an industry read from the name) do not narrow it
    base = {k: v for k, v in filters(args).items() if k in ("as_of", "rep_id")}
    one = {**base, "customer_ids": [cid]}
    profile = runs.run("customer_profile", {**one, "include_classes": True})
    if not profile.rows:
        raise InputError(f"找不到客户 {cid}(或不在你的权限范围内)。", f"No customer {cid} (or not one of yours).")
    f = profile.figures
    w = words()["briefing"]
    as_of = profile.as_of or f.get("as_of")
    name = str(f["customer_name"])
    where = ("、" if zh else ", ").join(str(f[k]) for k in ("region", "city", "industry", "size") if f.get(k))
    klass, ctype = (
        (f.get("rfm_class"), f.get("customer_type")) if zh else (f.get("rfm_class_en"), f.get("customer_type_en"))
    )
    lines = [
        say(
            w["lead"],
            lang,
            name=name,
            where=where,
            type=ctype or "—",
            klass=klass or "—",
            orders=f"{f['orders']:,}",
            revenue=money(f["revenue"], lang),
            last=f.get("last_order") or "—",
            days=f.get("days_since_last_order") or "—",
        )
    ]
    points: list[str] = []
    year = runs.run(
        "metric_query",
        {
            **one,
            "metrics": ["revenue"],
            "by": [],
            "compare": "same_period_last_year",
            "start": dt.date(as_of.year, 1, 1).isoformat(),
            "end": as_of.isoformat(),
        },
    )
    this, last, pct = _one(year, "revenue"), _one(year, "revenue_previous"), _one(year, "revenue_change_pct")
    if this is not None and last is not None and not float(last):
        lines.append(say(w["year_new"], lang, end=as_of, this=money(this, lang)))
    elif this is not None and last is not None:
        change = _pct(pct, lang) if pct is not None else "—"
        lines.append(say(w["year"], lang, end=as_of, this=money(this, lang), last=money(last, lang), change=change))
        if pct is not None and last:
            diff = money(abs(float(this) - float(last)), lang)
            points.append(say(w["points"]["down" if pct < 0 else "up"], lang, change=diff))
    products = runs.run(
        "metric_query",
        {
            **one,
            "metrics": ["revenue"],
            "by": ["product"],
            "top": TOP_PRODUCTS,
            "start": (as_of - dt.timedelta(days=364)).isoformat(),
            "end": as_of.isoformat(),
        },
    )
    if products.rows:
        i_name, i_rev = products.columns.index("product_name"), products.columns.index("revenue")
        items = ("、" if zh else "; ").join(
            f"{r[i_name]}({money(r[i_rev], lang)})" if zh else f"{r[i_name]} ({money(r[i_rev], lang)})"
            for r in products.rows
        )
        lines.append(say(w["products"], lang, items=items))
    backlog = runs.run("attention", {**one, "view": "backlog"})
    if backlog.rows:
        cols = backlog.columns
        kind = "kind_zh" if zh else "kind"
        items = ("、" if zh else "; ").join(
            f"{r[cols.index(kind)]}·{r[cols.index('category')]}·{r[cols.index('age_days')]} 天"
            if zh
            else f"{r[cols.index(kind)]}, {r[cols.index('category')]}, {r[cols.index('age_days')]} days"
            for r in backlog.rows[:3]
        )
        lines.append(say(w["tickets_open"], lang, n=len(backlog.rows), items=items))
        points.append(say(w["points"]["complaint"], lang, items=items))
    else:
        lines.append(say(w["tickets_none"], lang))
    nps = f.get("avg_nps")
    if nps is not None and f.get("nps_responses"):
        lines.append(say(w["satisfaction"], lang, nps=fmt(nps, "mean_nps", lang, "satisfaction"), n=f["nps_responses"]))
        if float(nps) <= DETRACTOR_MAX:
            points.append(say(w["points"]["low_score"], lang, nps=fmt(nps, "mean_nps", lang, "satisfaction")))
    else:
        lines.append(say(w["satisfaction_none"], lang))
    credit = runs.run("credit", {**one, "by": "customer"})
    overdue = f.get("overdue_amount") or 0
    if credit.rows:
        grade = _one(credit, "grade_zh" if zh else "grade_en")
        lines.append(
            say(
                w["credit"],
                lang,
                score=fmt(_one(credit, "score"), "score", lang, "credit"),
                grade=grade,
                unpaid=money(f.get("unpaid_amount") or 0, lang),
                overdue=money(overdue, lang),
                limit=money(f.get("credit_limit") or 0, lang),
            )
        )
    if float(overdue) > 0:
        points.append(say(w["points"]["overdue"], lang, overdue=money(overdue, lang)))
    cross = runs.run("cross_sell", {**base, "view": "customer", "customer_id": cid})
    if cross.rows:
        points.append(
            say(
                w["points"]["cross_sell"],
                lang,
                category=_one(cross, "category"),
                share=fmt(_one(cross, "peer_share"), "peer_share", lang, "cross_sell"),
            )
        )
    types = runs.run("customer_types", one)
    mine = next((r for r in types.rows if r[types.columns.index("customers")]), None)
    if mine is not None:
        treat = mine[types.columns.index("treatment_zh" if zh else "treatment_en")]
        points.append(say(w["points"]["treatment"], lang, type=ctype, treatment=treat))
    title = say(w["heading"], lang, name=name)
    text = "\n".join(
        [
            lines[0],
            "",
            f"**{title[:1].upper()}{title[1:]}**" + (f"(参考日 {as_of})" if zh else f" (as of {as_of})"),
            "",
            *(f"- {ln}" for ln in lines[1:]),
            "",
            f"**{say(w['points_title'], lang)}**",
            "",
            *(f"{i}. {p}" for i, p in enumerate(points, 1)),
            "",
            sources(w["sources"], lang),
        ]
    )
    return ToolResult(
        as_of=as_of,
        figures={"markdown": text.strip(), "customer_id": cid, "customer_name": name},
        columns=profile.columns,
        rows=profile.rows,
        sql=runs.sql,
        notes=runs.notes,
    )
