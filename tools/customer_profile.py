"""customer_profile: everything about one or a few customers on one page.

The customer lookup behind "C000123 的情况" / "tell me about 华信科技": master data, the assigned
rep, purchase history (first and last order, orders, revenue, gross profit, returns), service
(complaints, open tickets, mean NPS), receivables (unpaid and overdue amounts, credit limit), and
the customer's class in the methodology's schemes (RFM 8 classes, the four customer types), each
taken from its own tool so the definitions are the same everywhere.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from assistant.core.errors import InputError
from tools.base import CommonFilters, Con, Definition, ToolResult, Trace, register, resolve_scope

MAX_CUSTOMERS = 50


class CustomerProfileArgs(CommonFilters):
    """客户档案 / customer profile. customer_ids 必填 / customer_ids is required."""

    @model_validator(mode="after")
    def _needs_customers(self) -> CustomerProfileArgs:
        if not self.customer_ids:
            raise ValueError("customer_ids is required: name one or more customers (客户编号)")
        if len(self.customer_ids) > MAX_CUSTOMERS:
            raise ValueError(f"at most {MAX_CUSTOMERS} customers at a time")
        return self

    include_classes: bool = Field(True, description="附上 RFM 分类与客户类型 / add the RFM class and customer type")


PROFILE_SQL = """
WITH {ctes},
lines AS (SELECT * FROM f_lines),
orders_agg AS (
    SELECT customer_id,
           min(order_date) FILTER (WHERE status = 'completed') AS first_order,
           max(order_date) FILTER (WHERE status = 'completed') AS last_order,
           count(DISTINCT order_id) FILTER (WHERE status = 'completed') AS orders,
           coalesce(sum(amount) FILTER (WHERE status = 'completed'), 0) AS revenue,
           coalesce(sum(amount) FILTER (WHERE status = 'completed' AND order_date > $as_of - 365), 0) AS revenue_last_365d,
           coalesce(sum(amount - quantity * unit_cost) FILTER (WHERE status = 'completed'), 0) AS gross_profit,
           count(DISTINCT order_id) FILTER (WHERE status = 'returned') AS returned_orders
    FROM lines GROUP BY customer_id
),
tickets_agg AS (
    SELECT customer_id,
           count(*) FILTER (WHERE kind = 'complaint') AS complaints,
           count(*) FILTER (WHERE resolved_at IS NULL OR CAST(resolved_at AS DATE) > $as_of) AS open_tickets
    FROM tickets WHERE CAST(created_at AS DATE) <= $as_of AND customer_id IN (SELECT customer_id FROM f_customers)
    GROUP BY customer_id
),
surveys_agg AS (
    SELECT customer_id, round(avg(nps), 2) AS avg_nps, count(nps) AS nps_responses
    FROM surveys WHERE survey_date <= $as_of AND customer_id IN (SELECT customer_id FROM f_customers)
    GROUP BY customer_id
),
ar AS (
    SELECT customer_id,
           coalesce(sum(amount) FILTER (WHERE paid_date IS NULL OR paid_date > $as_of), 0) AS unpaid_amount,
           coalesce(sum(amount) FILTER (WHERE (paid_date IS NULL OR paid_date > $as_of) AND due_date < $as_of), 0) AS overdue_amount
    FROM invoices WHERE issue_date <= $as_of AND customer_id IN (SELECT customer_id FROM f_customers)
    GROUP BY customer_id
)
SELECT c.customer_id, c.name AS customer_name, c.region, c.city, c.industry, c.size, c.acquisition_channel,
       c.signup_date, c.rep_id, r.name AS rep_name,
       o.first_order, o.last_order, date_diff('day', o.last_order, $as_of) AS days_since_last_order,
       coalesce(o.orders, 0) AS orders, coalesce(o.revenue, 0) AS revenue,
       coalesce(o.revenue_last_365d, 0) AS revenue_last_365d, coalesce(o.gross_profit, 0) AS gross_profit,
       coalesce(o.returned_orders, 0) AS returned_orders,
       coalesce(t.complaints, 0) AS complaints, coalesce(t.open_tickets, 0) AS open_tickets,
       s.avg_nps, coalesce(s.nps_responses, 0) AS nps_responses,
       coalesce(a.unpaid_amount, 0) AS unpaid_amount, coalesce(a.overdue_amount, 0) AS overdue_amount, c.credit_limit
