"""The business review: a structured, explained report for a period and a scope, built from the tools.

Every figure is read from a tool result (the SQL each ran is kept); every concept is explained by a
sentence or two quoted from our methodology documents with a citation; notable changes are called
out by the explicit rules in rules.yaml. The same data, period and scope give the same report.
"""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from assistant.core.errors import InputError
from assistant.nlu.timeparse import Period, find_period
from assistant.report.explain import brief
from assistant.report.shared_pass import OVERVIEW_METRICS, ReviewEngine, Span, Window
from assistant.warehouse.duckdb_engine import DuckDBEngine
from tools import load_all
from tools.base import ToolResult, last_order_date


@cache
def rules() -> dict[str, Any]:
    data = yaml.safe_load(Path(__file__).with_name("rules.yaml").read_text(encoding="utf-8"))
    return {k: v["value"] for k, v in data.items()}


@dataclass
class Figure:
    key: str
    zh: str
    en: str
    value: Any
    previous: Any = None
    last_year: Any = None
    unit: str = ""  # money, pct, count, number, points

    def change_pct(self, other: Any) -> float | None:
        if self.value is None or other in (None, 0):
            return None
        return (float(self.value) - float(other)) / abs(float(other)) * 100


@dataclass
class Section:
    key: str
    zh: str
    en: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list[Any]]]] = field(default_factory=list)  # (title, columns, rows)
    explain: list[tuple[str, str]] = field(default_factory=list)  # (text, citation)
    callouts: list[str] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    previous: Period
    last_year: Period
    scope: dict[str, Any]
    lang: str
    sections: list[Section] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)

    def figure(self, key: str) -> Figure | None:
        for s in self.sections:
            for f in s.figures:
                if f.key == key:
                    return f
        return None


