"""The tool cases the parity suite runs on every engine: each tool, each view, the main argument shapes.

Dates are fixed so the cases mean the same on any sample; ``CUSTOMER`` is filled in from the warehouse.
"""

from __future__ import annotations

from typing import Any

PERIOD = {"start": "2025-01-01", "end": "2025-12-31"}
CUSTOMER = "{customer}"  # replaced by a customer id with orders

CASES: list[tuple[str, dict[str, Any]]] = [
    ("attention", {}),
    ("attention", {"view": "by", "dimension": "kind"}),
    ("attention", {"view": "by", "dimension": "month"}),
    ("attention", {"view": "backlog"}),
    ("attention", {"view": "contacts"}),
    ("attention", {"view": "contacts", "by": "customer", "limit": 20}),
    ("boston_matrix", {}),
    ("boston_matrix", {"level": "product"}),
    ("change_drivers", {**PERIOD}),
    ("change_drivers", {**PERIOD, "by": "customer", "compare": "same_period_last_year", "limit": 20}),
    ("change_drivers", {**PERIOD, "metric": "customers", "by": "region"}),
    ("change_drivers", {**PERIOD, "metric": "gross_profit", "by": "category"}),
    ("churn_retention", {}),
    ("churn_retention", {"by": "customer", "limit": 30}),
    ("churn_retention", {"dimension": "region"}),
    ("churn_retention", {"view": "cohort"}),
    ("churn_retention", {"view": "at_risk"}),
    ("clv", {}),
    ("clv", {"by": "customer", "limit": 30}),
    ("clv", {"by": "region", "predictive": False}),
    ("clv", {"fit_sample": 100}),
    ("credit", {}),
    ("credit", {"by": "customer", "limit": 30}),
    ("cross_sell", {}),
    ("cross_sell", {"view": "customer", "customer_id": CUSTOMER}),
    ("cross_sell", {"view": "upsell", "customer_id": CUSTOMER}),
    ("customer_profile", {"customer_ids": [CUSTOMER]}),
    ("customer_types", {}),
    ("customer_types", {"by": "customer", "limit": 30}),
    ("customer_types", {"by": "customer", "top_per_type": 3}),
    ("loyalty", {}),
    ("loyalty", {"group": "region"}),
    ("loyalty", {"by": "customer", "limit": 30}),
    ("metric_query", {"metrics": ["revenue"], "by": ["region"], **PERIOD}),
    ("metric_query", {"metrics": ["revenue", "gross_profit", "orders"], "by": ["month"], **PERIOD}),
    ("metric_query", {"metrics": ["revenue"], "by": ["customer"], "top": 10, **PERIOD}),
    ("metric_query", {"metrics": ["revenue"], "by": ["category"], "compare": "previous_period", **PERIOD}),
    ("metric_query", {"metrics": ["revenue"], "by": ["region"], "share": True, **PERIOD}),
    ("metric_query", {"metrics": ["new_customers"], "by": ["quarter"], **PERIOD}),
    ("metric_query", {"metrics": ["nps", "complaints"], "by": ["region"], **PERIOD}),
    ("metric_query", {"metrics": ["days_since_last_order"], "by": ["customer"], "top": 10}),
    ("product_distribution", {}),
    ("product_distribution", {"dimension": "month", "counts": True}),
    ("profitability", {}),
    ("profitability", {"by": "customer", "limit": 30}),
    ("profitability", {"by": "customer", "loss_only": True}),
    ("rfm", {}),
    ("rfm", {"by": "customer", "limit": 30}),
    ("rfm", {"scheme": "rf11", "threshold": "median"}),
    ("rfm", {"by": "customer", "customer_ids": [CUSTOMER]}),
    ("satisfaction", {}),
    ("satisfaction", {"view": "by", "dimension": "industry"}),
    ("satisfaction", {"view": "trend"}),
    ("satisfaction", {"view": "extremes", "by": "customer", "limit": 20}),
    ("tiers", {}),
    ("tiers", {"view": "abc"}),
    ("tiers", {"view": "pareto"}),
    ("tiers", {"by": "customer", "limit": 30}),
    ("sql_query", {"sql": "SELECT region, count(*) AS customers FROM customers GROUP BY region ORDER BY region"}),
    (
        "metric_query",
        {"metrics": ["revenue"], "by": ["region"], "region": ["华东"], "category": ["办公设备"], **PERIOD},
    ),
    ("rfm", {"region": ["华东", "华北"], "channel": ["线上"], **PERIOD}),
]


def fill(args: dict[str, Any], customer: str) -> dict[str, Any]:
    """``args`` with the placeholder customer replaced."""

    def one(v: Any) -> Any:
        if v == CUSTOMER:
            return customer
        if isinstance(v, list):
            return [one(x) for x in v]
        return v

    return {k: one(v) for k, v in args.items()}