FROM f_customers c
LEFT JOIN sales_reps r ON r.rep_id = c.rep_id
LEFT JOIN orders_agg o ON o.customer_id = c.customer_id
LEFT JOIN tickets_agg t ON t.customer_id = c.customer_id
LEFT JOIN surveys_agg s ON s.customer_id = c.customer_id
LEFT JOIN ar a ON a.customer_id = c.customer_id
ORDER BY c.customer_id
"""


@register(
    "customer_profile",
    "客户档案:某个或某几个客户的基本信息、负责销售、购买记录、服务与回款情况,以及 RFM 分类和客户类型",
    "Customer profile: master data, rep, purchase history, service and receivables of one or a few customers, "
    "with their RFM class and customer type",
    CustomerProfileArgs,
    examples=("客户C000123的详情", "tell me about customer C000042"),
)
def customer_profile(con: Con, args: CustomerProfileArgs) -> ToolResult:
    """Profile of the named customers; classes come from the rfm and customer_types tools."""
    scope = resolve_scope(con, args)
    trace = Trace(con)
    cols, rows = trace.query(PROFILE_SQL.format(ctes=scope.ctes()), {**scope.params, "as_of": scope.as_of})
    found = {r[0] for r in rows}
    missing = [c for c in args.customer_ids or [] if c not in found]
    if not rows:
        raise InputError(
            f"找不到客户 {', '.join(missing)}(或不在当前筛选范围内)。请检查客户编号。",
            f"No customer {', '.join(missing)} (or not within the current filters). Check the customer id.",
        )
    notes: list[str] = []
    if missing:
        notes.append(f"not found: {', '.join(missing)}")
    if args.include_classes:
        from tools.base import REGISTRY

        extra: dict[str, dict[str, Any]] = {}
        common = args.model_dump(exclude={"include_classes"})
        # (tool, output column, candidate source columns: Chinese name first, then English)
        wanted = (
            ("rfm", "rfm_class", ("class_zh", "class")),
            ("rfm", "rfm_class_en", ("class_en",)),
            ("customer_types", "customer_type", ("type_zh", "customer_type", "type")),
            ("customer_types", "customer_type_en", ("type_en",)),
        )
        results: dict[str, ToolResult] = {}
        for tool in dict.fromkeys(w[0] for w in wanted):
            spec = REGISTRY.get(tool)
            if spec is not None:
                results[tool] = spec.run(con, {**common, "by": "customer"})
                trace.sql.extend(results[tool].sql)
        for tool, label, sources in wanted:
            res = results.get(tool)
            src = next((c for c in sources if res and c in res.columns), None)
            if res is None or src is None:
                continue
            for rec in res.records():
                extra.setdefault(str(rec["customer_id"]), {})[label] = rec[src]
            cols.append(label)
            for r in rows:
                r.append(extra.get(str(r[0]), {}).get(label))
    figures: dict[str, Any] = {"customers": len(rows), "as_of": scope.as_of}
    if len(rows) == 1:
        figures.update({k: v for k, v in zip(cols, rows[0], strict=True) if k not in ("customer_id",)})
    return ToolResult(
        as_of=scope.as_of,
        figures=figures,
        columns=cols,
        rows=rows,
        definitions=[
            Definition(
                name="revenue",
                zh="销售额:已完成订单的明细金额之和",
                en="revenue: sum of order_items.amount over completed orders",
            ),
            Definition(name="open_tickets", zh="参考日仍未解决的工单", en="tickets not resolved by the reference date"),
            Definition(
                name="overdue_amount",
                zh="参考日已过到期日仍未付款的发票金额",
                en="invoices past due and unpaid at the reference date",
            ),
        ],
        sql=trace.sql,
        notes=notes,
    )
