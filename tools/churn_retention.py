"""Churn rate, retention by signup-month cohort, and the at-risk list.

Methodology: customer retention and churn within "how much they are worth" and
the customer life cycle (the six aspects of customer analysis; 客户流失分析).

- Churn rate for a period: customers with at least ``active_min_orders`` (1)
  completed orders in the previous period of the same length and none in this
  period, divided by the customers active in the previous period. This period is
  [start, end], or the 90 days ending at the end date when no start is given.
- Retention by signup-month cohort: the share of a cohort (customers who signed
  up that month) with a completed order in calendar month k after the signup
  month (k = 0 is the signup month). Cells not yet observable at the end date are
  empty; the end month itself counts even if only partly observed.
- At-risk: customers with ≥ 3 completed orders whose days since the last order
  (to as_of) exceed 2.0 × their own median interval between order days; ranked
  by revenue at stake (completed revenue in the last 365 days up to as_of).

Thresholds live in ``tools/tables/churn_retention.yaml``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from assistant.core.errors import InputError
from tools.base import Chart, CommonFilters, Con, Definition, ToolResult, Trace, one_of, register, resolve_scope
from tools.tables import load

TABLE = load("churn_retention")
TH = TABLE["thresholds"]
DIMS: dict[str, dict[str, str]] = TABLE["dimensions"]
VIEWS = ("churn", "cohort", "at_risk")


def _th(name: str) -> str:
    return f"默认 {TH[name]['value']} / default {TH[name]['value']}"


class ChurnArgs(CommonFilters):
    """流失与留存参数 / churn and retention parameters."""

    view: Literal["churn", "cohort", "at_risk"] = Field(
        "churn",
        description="视图:churn 流失率,cohort 按签约月的留存矩阵,at_risk 流失预警名单 / view: churn rate, cohort retention matrix, at-risk list",
    )
    dimension: Literal["region", "city", "industry", "size", "rep", "acquisition_channel"] | None = Field(
        None, description="流失率的分组维度,默认不分组 / grouping dimension for the churn rate; none by default"
    )
    by: Literal["segment", "customer"] = Field(
        "segment",
        description="churn 视图:segment 汇总,customer 列出流失客户 / churn view: segment gives rates, customer lists the churned customers",
    )
    period_days: int | None = Field(None, description="未给开始日期时本期天数," + _th("period_days"))
    active_min_orders: int | None = Field(None, description="上期活跃所需最少已完成订单数," + _th("active_min_orders"))
    cohorts: int | None = Field(None, description="显示的最近签约月份数," + _th("cohorts"))
    max_months: int | None = Field(None, description="留存矩阵最大月数," + _th("max_months"))
    min_orders: int | None = Field(None, description="预警评估所需最少订单数," + _th("at_risk_min_orders"))
    factor: float | None = Field(None, description="预警倍数(相对自身购买间隔中位数)," + _th("at_risk_factor"))
    stake_days: int | None = Field(None, description="风险金额计算天数," + _th("stake_days"))
    limit: int | None = Field(None, description="名单最多行数," + _th("limit"))

    _v = one_of("view", VIEWS)
    _d = one_of("dimension", list(DIMS))
    _b = one_of("by", ("segment", "customer"))


def _setting(args: ChurnArgs, field: str, table_key: str, minimum: float, kind: type = int) -> Any:
    v = getattr(args, field)
    v = TH[table_key]["value"] if v is None else v
    if v < minimum:
        raise InputError(
            f"{field} 至少为 {minimum},收到 {v}({TH[table_key]['zh']})。",
            f"{field} must be at least {minimum}, got {v} ({TH[table_key]['en']}).",
        )
    return kind(v)


def _add_months(d: dt.date, k: int) -> dt.date:
    m = d.month - 1 + k
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


@register(
    "churn_retention",
    "客户流失与留存:期间流失率(定义可调)、按签约月份的留存矩阵、按风险金额排序的流失预警名单",
    "Churn and retention: churn rate over a period (parameterised), retention by signup-month cohort, and an at-risk list ranked by revenue at stake",
    ChurnArgs,
    examples=("上个季度的客户流失率是多少?", "Show cohort retention", "哪些客户有流失风险?"),
)
def churn_retention(con: Con, args: ChurnArgs) -> ToolResult:
    if args.view == "cohort":
        return _cohort(con, args)
    if args.view == "at_risk":
        return _at_risk(con, args)
    return _churn(con, args)


def _result(args: ChurnArgs, as_of: dt.date, tr: Trace, **kw: Any) -> ToolResult:
    return ToolResult(
        as_of=as_of,
        sql=tr.sql,
        **kw,
    )


def _churn(con: Con, args: ChurnArgs) -> ToolResult:
    days = _setting(args, "period_days", "period_days", 1)
    min_orders = _setting(args, "active_min_orders", "active_min_orders", 1)
    limit = _setting(args, "limit", "limit", 1)
    base = resolve_scope(con, args)
    cur_start = args.start or base.end - dt.timedelta(days=days - 1)
    length = (base.end - cur_start).days + 1
    prev_start = cur_start - dt.timedelta(days=length)
    scope = resolve_scope(con, args.model_copy(update={"start": prev_start, "end": base.end}))
    params = {**scope.params, "cur_start": cur_start, "min_orders": min_orders, "lim": limit}
    grp = f"coalesce(CAST({DIMS[args.dimension]['sql']} AS VARCHAR), '(无)')" if args.dimension else "'全部 / All'"
    pre = f"""
