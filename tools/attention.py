"""Customer attention points: complaints, inquiries and suggestions, and how we contact customers.

Methodology: "what customers care about", one of the six aspects of customer
analysis (客户关注点: complaints, inquiries, suggestions; and the evaluation of
customer contacts). Over tickets created in the period (all history up to
as_of unless a period is given):

- counts by kind, issue category, product, region, owner rep, month, department
  or intake channel;
- resolution rate = tickets resolved by the period end / tickets created in the period;
- time to resolve = resolved_at − created_at in hours, median and 90th percentile
  (linear interpolation) over the tickets resolved by the period end;
- open backlog = tickets created by the period end and not resolved by it (a stock:
  the start date does not apply), oldest first, age in days at the period end.

Contact evaluation (``view="contacts"``), over interactions in the period, by
department: contacts per contacted customer-week (weeks start on Monday) and
contacts per customer in scope per week of the window; customers contacted by
at least 2 departments in the same week (threshold in the table).

A product-category filter keeps tickets about products of that category; an
order-channel filter keeps customers who bought through that channel in the period.
Thresholds and labels live in ``tools/tables/attention.yaml``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from assistant.core.errors import InputError
from tools.base import Chart, CommonFilters, Con, Definition, Scope, ToolResult, Trace, one_of, register, resolve_scope
from tools.tables import load

TABLE = load("attention")
TH = TABLE["thresholds"]
KINDS: dict[str, dict[str, str]] = TABLE["kinds"]
DIMS: dict[str, dict[str, str]] = TABLE["dimensions"]
VIEWS = ("summary", "by", "backlog", "contacts")


class AttentionArgs(CommonFilters):
    """客户关注点参数 / attention-point parameters."""

    view: Literal["summary", "by", "backlog", "contacts"] = Field(
        "summary",
        description="视图:summary 按类型汇总,by 按维度,backlog 未解决积压,contacts 接触评估 / view: summary (by kind), by (a dimension), backlog (open tickets), contacts (contact evaluation)",
    )
    dimension: Literal["kind", "category", "product", "region", "rep", "month", "department", "channel"] = Field(
        "category", description="view=by 时的分组维度 / grouping dimension for view=by"
    )
    kinds: list[Literal["complaint", "inquiry", "suggestion"]] | None = Field(
        None,
        description="工单类型,默认全部:complaint 投诉、inquiry 咨询、suggestion 建议 / ticket kinds, default all",
    )
    multi_department_min: int | None = Field(
        None,
        description=f"多部门接触阈值(同周部门数),默认 {TH['multi_department_min']['value']} / departments in one week that count as multi-department contact, default {TH['multi_department_min']['value']}",
    )
    limit: int | None = Field(
        None,
        description=f"名单最多行数,默认 {TH['limit']['value']} / most rows in a list, default {TH['limit']['value']}",
    )
    by: Literal["segment", "customer"] = Field(
        "segment",
        description="contacts 视图:segment 按部门,customer 列出多部门接触的客户周 / contacts view: segment by department, customer lists multi-department customer-weeks",
    )

    _v = one_of("view", VIEWS)
    _d = one_of("dimension", list(DIMS))
    _k = one_of("kinds", list(KINDS), listify=True)
    _b = one_of("by", ("segment", "customer"))


def _tickets_cte(scope: Scope, args: AttentionArgs, *, flow: bool) -> str:
    conds = ["CAST(t.created_at AS DATE) <= $f_end", "list_contains($kinds, t.kind)"]
    if flow and scope.start:
        conds.append("CAST(t.created_at AS DATE) >= $f_start")
    if args.category:
        conds.append("t.product_id IN (SELECT product_id FROM products WHERE list_contains($f_category, category))")
    if args.channel:
        conds.append("t.customer_id IN (SELECT customer_id FROM f_lines WHERE status = 'completed')")
    return f"""tk AS (
    SELECT t.*, c.region,
           (t.resolved_at IS NOT NULL AND CAST(t.resolved_at AS DATE) <= $f_end) AS is_resolved,
           date_diff('second', t.created_at, t.resolved_at) / 3600.0 AS hours
    FROM tickets t JOIN f_customers c ON c.customer_id = t.customer_id
    WHERE {" AND ".join(conds)}
)"""


def _result(args: AttentionArgs, scope: Scope, tr: Trace, **kw: Any) -> ToolResult:
    return ToolResult(
        as_of=scope.as_of,
        sql=tr.sql,
        **kw,
    )


@register(
    "attention",
    "客户关注点:投诉、咨询、建议按类型/类别/产品/大区/负责人/月份统计,解决率与解决时长,未解决积压,及客户接触评估",
    "Attention points: complaints, inquiries, suggestions by kind, category, product, region, rep, month; resolution rate and time; open backlog; contact evaluation",
    AttentionArgs,
    examples=(
        "投诉最多的问题类别是什么?",
        "How long do we take to resolve complaints?",
        "哪些客户一周内被多个部门联系?",
    ),
)
def attention(con: Con, args: AttentionArgs) -> ToolResult:
    multi = TH["multi_department_min"]["value"] if args.multi_department_min is None else args.multi_department_min
    limit = TH["limit"]["value"] if args.limit is None else args.limit
    if multi < 2:
        raise InputError(
            f"multi_department_min 至少为 2(多个部门),收到 {multi}。",
            f"multi_department_min must be at least 2 (several departments), got {multi}.",
        )
    if limit < 1:
        raise InputError(f"limit 至少为 1,收到 {limit}。", f"limit must be at least 1, got {limit}.")
    scope = resolve_scope(con, args)
    tr = Trace(con)
    kinds = list(args.kinds or KINDS)
    defs = [
        Definition(
            name="kinds",
            zh="统计的工单类型:" + "、".join(KINDS[k]["zh"] for k in kinds),
            en="ticket kinds counted: " + ", ".join(kinds),
            value=kinds,
        ),
        Definition(
            name="resolution_rate",
            zh="解决率 = 期末前已解决的工单 / 期间内新建的工单",
            en="resolution rate = tickets resolved by the period end / tickets created in the period",
        ),
        Definition(
            name="time_to_resolve",
            zh="解决时长 = 解决时间 − 创建时间(小时);中位数与 90 分位数(线性插值),只计期末前已解决的工单",
            en="time to resolve = resolved_at − created_at in hours; median and 90th percentile (interpolated) over tickets resolved by the period end",
        ),
        Definition(
            name="backlog",
            zh="积压 = 期末前创建且期末仍未解决的工单(不受开始日期限制),账龄 = 期末 − 创建日期(天)",
            en="backlog = tickets created by the period end and still open at it (the start date does not apply); age = period end − created date in days",
        ),
    ]
    if args.view == "contacts":
        return _contacts(con, args, scope, tr, multi, limit)
    if args.view == "backlog":
        params = {**scope.params, "kinds": kinds, "lim": limit}
        sql = f"""