def parse_period(text: str, ref: dt.date) -> Period:
    """'2025-Q2', '2025Q2', '2025-06', '2025-H1', '2025', '2025-01-01..2025-03-31', or words ('本季度', 'last month')."""
    t = text.strip()
    forms = (
        (r"(\d{4})-?[Qq]([1-4])", lambda m: f"{m[1]}年Q{m[2]}"),
        (r"(\d{4})-(\d{1,2})", lambda m: f"{m[1]}年{int(m[2])}月"),
        (r"(\d{4})-?[Hh]([12])", lambda m: f"{m[1]}年{'上' if m[2] == '1' else '下'}半年"),
        (r"(\d{4})", lambda m: f"{m[1]}年"),
        (r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", lambda m: f"{m[1]}到{m[2]}"),
    )
    for pattern, words in forms:
        m = re.fullmatch(pattern, t)
        if m:
            t = words(m)
            break
    else:
        if re.fullmatch(r"[\dQqHh\-./ ]+", t):
            t = ""  # a code that fits none of the forms (2025-Q5): refuse rather than guess
    found = find_period(t, ref) if t else None
    if found is None:
        raise InputError(
            f"无法识别期间 {text!r};例如 2025-Q2、2025-06、2025、本季度。",
            f"Cannot read the period {text!r}; try 2025-Q2, 2025-06, 2025 or 'this quarter'.",
        )
    return found.period


class _Runner:
    """Runs the tools for one report; on a DuckDB connection they share one pass over the customers."""

    def __init__(self, con: duckdb.DuckDBPyConnection, scope: dict[str, Any], report: Report) -> None:
        self.con, self.scope, self.report = con, scope, report
        self.registry = load_all()
        # A DuckDB connection, bare or behind the engine seam; other engines (Spark) run the tools as they are.
        raw = con.con if type(con) is DuckDBEngine else con
        self.engine = ReviewEngine(raw) if isinstance(raw, duckdb.DuckDBPyConnection) else None
        self._raw = raw if self.engine is not None else None
        self._pool: ThreadPoolExecutor | None = None
        self._side: DuckDBEngine | None = None
        self._ahead: dict[tuple[str, str], Future[ToolResult]] = {}

    def prepare(self, windows: list[Window], spans: list[Span]) -> None:
        if self.engine is not None:
            self.engine.prepare(self.scope, windows, spans)

    def overview(self, metrics: list[str], periods: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The overview's figures for each period: from the shared pass where it has them, else metric_query."""
        sql, got = self.engine.overview() if self.engine is not None else ("", [])
        if sql:
            self.report.sql.append(sql)
        out = []
        for j, args in enumerate(periods):
            vals = got[j] if j < len(got) and list(metrics) == list(OVERVIEW_METRICS) else None
            if vals is None:
                res = self.run("metric_query", metrics=metrics, by=[], start=args["start"], end=args["end"])
                vals = res.records()[0] if res.rows else {}
            out.append(vals)
        return out

    def ahead(self, calls: list[tuple[str, dict[str, Any]]]) -> None:
        """Start these tool calls now on a second DuckDB connection, beside the ones that read the pass: they read
        none of its tables (temporary tables belong to their connection). Most of the review's statements are
        small or end in a one-thread step (a window, a quantile), so the other core is often idle. ``run`` with the
        same tool and arguments takes the result (and its SQL) in the report's order; elsewhere they run there."""
        if self._raw is None:
            return
        if self._pool is None:
            self._side = DuckDBEngine(self._raw.cursor())  # made here: a cursor is a connection of its own
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="review-ahead")
        side = self._side
        for tool, args in calls:
            full = {**self.scope, **args}
            self._ahead[_call_key(tool, full)] = self._pool.submit(self.registry[tool].run, side, full)

    def close(self) -> None:
        if self._pool is not None:
            # Wait for what is running (nothing is left half-read on the connection), then close the cursor.
            for f in self._ahead.values():
                f.cancel()
            self._pool.shutdown(wait=True)
            self._pool = None
            self._ahead.clear()
            if self._side is not None:
                self._side.con.close()
                self._side = None
        if self.engine is not None:
            self.engine.close_pass()

    def last_and_revenue(self, ids: list[str], year: dict[str, Any]) -> list[dict[str, Any]]:
        """Each customer's days since their last order and revenue in ``year``, as metric_query gives them: from the
        shared pass where it has the windows (ReviewEngine.last_and_revenue), else from metric_query itself."""
        args = {
            "metrics": ["days_since_last_order", "revenue"],
            "by": ["customer"],
            "customer_ids": ids,
            "start": year["start"],
            "end": year["end"],
            "as_of": year["as_of"],
        }
        limit = self.registry["metric_query"].validate({**self.scope, **args}).limit  # type: ignore[attr-defined]
        window = Window(year["start"], year["end"], year["as_of"])
        got = self.engine.last_and_revenue(ids, window, limit) if self.engine is not None else None
        if got is None:
            return self.run("metric_query", **args).records()
        sql, records = got
        self.report.sql.append(sql)
        return records

    def run(self, tool: str, **args: Any) -> ToolResult:
        full = {**self.scope, **args}
        started = self._ahead.pop(_call_key(tool, full), None)
        res = started.result() if started is not None else self.registry[tool].run(self.engine or self.con, full)
        self.report.sql.extend(res.sql)
        return res


def _call_key(tool: str, args: dict[str, Any]) -> tuple[str, str]:
    return tool, repr(sorted(args.items()))


def _num(v: Any) -> float | None:
    if v is None:
        return None
    return float(v) if isinstance(v, (int, float, Decimal)) else None


def _period_args(p: Period, ref: dt.date) -> dict[str, Any]:
    end = min(p.end, ref)
    return {"start": p.start, "end": end, "as_of": end}


def build_report(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    *,
    lang: str = "zh",
    region: list[str] | None = None,
    rep_id: list[str] | None = None,
) -> Report:
    ref = last_order_date(con)
    if period.start > ref:
        raise InputError(
            f"期间 {period.zh} 在数据之后(数据截止 {ref})。",
            f"The period {period.en} is after the data (which ends {ref}).",
        )
    scope: dict[str, Any] = {}
    if region:
        scope["region"] = region
    if rep_id:
        scope["rep_id"] = rep_id
    rep = Report(period, period.previous(), period.same_period_last_year(), scope, lang)
    r = _Runner(con, scope, rep)
    try:
        _build(rep, r, ref, lang)
    finally:
        r.close()
    return rep


def _build(rep: Report, r: _Runner, ref: dt.date, lang: str) -> None:
    R = rules()
    zh = lang == "zh"
    cur, prev, ly = (_period_args(p, ref) for p in (rep.period, rep.previous, rep.last_year))
    # The last 12 months, for concentration and big customers.
    year = {
        "start": max(cur["end"] - dt.timedelta(days=364), dt.date(1900, 1, 1)),
        "end": cur["end"],
        "as_of": cur["as_of"],
    }
    # The windows the RFM, customer-type and tier sections read, computed in one pass (see shared_pass.py).
    # The overview's periods too: its figures are sums over the same pass (ReviewEngine.overview).
    # What more than one section reads of a window is kept on the engine: the RFM statistics of both dates (RFM
    # classes and customer types), this period's customer types (their counts and each type's largest buyers) and
    # the last year's revenue order (the Pareto share and the big customers).
    r.prepare(
        [
            Window(None, cur["as_of"], cur["as_of"], keep=frozenset({"scores", "types"})),
            Window(None, prev["as_of"], prev["as_of"], keep=frozenset({"scores"})),
            Window(year["start"], year["end"], year["as_of"], keep=frozenset({"tiers"}), money_only=True),
        ],
        [Span(a["start"], a["end"]) for a in (cur, prev, ly)],
    )
    # The calls that read no table of the pass start now on a second connection (_Runner.ahead); this period's
    # churn runs here meanwhile, the previous period's there.
    # This period and the previous one, as the period tools take them.
    this_span, prev_span = ({"start": a["start"], "end": a["end"], "as_of": a["as_of"]} for a in (cur, prev))
    churn_args = [{"view": "churn", **a} for a in (this_span, prev_span)]
    backlog_args = {"view": "backlog", "as_of": cur["as_of"], "end": cur["end"]}
    by_cat_args = {"view": "by", "dimension": "category", "kinds": ["complaint"], **this_span}
    r.ahead(
        [("churn_retention", churn_args[1])]
        + [("satisfaction", a) for a in (this_span, prev_span)]
        + [("attention", a) for a in (this_span, backlog_args, by_cat_args)]
    )

    # 1. Revenue and growth ------------------------------------------------------------------
    metrics = ["revenue", "gross_profit", "orders", "avg_order_value", "customers", "new_customers"]
    names = {
        "revenue": ("销售额", "Revenue", "money"),
        "gross_profit": ("毛利", "Gross profit", "money"),
        "orders": ("订单数", "Orders", "count"),
        "avg_order_value": ("客单价", "Average order value", "money"),
        "customers": ("成交客户数", "Buying customers", "count"),
        "new_customers": ("新客户数", "New customers", "count"),
    }
    vals = dict(zip(("cur", "prev", "ly"), r.overview(metrics, [cur, prev, ly]), strict=True))
    s = Section("overview", "经营概况", "Business overview")
    for m in metrics:
        zh_name, en_name, unit = names[m]
        s.figures.append(
            Figure(
                m, zh_name, en_name, _num(vals["cur"].get(m)), _num(vals["prev"].get(m)), _num(vals["ly"].get(m)), unit
            )
        )
    revenue = s.figures[0]
    ch = revenue.change_pct(revenue.previous)
    if ch is not None and abs(ch) > R["revenue_change_pct"]:
        s.callouts.append(
            f"销售额较上期{'增长' if ch > 0 else '下降'} {abs(ch):.1f}%,超过 {R['revenue_change_pct']}% 的提示线。"
            if zh
            else f"Revenue {'grew' if ch > 0 else 'fell'} {abs(ch):.1f}% against the previous period, beyond the {R['revenue_change_pct']}% line."
        )
    rep.sections.append(s)

    # 2. Customers: active, new, lost, churn ----------------------------------------------------
    s = Section("customers", "客户增减与流失", "Customers gained and lost")
    churn_now, churn_prev = (r.run("churn_retention", **a).figures for a in churn_args)
    s.figures += [
        Figure(
            "active_current",
            "本期活跃客户",
            "Active this period",
            churn_now.get("active_current"),
            churn_prev.get("active_current"),
            unit="count",
        ),
        Figure(
            "churned",
            "流失客户(上期活跃本期未购)",
            "Lost (active before, not now)",
            churn_now.get("churned"),
            churn_prev.get("churned"),
            unit="count",
        ),
        Figure(
            "churn_rate",
            "流失率",
            "Churn rate",
            _pct(churn_now.get("churn_rate")),
            _pct(churn_prev.get("churn_rate")),
            unit="pct",
        ),
    ]
    cr, crp = _pct(churn_now.get("churn_rate")), _pct(churn_prev.get("churn_rate"))
    if cr is not None and crp is not None and cr - crp > R["churn_rise_points"]:
        s.callouts.append(
            f"流失率上升 {cr - crp:.1f} 个百分点。" if zh else f"The churn rate rose {cr - crp:.1f} points."
        )
    _explain(s, "churn_retention", "how", lang)
    rep.sections.append(s)

    # 3. RFM and customer types, and how they moved ------------------------------------------
    for tool, key, col_zh, col_en, doc in (
        ("rfm", "rfm", "class_zh", "class_en", "rfm"),
        ("customer_types", "customer_types", "type_zh", "type_en", "customer_types"),
    ):
        now = r.run(tool, as_of=cur["as_of"])
        before = r.run(tool, as_of=prev["as_of"])
        label = col_zh if zh else col_en
        share_before = {rec[label]: rec.get("customer_share") or 0 for rec in before.records()}
        rows = []
        s = Section(
            key,
            "RFM 八类客户分布" if tool == "rfm" else "四类客户分布",
            "RFM classes" if tool == "rfm" else "Customer types",
        )
        for rec in now.records():
            share, old = float(rec.get("customer_share") or 0) * 100, float(share_before.get(rec[label], 0)) * 100
            rows.append(
                [
                    rec[label],
                    rec["customers"],
                    round(share, 1),
                    round(old, 1),
                    round(share - old, 1),
                    _money(rec.get("revenue")),
                ]
            )
            if abs(share - old) > R["share_shift_points"]:
                s.callouts.append(
                    f"{rec[label]} 占比从 {old:.1f}% 变为 {share:.1f}%。"
                    if zh
                    else f"{rec[label]}: share moved from {old:.1f}% to {share:.1f}%."
                )
        cols = (
            ["类别", "客户数", "占比%", "上期占比%", "变化(百分点)", "累计销售额"]
            if zh
            else ["class", "customers", "share %", "previous share %", "change (points)", "revenue to date"]
        )
        s.tables.append(("", cols, rows))
        _explain(s, doc, "what", lang)
        rep.sections.append(s)

    # 4. Concentration and big customers at risk ---------------------------------------------
    s = Section("concentration", "收入集中度与大客户风险", "Concentration and big customers at risk")
    par = r.run("tiers", view="pareto", **year).figures
    s.figures.append(
        Figure(
            "top20_share",
            "前 20% 客户贡献的销售额占比(近 12 个月)",
            "Revenue share of the top 20% (last 12 months)",
            _pct(par.get("pareto_top_revenue_share")),
            unit="pct",
        )
    )
    big = [rec for rec in r.run("tiers", by="customer", **year).records() if rec.get("tier_en") in ("Strategic", "Key")]
    ids = [str(rec["customer_id"]) for rec in big]
    quiet_rows: list[list[Any]] = []
    if ids:
        tier_of = {str(rec["customer_id"]): rec["tier_zh" if zh else "tier_en"] for rec in big}
        for rec in r.last_and_revenue(ids, year):
            days = rec.get("days_since_last_order")
            if days is not None and days >= R["big_customer_quiet_days"]:
                quiet_rows.append(
                    [
                        rec["customer"],
                        rec.get("customer_name"),
                        tier_of.get(str(rec["customer"])),
                        days,
                        _num(rec.get("revenue")),
                    ]
                )
    quiet_rows.sort(key=lambda x: -(x[4] or 0))
    stake = sum(x[4] or 0 for x in quiet_rows)
    s.figures.append(
        Figure(
            "big_quiet",
            f"超过 {R['big_customer_quiet_days']} 天未下单的战略/重点客户",
            f"Strategic/key customers quiet for {R['big_customer_quiet_days']}+ days",
            len(quiet_rows),
            unit="count",
        )
    )
    s.figures.append(
        Figure(
            "big_quiet_revenue",
            "这些客户近 12 个月的销售额(风险金额)",
            "Their revenue in the last 12 months (at stake)",
            stake,
            unit="money",
        )
    )
    if quiet_rows:
        s.callouts.append(
            f"{len(quiet_rows)} 个大客户已沉默,涉及销售额 {stake:,.0f} 元。"
            if zh
            else f"{len(quiet_rows)} big customers have gone quiet, with {stake:,.0f} CNY of revenue at stake."
        )
        cols = (
            ["客户编号", "客户", "层级", "未下单天数", "近12个月销售额"]
            if zh
            else ["customer", "name", "tier", "days since last order", "revenue, last 12 months"]
        )
        shown = [[*row[:4], _money(row[4])] for row in quiet_rows[:20]]
        s.tables.append(("沉默的大客户" if zh else "Big customers gone quiet", cols, shown))
    _explain(s, "pareto", "what", lang)
    _explain(s, "big_customers", "what", lang)
    rep.sections.append(s)

    # 5. Satisfaction --------------------------------------------------------------------------
    s = Section("satisfaction", "客户满意度", "Satisfaction")
    sat, sat_prev = (r.run("satisfaction", **a).figures for a in (this_span, prev_span))
    for k, zh_n, en_n, unit in (
        ("nps", "NPS 净推荐值", "NPS", "points"),
        ("csat", "CSAT 满意率", "CSAT", "pct"),
        ("ces", "CES 费力度(1–7,越低越好)", "CES (1–7, lower is easier)", "points"),
        ("responses", "回收问卷数", "Responses", "count"),
    ):
        s.figures.append(Figure(f"sat_{k}", zh_n, en_n, _num(sat.get(k)), _num(sat_prev.get(k)), unit=unit))
    n_now, n_prev = _num(sat.get("nps")), _num(sat_prev.get("nps"))
    if n_now is not None and n_prev is not None and n_prev - n_now > R["nps_drop_points"]:
        s.callouts.append(f"NPS 下降 {n_prev - n_now:.1f} 分。" if zh else f"NPS fell {n_prev - n_now:.1f} points.")
    _explain(s, "satisfaction", "nps", lang)
    rep.sections.append(s)

    # 6. Complaints ----------------------------------------------------------------------------
    s = Section("complaints", "投诉与处理", "Complaints and resolution")
    att = r.run("attention", **this_span).figures
    backlog = r.run("attention", **backlog_args).figures
    s.figures += [
        Figure("complaints", "投诉数", "Complaints", att.get("complaint_tickets"), unit="count"),
        Figure("resolution_rate", "工单解决率%", "Tickets resolved %", _pct(att.get("resolution_rate")), unit="pct"),
        Figure(
            "median_hours",
            "处理时长中位数(小时)",
            "Median hours to resolve",
            _num(att.get("median_hours")),
            unit="number",
        ),
        Figure("backlog", "期末未结工单", "Open tickets at period end", backlog.get("open"), unit="count"),
    ]
    by_cat = r.run("attention", **by_cat_args)
    top = sorted(by_cat.records(), key=lambda rec: -(rec.get("complaints") or 0))[:3]
    if top:
        cols = ["类别", "投诉数", "解决率%"] if zh else ["category", "complaints", "resolved %"]
        s.tables.append(
            (
                "投诉最多的类别" if zh else "Top complaint categories",
                cols,
                [[t["category"], t["complaints"], _pct(t.get("resolution_rate"))] for t in top],
            )
        )
    oldest = backlog.get("oldest_age_days")
    if oldest is not None and oldest > R["backlog_oldest_days"]:
        s.callouts.append(f"最老的未结工单已 {oldest} 天。" if zh else f"The oldest open ticket is {oldest} days old.")
    _explain(s, "customer_attention", "what", lang)
    rep.sections.append(s)

    # 7. Profitability -------------------------------------------------------------------------
    s = Section("profitability", "客户盈利能力", "Customer profitability")
    prof = r.run("profitability", **this_span).figures
    s.figures += [
        Figure("profit", "利润(扣除服务成本)", "Profit after cost to serve", _num(prof.get("profit")), unit="money"),
        Figure("profit_margin", "利润率%", "Profit margin %", _pct(prof.get("profit_margin")), unit="pct"),
        Figure(
            "loss_making_customers",
            "亏损客户数",
            "Loss-making customers",
            prof.get("loss_making_customers"),
            unit="count",
        ),
    ]
    share = _num(prof.get("loss_making_share"))
    if share is not None and share > R["loss_making_share"]:
        s.callouts.append(f"亏损客户占 {share * 100:.1f}%。" if zh else f"{share * 100:.1f}% of customers lose money.")
    _explain(s, "profitability", "what", lang)
    rep.sections.append(s)

    # 8. Recommended actions per customer type ------------------------------------------------
    s = Section("actions", "建议行动", "Recommended actions")
    types = r.run("customer_types", as_of=cur["as_of"])
    n = R["customers_per_action"]
    # Each type's n largest buyers (revenue descending, then customer id), cut on the engine: only those rows
    # come into Python, not a long list of every customer.
    type_rows = types.records()
    per_type = r.run(
        "customer_types", by="customer", as_of=cur["as_of"], top_per_type=n, limit=n * max(len(type_rows), 1)
    )
    cols = per_type.columns
    i_type, i_id = cols.index("type_en"), cols.index("customer_id")
    of_type: dict[Any, list[Any]] = {}
    for row in per_type.rows:  # already in revenue order
        of_type.setdefault(row[i_type], []).append(row[i_id])
    for rec in type_rows:
        name = rec["type_zh" if zh else "type_en"]
        members = of_type.get(rec["type_en"], [])
        who = "、".join(str(c) for c in members) if zh else ", ".join(str(c) for c in members)
        treatment = rec["treatment_zh" if zh else "treatment_en"]
        s.callouts.append(
            f"**{name}**({rec['customers']} 个):{treatment} 先联系:{who or '—'}"
            if zh
            else f"**{name}** ({rec['customers']}): {treatment} Start with: {who or '—'}"
        )
    _explain(s, "customer_types", "actions", lang)
    rep.sections.append(s)


def _money(v: Any) -> int | None:
    """An amount in a table, in whole yuan as the figures show it."""
    x = _num(v)
    return None if x is None else round(x)


def _pct(v: Any) -> float | None:
    x = _num(v)
    return None if x is None else round(x * 100, 2)


def _explain(s: Section, doc: str, anchor: str, lang: str) -> None:
    found = brief(doc, anchor, lang)
    if found:
        s.explain.append(found)
