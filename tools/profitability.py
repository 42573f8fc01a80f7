"""Customer profitability: revenue, cost of goods, cost to serve, profit; the customers who lose money.

Methodology: customer *value* analysis (of the six aspects of customer analysis: who the customers are, what
they are worth, how satisfied, how loyal, how profitable, how creditworthy), the "how profitable" part: a
customer's revenue is not its contribution. Some customers buy a lot at thin margins and call support every
week; profitability analysis (activity-based costing of the service a customer consumes) finds them.

Definitions (shared with the methodology documents; unit costs in tools/tables/profitability.yaml):

- Window: all history up to ``as_of`` unless a period (start/end) is given.
- Revenue = sum of order_items.amount over completed orders in the window.
- Cost of goods = Σ quantity × products.unit_cost over the same lines (a missing unit cost counts as 0 and is
  reported in ``lines_without_cost``).
- Service cost = complaints × 300 + inquiries × 100 + suggestions × 50 (tickets created in the window)
  + contacts × 80 (rows of interactions in the window), CNY, each unit cost overridable.
- Profit = revenue − cost of goods − service cost; loss-making customers: profit < 0.
- Customers counted: those in the filters with any activity in the window (a completed order line in scope, a
  ticket or a contact); a customer with none contributes nothing either way.

Category and channel filters narrow the order lines (revenue and cost of goods); tickets and contacts are not
tied to a category or sales channel, so the service cost stays the customer's whole cost to serve.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from assistant.core.errors import InputError
from tools.base import (
    Chart,
    CommonFilters,
    Con,
    Definition,
    Scope,
    ToolResult,
    Trace,
    at_least,
    one_of,
    register,
    resolve_scope,
)
from tools.tables import load

TABLE = load("profitability")
COSTS: dict[str, dict[str, Any]] = TABLE["unit_costs"]
DEFAULTS: dict[str, Any] = TABLE["defaults"]
CLASSES: dict[str, dict[str, str]] = TABLE["classes"]
DIMENSIONS: dict[str, dict[str, str]] = TABLE["dimensions"]
BY_OPTIONS = ("customer", *DIMENSIONS)


def _cost_field(kind: str) -> Any:
    c = COSTS[kind]
    return Field(None, description=f"{c['zh']},默认 {c['value']} / {c['en']}, default {c['value']}")


class ProfitabilityArgs(CommonFilters):
    """客户盈利能力参数 / customer profitability parameters."""

    by: str = Field(
        DEFAULTS["by"],
        description=f"分组维度:{'、'.join(BY_OPTIONS)};customer 为每个客户一行 / group by one of {', '.join(BY_OPTIONS)}; "
        "customer gives one row per customer",
    )
    complaint_cost: float | None = _cost_field("complaint")
    inquiry_cost: float | None = _cost_field("inquiry")
    suggestion_cost: float | None = _cost_field("suggestion")
    contact_cost: float | None = _cost_field("contact")
    loss_only: bool = Field(
        False,
        description="仅列出亏损客户(by=customer 时按亏损从大到小) / only loss-making customers (by=customer: largest loss first)",
    )
    limit: int = Field(
        DEFAULTS["limit"],
        description=f"by=customer 时最多返回的行数,默认 {DEFAULTS['limit']} / by=customer: at most this many rows, default {DEFAULTS['limit']}",
    )

    _by = one_of("by", BY_OPTIONS)

    _limit = at_least("limit", 1)


def unit_costs(args: ProfitabilityArgs) -> dict[str, float]:
    """The unit costs actually used: the arguments where given, else the table's defaults; all must be ≥ 0."""
    out: dict[str, float] = {}
    for kind in COSTS:
        given = getattr(args, f"{kind}_cost")
        v = float(COSTS[kind]["value"] if given is None else given)
        if v < 0 or v != v:
            raise InputError(
                f"{kind}_cost 是单位成本,不能为负数,收到 {given};请给出 ≥ 0 的金额(元),如默认 {COSTS[kind]['value']}。",
                f"{kind}_cost is a unit cost and cannot be negative, got {given}; give an amount ≥ 0 (CNY), "
                f"e.g. the default {COSTS[kind]['value']}.",
            )
        out[kind] = v
    return out