WITH {scope.ctes(products=False)},
{_tickets_cte(scope, args, flow=False)},
open AS (SELECT *, date_diff('day', CAST(created_at AS DATE), $f_end) AS age_days FROM tk WHERE NOT is_resolved)
SELECT ticket_id, customer_id, kind, category, product_id, department, owner_rep_id, created_at, age_days,
       count(*) OVER () AS n_open, avg(age_days) OVER () AS mean_age
FROM open
ORDER BY created_at, ticket_id
LIMIT $lim"""
        cols, raw = tr.query(sql, params)
        kind_sql = (
            f"WITH {scope.ctes(products=False)},\n{_tickets_cte(scope, args, flow=False)}\n"
            "SELECT kind, count(*) FROM tk WHERE NOT is_resolved GROUP BY kind ORDER BY kind"
        )
        _, by_kind = tr.query(kind_sql, params)
        rows = [[*r[:3], KINDS[r[2]]["zh"], *r[3:9]] for r in raw]
        columns = [*cols[:3], "kind_zh", *cols[3:9]]
        figures: dict[str, Any] = {
            "open": raw[0][9] if raw else 0,
            "oldest_age_days": raw[0][8] if raw else None,
            "mean_age_days": raw[0][10] if raw else None,
            "listed": len(rows),
        }
        figures.update({f"open_{k}": n for k, n in by_kind})
        return _result(
            args,
            scope,
            tr,
            figures=figures,
            columns=columns,
            rows=rows,
            definitions=defs,
            chart=Chart(kind="table", x="ticket_id", y="age_days"),
        )

    dim = "kind" if args.view == "summary" else args.dimension
    params = {**scope.params, "kinds": kinds}
    # One pass: the groups and the overall row (GROUPING SETS), so tickets are read once.
    sql = f"""