WITH {scope.ctes(products=False)},
{scope.orders_cte()},
pc AS (
    SELECT customer_id,
           count(*) FILTER (WHERE order_date < $cur_start) AS prev_orders,
           count(*) FILTER (WHERE order_date >= $cur_start) AS cur_orders,
           max(order_date) AS last_order_date
    FROM f_orders
    GROUP BY customer_id
),
act AS (
    SELECT pc.*, c.name, {grp} AS grp
    FROM pc JOIN f_customers c ON c.customer_id = pc.customer_id
)"""
    tr = Trace(con)
    defs = [
        Definition(
            name="churn_rate",
            zh=f"流失率 = 上期(与本期等长)至少 {min_orders} 笔已完成订单、本期没有已完成订单的客户数 / 上期活跃客户数",
            en=f"churn rate = customers with at least {min_orders} completed order(s) in the previous period of equal length and none in this period / customers active in the previous period",
            value={
                "this": [cur_start, base.end],
                "previous": [prev_start, cur_start - dt.timedelta(days=1)],
                "active_min_orders": min_orders,
            },
        )
    ]
    if args.by == "customer":
        sql = (
            pre
            + """
SELECT act.customer_id, name, grp, prev_orders, coalesce(rev.prev_revenue, 0) AS prev_revenue, last_order_date,
       count(*) OVER () AS n
FROM act LEFT JOIN (
    SELECT customer_id, sum(amount)::DOUBLE AS prev_revenue FROM f_lines
    WHERE status = 'completed' AND order_date < $cur_start GROUP BY customer_id
) rev ON rev.customer_id = act.customer_id
WHERE prev_orders >= $min_orders AND cur_orders = 0
ORDER BY prev_revenue DESC, act.customer_id
LIMIT $lim"""
        )
        cols, raw = tr.query(sql, params)
        cols = ["customer_id", "name", args.dimension or "group", *cols[3:6]]
        return _result(
            args,
            base.as_of,
            tr,
            figures={"churned": raw[0][6] if raw else 0, "listed": len(raw)},
            columns=cols,
            rows=[r[:6] for r in raw],
            definitions=defs,
            chart=Chart(kind="table", x="customer_id", y="prev_revenue"),
        )
    sql = (
        pre
        + """
SELECT grp,
       count(*) FILTER (WHERE prev_orders >= $min_orders) AS active_previous,
       count(*) FILTER (WHERE prev_orders >= $min_orders AND cur_orders > 0) AS retained,
       count(*) FILTER (WHERE prev_orders >= $min_orders AND cur_orders = 0) AS churned,
       count(*) FILTER (WHERE prev_orders >= $min_orders AND cur_orders = 0)::DOUBLE
           / nullif(count(*) FILTER (WHERE prev_orders >= $min_orders), 0) AS churn_rate,
       count(*) FILTER (WHERE cur_orders > 0) AS active_current,
       count(*) FILTER (WHERE cur_orders > 0 AND prev_orders = 0) AS active_current_not_previous