# Each customer's sales in the scope's period, from f_order_values. Its own text, so the business review can read
# the same sums from what it computed once for the period (assistant/report/shared_pass.py).
SALES = """sales AS (
    -- Per order first (the derived order_totals when current): exact DECIMAL sums, so the same figures as
    -- summing the lines directly.
    SELECT v.customer_id,
           sum(v.revenue)::DOUBLE AS revenue,
           sum(v.revenue - v.margin)::DOUBLE AS cogs,
           sum(v.lines_without_cost) AS lines_without_cost
    FROM f_order_values v
    GROUP BY v.customer_id
)"""


def per_customer_sql(con: Con, scope: Scope) -> str:
    """CTEs ending in ``per``: one row per active customer with revenue, costs and profit (params: scope + cost_*)."""
    # Timestamps against dates: the whole end day counts. No customer filter here: the LEFT JOINs from
    # f_customers below keep only customers in scope, and a semi-join on millions of rows costs more than it saves.
    t_where = "t.created_at < $f_end + INTERVAL 1 DAY"
    i_where = "i.happened_at < $f_end + INTERVAL 1 DAY"
    if scope.start is not None:
        t_where += " AND t.created_at >= $f_start"
        i_where += " AND i.happened_at >= $f_start"
    return f"""WITH {scope.ctes()},
{scope.order_values_cte(con)},
{SALES},
tk AS (
    SELECT t.customer_id,
           count(*) FILTER (WHERE t.kind = 'complaint') AS complaints,
           count(*) FILTER (WHERE t.kind = 'inquiry') AS inquiries,
           count(*) FILTER (WHERE t.kind = 'suggestion') AS suggestions
    FROM tickets t
    WHERE {t_where}
    GROUP BY t.customer_id
),
ct AS (
    SELECT i.customer_id, count(*) AS contacts
    FROM interactions i
    WHERE {i_where}
    GROUP BY i.customer_id
),
base AS (
    SELECT c.*,
           coalesce(s.revenue, 0) AS revenue,
           coalesce(s.cogs, 0) AS cogs,
           coalesce(s.lines_without_cost, 0) AS lines_without_cost,
           coalesce(tk.complaints, 0) AS complaints,
           coalesce(tk.inquiries, 0) AS inquiries,
           coalesce(tk.suggestions, 0) AS suggestions,
           coalesce(ct.contacts, 0) AS contacts
    FROM f_customers c
    LEFT JOIN sales s ON s.customer_id = c.customer_id
    LEFT JOIN tk ON tk.customer_id = c.customer_id
    LEFT JOIN ct ON ct.customer_id = c.customer_id
    WHERE s.customer_id IS NOT NULL OR tk.customer_id IS NOT NULL OR ct.customer_id IS NOT NULL
),
costed AS (
    SELECT b.*,
           b.revenue - b.cogs AS gross_profit,
           (b.complaints * $cost_complaint + b.inquiries * $cost_inquiry
            + b.suggestions * $cost_suggestion)::DOUBLE AS ticket_cost,
           (b.contacts * $cost_contact)::DOUBLE AS contact_cost
    FROM base b
),
per AS (
    SELECT c.*, c.ticket_cost + c.contact_cost AS service_cost,
           c.gross_profit - c.ticket_cost - c.contact_cost AS profit
    FROM costed c
)"""


# Totals, each summed over the per-customer rows: (name, expression).
TOTAL_COLS: list[tuple[str, str]] = [
    ("customers", "1"),
    ("loss_making", "CASE WHEN profit < 0 THEN 1 ELSE 0 END"),
    ("revenue", "revenue"),
    ("cogs", "cogs"),
    ("gross_profit", "gross_profit"),
    ("ticket_cost", "ticket_cost"),
    ("contact_cost", "contact_cost"),
    ("service_cost", "service_cost"),
    ("profit", "profit"),
    ("loss_total", "least(profit, 0)"),
    ("lines_without_cost", "lines_without_cost"),
]


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