WITH {scope.ctes(products=False)},
{_tickets_cte(scope, args, flow=True)},
g AS (SELECT t.*, coalesce(CAST({DIMS[dim]["sql"]} AS VARCHAR), '(无)') AS grp FROM tk t)
SELECT grp,
       count(*) AS tickets,
       count(*) FILTER (WHERE kind = 'complaint') AS complaints,
       count(*) FILTER (WHERE kind = 'inquiry') AS inquiries,
       count(*) FILTER (WHERE kind = 'suggestion') AS suggestions,
       count(*) FILTER (WHERE is_resolved) AS resolved,
       count(*) FILTER (WHERE is_resolved)::DOUBLE / nullif(count(*), 0) AS resolution_rate,
       quantile_cont(hours, 0.5) FILTER (WHERE is_resolved) AS median_hours,
       quantile_cont(hours, 0.9) FILTER (WHERE is_resolved) AS p90_hours,
       count(*) FILTER (WHERE NOT is_resolved) AS open,
       grouping(grp) AS is_total
FROM g
GROUP BY GROUPING SETS ((grp), ())
ORDER BY is_total DESC, tickets DESC, grp"""
    cols, raw = tr.query(sql, params)
    cols = cols[:-1]
    total = dict(zip(cols, raw[0][:-1], strict=True))
    rows = [r[:-1] for r in raw[1:]]
    figures = {k: total[k] for k in ("tickets", "resolved", "resolution_rate", "median_hours", "p90_hours")}
    figures["open_created_in_period"] = total["open"]

    for r in rows:
        if dim == "kind":
            figures[f"{r[0]}_tickets"] = r[1]
    columns = [dim, *cols[1:]]
    if dim == "kind":
        rows = [[r[0], KINDS.get(r[0], {"zh": r[0]})["zh"], *r[1:]] for r in rows]
        columns = ["kind", "kind_zh", *cols[1:]]
    defs.append(
        Definition(name="dimension", zh=f"按{DIMS[dim]['zh']}分组", en=f"grouped by {DIMS[dim]['en']}", value=dim)
    )
    return _result(
        args,
        scope,
        tr,
        figures=figures,
        columns=columns,
        rows=rows,
        definitions=defs,
        chart=Chart(
            kind="bar", x=dim, y=["complaints", "inquiries", "suggestions"], title_zh="工单分布", title_en="Tickets"
        ),
        notes=[] if rows else ["期间内没有工单 / no tickets in the period"],
    )


def _contacts(con: Con, args: AttentionArgs, scope: Scope, tr: Trace, multi: int, limit: int) -> ToolResult:
    conds = ["CAST(i.happened_at AS DATE) <= $f_end"]
    if scope.start:
        conds.append("CAST(i.happened_at AS DATE) >= $f_start")
    if args.category or args.channel:
        conds.append("i.customer_id IN (SELECT customer_id FROM f_lines WHERE status = 'completed')")
    params: dict[str, Any] = dict(scope.params)
    params["multi"] = multi
    # Without customer filters every interaction is in scope (the importer checks its customer exists): joining
    # ~5M interactions to ~1M customers only to keep them all cost ~0.3 s at that size.
    join = "" if scope.customer_where == "TRUE" else "JOIN f_customers c ON c.customer_id = i.customer_id"
    base = f"""