FROM act
GROUP BY grp
ORDER BY active_previous DESC, grp"""
    )
    cols, rows = tr.query(sql, params)
    tot = [sum(r[i] for r in rows) for i in (1, 2, 3, 5)]
    figures: dict[str, Any] = {
        "active_previous": tot[0],
        "retained": tot[1],
        "churned": tot[2],
        "churn_rate": tot[2] / tot[0] if tot[0] else None,
        "retention_rate": tot[1] / tot[0] if tot[0] else None,
        "active_current": tot[3],
        "period_start": cur_start,
        "period_end": base.end,
        "prev_period_start": prev_start,
    }
    return _result(
        args,
        base.as_of,
        tr,
        figures=figures,
        columns=[args.dimension or "group", *cols[1:]],
        rows=rows,
        definitions=defs,
        chart=Chart(kind="bar", x=args.dimension or "group", y="churn_rate", title_zh="流失率", title_en="Churn rate"),
        notes=[] if tot[0] else ["上期没有活跃客户,流失率无定义 / no active customers in the previous period"],
    )


def _cohort(con: Con, args: ChurnArgs) -> ToolResult:
    n_cohorts = _setting(args, "cohorts", "cohorts", 1)
    max_months = _setting(args, "max_months", "max_months", 0)
    base = resolve_scope(con, args)
    # Orders from any date count (a cohort buys after it signs up); the period selects the cohorts.
    scope = resolve_scope(con, args.model_copy(update={"start": None}))
    end_month = base.end.replace(day=1)
    first = args.start.replace(day=1) if args.start else _add_months(end_month, -(n_cohorts - 1))
    params = {**scope.params, "first_cohort": first, "max_k": max_months, "c_start": args.start or first}
    sql = f"""
WITH {scope.ctes(products=False)},
co AS (
    SELECT customer_id, CAST(date_trunc('month', signup_date) AS DATE) AS cm
    FROM f_customers
    WHERE signup_date <= $f_end AND signup_date >= $c_start
),
{scope.orders_cte()},
act AS (SELECT DISTINCT customer_id, CAST(date_trunc('month', order_date) AS DATE) AS om FROM f_orders),
sizes AS (SELECT cm, count(*) AS customers FROM co GROUP BY cm),
cells AS (
    SELECT co.cm, date_diff('month', co.cm, act.om) AS k, count(DISTINCT co.customer_id) AS n
    FROM co JOIN act ON act.customer_id = co.customer_id
    WHERE date_diff('month', co.cm, act.om) BETWEEN 0 AND $max_k
    GROUP BY ALL
)
SELECT s.cm, s.customers, c.k, c.n
FROM sizes s LEFT JOIN cells c ON c.cm = s.cm
ORDER BY s.cm, c.k"""
    tr = Trace(con)
    _, raw = tr.query(sql, params)
    cohorts: dict[dt.date, dict[str, Any]] = {}
    for cm, size, k, n in raw:
        entry = cohorts.setdefault(cm, {"size": size, "cells": {}})
        if k is not None:
            entry["cells"][k] = n
    rows = []
    observed: dict[int, list[int]] = {k: [0, 0] for k in range(max_months + 1)}
    for cm, entry in sorted(cohorts.items()):
        row: list[Any] = [cm.strftime("%Y-%m"), entry["size"]]
        for k in range(max_months + 1):
            if _add_months(cm, k) > end_month:
                row.append(None)
                continue
            n = entry["cells"].get(k, 0)
            row.append(n / entry["size"])
            observed[k][0] += n
            observed[k][1] += entry["size"]
        rows.append(row)
    figures: dict[str, Any] = {"cohorts": len(rows), "customers": sum(r[1] for r in rows)}
    for k in (1, 3, 6, 12):
        if k <= max_months:
            n, d = observed[k]
            figures[f"retention_m{k}"] = n / d if d else None
    return _result(
        args,
        base.as_of,
        tr,
        figures=figures,
        columns=["cohort", "customers", *[f"m{k}" for k in range(max_months + 1)]],
        rows=rows,
        definitions=[
            Definition(
                name="cohort_retention",
                zh="留存率(签约月队列, 第 k 月)= 该月签约客户中在签约后第 k 个自然月有已完成订单的比例;k=0 为签约当月;尚未到达的月份留空",
                en="retention (signup-month cohort, month k) = share of the cohort with a completed order in calendar month k after the signup month; k = 0 is the signup month; months not reached yet are empty",
                value={"first_cohort": first, "max_months": max_months},
            ),
            Definition(
                name="retention_mk",
                zh="figures 中的 retention_mk 为所有可观察队列按人数加权的第 k 月留存率",
                en="retention_mk in figures is month-k retention over all cohorts that reached month k, weighted by cohort size",
            ),
        ],
        chart=Chart(kind="heatmap", x="month", y="cohort", title_zh="签约月队列留存", title_en="Cohort retention"),
    )


def _at_risk(con: Con, args: ChurnArgs) -> ToolResult:
    min_orders = _setting(args, "min_orders", "at_risk_min_orders", 2)
    factor = _setting(args, "factor", "at_risk_factor", 1.0, float)
    stake_days = _setting(args, "stake_days", "stake_days", 1)
    limit = _setting(args, "limit", "limit", 1)
    scope = resolve_scope(con, args)
    stake_from = scope.as_of - dt.timedelta(days=stake_days - 1)
    params = {**scope.params, "as_of": scope.as_of, "min_orders": min_orders, "factor": factor}
    params.update(stake_from=stake_from, lim=limit)
    sql = f"""