@register(
    "profitability",
    "客户盈利能力:销售额、商品成本、服务成本(工单与接触)与利润,找出亏损客户",
    "Customer profitability: revenue, cost of goods, cost to serve (tickets and contacts) and profit; loss-making customers",
    ProfitabilityArgs,
    examples=("哪些客户是亏损的?", "各大区客户的利润是多少?", "Which customers lose us money?"),
)
def profitability(con: Con, args: ProfitabilityArgs) -> ToolResult:
    costs = unit_costs(args)
    scope = resolve_scope(con, args)
    params: dict[str, Any] = {**scope.params, **{f"cost_{k}": v for k, v in costs.items()}}
    head = per_customer_sql(con, scope)
    tr = Trace(con)
    loss_zh, loss_en = CLASSES["loss"]["zh"], CLASSES["loss"]["en"]
    prof_zh, prof_en = CLASSES["profit"]["zh"], CLASSES["profit"]["en"]
    totals: dict[str, Any] | None = None
    # One pass over the lines per call: totals ride along (window sums or a grouping set) instead of a 2nd query.
    if args.by == "customer":
        order = "profit ASC, customer_id" if args.loss_only else "profit DESC, customer_id"
        window = ",\n       ".join(f"coalesce(sum({e}) OVER (), 0) AS tot_{n}" for n, e in TOTAL_COLS)
        cols, rows = tr.query(
            f"""{head}
SELECT customer_id, name, region, industry, size, revenue, cogs, gross_profit,
       complaints, inquiries, suggestions, contacts, ticket_cost, contact_cost, service_cost, profit,
       CASE WHEN revenue > 0 THEN profit / revenue END AS profit_margin,
       CASE WHEN profit < 0 THEN $loss_zh ELSE $prof_zh END AS class_zh,
       CASE WHEN profit < 0 THEN $loss_en ELSE $prof_en END AS class_en,
       {window}
FROM per
QUALIFY {"profit < 0" if args.loss_only else "TRUE"}
ORDER BY {order}
LIMIT $limit""",
            {
                **params,
                "limit": args.limit,
                "loss_zh": loss_zh,
                "loss_en": loss_en,
                "prof_zh": prof_zh,
                "prof_en": prof_en,
            },
        )
        nt = len(TOTAL_COLS)
        if rows:
            totals = dict(zip([n for n, _ in TOTAL_COLS], rows[0][-nt:], strict=True))
        cols, rows = cols[:-nt], [r[:-nt] for r in rows]
        chart = Chart(
            kind="scatter",
            x="revenue",
            y="profit",
            color="class_zh",
            title_zh="客户销售额与利润",
            title_en="Revenue and profit per customer",
        )
    else:
        dim = args.by
        column = DIMENSIONS[dim]["column"]  # from our own table, never user text
        aggs = ",\n       ".join(f"coalesce(sum({e}), 0) AS {n}" for n, e in TOTAL_COLS)
        # loss_only: group by (segment, loss-making) and keep the loss-making half; the () set is always everyone.
        sets = "(seg, is_loss), ()" if args.loss_only else "(seg), ()"
        cols, got = tr.query(
            f"""{head}
SELECT GROUPING(seg) AS is_total, seg AS {dim}, {"is_loss" if args.loss_only else "NULL AS is_loss"}, {aggs},
       CASE WHEN sum(revenue) > 0 THEN sum(profit) / sum(revenue) END AS profit_margin,
       avg(CASE WHEN profit < 0 THEN 1.0 ELSE 0.0 END) AS loss_making_share
FROM (SELECT *, coalesce({column}::VARCHAR, '(未知)') AS seg, profit < 0 AS is_loss FROM per)
GROUP BY GROUPING SETS ({sets})""",
            params,
        )
        total_row = next((r for r in got if r[0]), None)
        if total_row is not None:
            totals = dict(zip([n for n, _ in TOTAL_COLS], total_row[3 : 3 + len(TOTAL_COLS)], strict=True))
        tp = float(totals["profit"]) if totals else 0.0
        keep = [i for i, c in enumerate(cols) if c not in ("is_total", "is_loss", "lines_without_cost")]
        rows = [
            [r[i] for i in keep] + [r[cols.index("profit")] / tp if tp else None]
            for r in got
            if not r[0] and (not args.loss_only or r[2])
        ]
        cols = [cols[i] for i in keep] + ["profit_share"]
        rows.sort(key=lambda r: (-r[cols.index("profit")], r[0]))
        chart = Chart(
            kind="bar",
            x=dim,
            y=["gross_profit", "service_cost", "profit"],
            title_zh=f"按{DIMENSIONS[dim]['zh']}的利润构成",
            title_en=f"Profit by {DIMENSIONS[dim]['en']}",
        )
    if totals is None:  # nothing to carry the totals (no rows): ask for them alone
        aggs = ", ".join(f"coalesce(sum({e}), 0) AS {n}" for n, e in TOTAL_COLS)
        tcols, trows = tr.query(f"{head}\nSELECT {aggs} FROM per", params)
        totals = dict(zip(tcols, trows[0], strict=True))
    customers, loss_making, revenue = totals["customers"], totals["loss_making"], totals["revenue"]
    cogs, gross, ticket_cost = totals["cogs"], totals["gross_profit"], totals["ticket_cost"]
    contact_cost, service, profit = totals["contact_cost"], totals["service_cost"], totals["profit"]
    loss_total, no_cost = totals["loss_total"], totals["lines_without_cost"]

    figures: dict[str, Any] = {
        "customers": customers,
        "revenue": revenue,
        "cogs": cogs,
        "gross_profit": gross,
        "gross_margin": _ratio(gross, revenue),
        "ticket_cost": ticket_cost,
        "contact_cost": contact_cost,
        "service_cost": service,
        "profit": profit,
        "profit_margin": _ratio(profit, revenue),
        "loss_making_customers": loss_making,
        "loss_making_share": _ratio(loss_making, customers),
        "loss_total": loss_total,
        "lines_without_cost": no_cost,
    }
    definitions = [
        Definition(
            name="revenue",
            zh="销售额:期间内 completed 订单明细金额之和",
            en="Revenue: sum of order line amounts of completed orders in the window",
            value="sum(order_items.amount) where orders.status = 'completed'",
        ),
        Definition(
            name="cogs",
            zh="商品成本:数量 × 产品单位成本(缺失成本按 0 计)",
            en="Cost of goods: quantity × products.unit_cost (a missing unit cost counts as 0)",
            value="sum(quantity * unit_cost)",
        ),
        *[Definition(name=f"{k}_cost", zh=COSTS[k]["zh"], en=COSTS[k]["en"], value=v) for k, v in costs.items()],
        Definition(
            name="profit",
            zh="利润 = 销售额 − 商品成本 − 服务成本(工单与接触)",
            en="Profit = revenue − cost of goods − service cost (tickets and contacts)",
            value="revenue - cogs - (complaints*complaint_cost + inquiries*inquiry_cost + "
            "suggestions*suggestion_cost + contacts*contact_cost)",
        ),
        Definition(name="loss_making", zh=CLASSES["loss"]["zh"], en=CLASSES["loss"]["en"], value="profit < 0"),
        Definition(
            name="customers",
            zh="计入的客户:筛选范围内、期间内有 completed 订单、工单或接触之一的客户",
            en="Customers counted: in the filters, with a completed order line, a ticket or a contact in the window",
        ),
    ]
    notes: list[str] = []
    if args.category or args.channel:
        notes.append(
            "类别/渠道筛选只作用于订单明细(销售额与商品成本);工单与接触无法归属到类别或销售渠道,服务成本为客户的全部服务成本。"
            " / Category and channel filters narrow the order lines only; the service cost is the customer's whole cost to serve."
        )
    if no_cost:
        notes.append(
            f"{no_cost} 条订单明细的产品缺少单位成本,按 0 计入商品成本。 / {no_cost} order lines have no unit cost; counted as 0."
        )
    return ToolResult(
        as_of=scope.as_of,
        figures=figures,
        columns=cols,
        rows=rows,
        definitions=definitions,
        sql=tr.sql,
        chart=chart,
        notes=notes,
    )