WITH {scope.ctes(products=False)},
ia AS (
    SELECT i.*, CAST(date_trunc('week', i.happened_at) AS DATE) AS week
    FROM interactions i {join}
    WHERE {" AND ".join(conds)}
),
dcw AS MATERIALIZED (
    SELECT department, customer_id, week, count(*) AS n, min(CAST(happened_at AS DATE)) AS first_day
    FROM ia GROUP BY department, customer_id, week
),
cw AS (
    SELECT customer_id, week, count(*) AS departments, sum(n) AS contacts
    FROM dcw GROUP BY customer_id, week
)"""
    defs = [
        Definition(
            name="contacts_per_contacted_customer_week",
            zh="每客户每周接触次数(被接触客户)= 接触次数 / 有接触的(客户, 周)数;周从周一开始",
            en="contacts per contacted customer-week = contacts / distinct (customer, week) pairs with a contact; weeks start on Monday",
        ),
        Definition(
            name="contacts_per_customer_week",
            zh="每客户每周接触次数(全部客户)= 接触次数 / (范围内客户数 × 窗口周数);窗口从开始日期(未给时为第一次接触)到期末",
            en="contacts per customer per week = contacts / (customers in scope × weeks in the window); the window runs from the start date (or the first contact) to the period end",
        ),
        Definition(
            name="multi_department",
            zh=f"多部门接触:同一客户同一周被至少 {multi} 个不同部门接触",
            en=f"multi-department contact: one customer contacted by at least {multi} different departments in the same week",
            value=multi,
        ),
    ]
    if args.by == "customer":
        params["lim"] = limit
        sql = (
            base
            + """,
top AS (
    SELECT customer_id, week, departments, contacts, count(*) OVER () AS n
    FROM cw WHERE departments >= $multi
    ORDER BY departments DESC, contacts DESC, customer_id, week
    LIMIT $lim
)
-- the department names only for the listed rows
SELECT t.customer_id, t.week, t.departments,
       string_agg(d.department, '、' ORDER BY d.department) AS department_list, t.contacts, t.n
FROM top t JOIN dcw d ON d.customer_id = t.customer_id AND d.week = t.week
GROUP BY t.customer_id, t.week, t.departments, t.contacts, t.n
ORDER BY t.departments DESC, t.contacts DESC, t.customer_id, t.week"""
        )
        cols, raw = tr.query(sql, params)
        return _result(
            args,
            scope,
            tr,
            figures={"multi_department_customer_weeks": raw[0][5] if raw else 0, "listed": len(raw)},
            columns=cols[:5],
            rows=[r[:5] for r in raw],
            definitions=defs,
            chart=Chart(kind="table", x="customer_id", y="departments"),
        )
    sql = (
        base
        + """,
win AS (
    SELECT (SELECT count(*) FROM f_customers) AS n_customers,
           greatest(date_diff('day', coalesce(CAST($f_start AS DATE), (SELECT min(first_day) FROM dcw)), $f_end) + 1, 1)
               / 7.0 AS weeks
),
dep AS (
    SELECT department, sum(n) AS contacts, count(*) AS customer_weeks
    FROM dcw GROUP BY department
),
summ AS (
    SELECT sum(contacts) AS total_contacts,
           count(*) AS total_customer_weeks,
           count(*) FILTER (WHERE departments >= $multi) AS multi_department_customer_weeks,
           count(DISTINCT customer_id) FILTER (WHERE departments >= $multi) AS multi_department_customers
    FROM cw
)
SELECT dep.department, dep.contacts, dep.customer_weeks,
       dep.contacts::DOUBLE / dep.customer_weeks AS contacts_per_contacted_customer_week,
       dep.contacts::DOUBLE / (win.n_customers * win.weeks) AS contacts_per_customer_week,
       summ.*
FROM dep, win, summ
ORDER BY dep.contacts DESC, dep.department"""
    )
    if "f_start" not in params:
        sql = sql.replace("CAST($f_start AS DATE)", "CAST(NULL AS DATE)")
    cols, raw = tr.query(sql, params)
    rows = [r[:5] for r in raw]
    cols = cols[:5]
    s0 = raw[0][5:] if raw else [None] * 4
    figures = {
        "contacts": s0[0] or 0,
        "customer_weeks": s0[1] or 0,
        "multi_department_customer_weeks": s0[2] or 0,
        "multi_department_customers": s0[3] or 0,
        "multi_department_share": s0[2] / s0[1] if s0[1] else None,
    }
    return _result(
        args,
        scope,
        tr,
        figures=figures,
        columns=cols,
        rows=rows,
        definitions=defs,
        chart=Chart(
            kind="bar",
            x="department",
            y="contacts_per_contacted_customer_week",
            title_zh="各部门接触频次",
            title_en="Contact frequency by department",
        ),
    )