WITH {scope.ctes(products=False)},
{scope.orders_cte()},
cnt AS (
    -- one sorted list of order dates per customer: the non-zero gaps between neighbours are the
    -- intervals between distinct order days (cheaper than a window partitioned by customer)
    SELECT customer_id, count(*) AS orders, max(order_date) AS last_order_date,
           list(order_date ORDER BY order_date) AS ds
    FROM f_orders GROUP BY customer_id HAVING count(*) >= $min_orders
),
med AS (
    SELECT customer_id,
           list_median(list_filter(
               list_transform(range(1, array_length(ds)), lambda i: date_diff('day', ds[i], ds[i + 1])),
               lambda g: g > 0)) AS median_interval_days
    FROM cnt
),
scored AS MATERIALIZED (
    SELECT cnt.customer_id, c.name, c.region, cnt.orders, cnt.last_order_date,
           date_diff('day', cnt.last_order_date, $as_of) AS days_since_last,
           med.median_interval_days,
           date_diff('day', cnt.last_order_date, $as_of) / med.median_interval_days AS ratio
    FROM cnt
    JOIN med ON med.customer_id = cnt.customer_id AND med.median_interval_days IS NOT NULL
    JOIN f_customers c ON c.customer_id = cnt.customer_id
),
risk AS MATERIALIZED (SELECT * FROM scored WHERE days_since_last > $factor * median_interval_days),
stake AS (
    -- revenue only for the customers at risk: the lines scan is the expensive part
    SELECT customer_id, sum(amount)::DOUBLE AS revenue_at_stake
    FROM f_lines
    WHERE status = 'completed' AND order_date >= $stake_from AND order_date <= $as_of
      AND customer_id IN (SELECT customer_id FROM risk)
    GROUP BY customer_id
)
SELECT risk.*, coalesce(stake.revenue_at_stake, 0) AS revenue_at_stake,
       count(*) OVER () AS n_at_risk, sum(coalesce(stake.revenue_at_stake, 0)) OVER () AS total_stake,
       (SELECT count(*) FROM scored) AS assessed
FROM risk LEFT JOIN stake ON stake.customer_id = risk.customer_id
ORDER BY revenue_at_stake DESC, risk.customer_id
LIMIT $lim"""
    tr = Trace(con)
    cols, raw = tr.query(sql, params)
    if raw:
        figures: dict[str, Any] = {"at_risk": raw[0][-3], "revenue_at_stake": raw[0][-2], "assessed": raw[0][-1]}
    else:
        assessed_sql = sql.split("\nSELECT risk.*")[0] + "\nSELECT count(*) FROM scored"
        figures = {
            "at_risk": 0,
            "revenue_at_stake": 0.0,
            "assessed": tr.scalar(assessed_sql, params),
        }
    figures["listed"] = len(raw)
    return _result(
        args,
        scope.as_of,
        tr,
        figures=figures,
        columns=cols[:-3],
        rows=[r[:-3] for r in raw],
        definitions=[
            Definition(
                name="at_risk",
                zh=f"流失预警:至少 {min_orders} 笔已完成订单、距上次购买天数超过自身购买间隔(不同下单日之间)中位数的 {factor} 倍的客户",
                en=f"at risk: customers with at least {min_orders} completed orders whose days since the last order exceed {factor} × their own median interval between order days",
                value={"min_orders": min_orders, "factor": factor},
            ),
            Definition(
                name="revenue_at_stake",
                zh=f"风险金额 = 截至 as_of 最近 {stake_days} 天的已完成订单销售额",
                en=f"revenue at stake = completed revenue in the {stake_days} days up to as_of",
                value={"days": stake_days, "from": stake_from},
            ),
        ],
        chart=Chart(
            kind="bar", x="customer_id", y="revenue_at_stake", title_zh="流失预警", title_en="At-risk customers"
        ),
    )
