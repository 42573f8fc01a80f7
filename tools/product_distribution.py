"""Product distribution: sales of each category by region, city, channel, month or quarter.

Methodology: "what customers buy" (one of the six aspects of customer analysis:
产品分布 — which categories sell where and when). For every (category, column)
cell, over completed orders in the period (all history up to as_of unless a
period is given): revenue, quantity (with ``counts``: distinct orders and customers),
and three shares of revenue: of the category's total (where a category sells),
of the column's total (the category mix of a region or month) and of the grand
total. The columns come from ``tools/tables/product_distribution.yaml``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from assistant.core.errors import InputError
from tools.base import Chart, CommonFilters, Con, Definition, ToolResult, Trace, register, resolve_scope
from tools.tables import load

COLUMNS: dict[str, dict[str, str]] = load("product_distribution")["columns"]


class DistributionArgs(CommonFilters):
    """产品分布参数 / product distribution parameters."""

    dimension: Literal["region", "city", "channel", "month", "quarter"] = Field(
        "region",
        description="与类别交叉的维度:region 大区、city 城市、channel 渠道、month 月、quarter 季度 / what to cross categories with",
    )

    counts: bool = Field(
        False,
        description="是否同时统计不同订单数与客户数(数据量大时较慢) / also count distinct orders and customers (slower on large data)",
    )

    @field_validator("dimension", mode="before")
    @classmethod
    def _dim(cls, v: object) -> object:
        if v not in COLUMNS:
            raise InputError(
                f"dimension 只能是 {'、'.join(COLUMNS)} 之一,收到 {v!r}。",
                f"dimension must be one of {', '.join(COLUMNS)}; got {v!r}.",
            )
        return v


@register(
    "product_distribution",
    "产品分布:各产品类别在各大区、城市、渠道的销售,以及按月或按季度的销售",
    "Product distribution: sales of each category by region, city, channel, month or quarter",
    DistributionArgs,
    examples=("各类产品在各大区的销售分布", "Category sales by quarter"),
)
def product_distribution(con: Con, args: DistributionArgs) -> ToolResult:
    scope = resolve_scope(con, args)
    dim = args.dimension
    # Distinct counts cost more than everything else at 10M lines: only on request.
    counts = (
        ",\n           count(DISTINCT l.order_id) AS orders,\n           count(DISTINCT l.customer_id) AS customers"
        if args.counts
        else ""
    )
    counts_out = ", orders, customers" if args.counts else ""
    expr = COLUMNS[dim]["sql"]  # from our own table, never user text
    # Customer columns need the customers join; line columns do not (an order's customer is always a known
    # customer: the importer checks that key, and f_lines already keeps customer filters).
    customer_join = "JOIN f_customers c ON c.customer_id = l.customer_id" if "c." in expr else ""
    if args.counts:
        x_cte = f"""x AS (
    SELECT coalesce(l.category, '(未知)') AS category,
           coalesce(CAST({expr} AS VARCHAR), '(无)') AS col,
           sum(l.amount)::DOUBLE AS revenue,
           sum(l.quantity) AS quantity{counts}
    FROM f_lines l {customer_join}
    WHERE l.status = 'completed'
    GROUP BY ALL
)"""
        ctes = scope.ctes()
    else:
        # Two stages: sum the lines per product and raw column value (a date, a region), then name the
        # category and format the column on those few thousand rows rather than on ten million lines.
        sources = sorted(set(re.findall(r"\b([lc])\.(\w+)\b", expr)))
        raw_cols = ", ".join(f"{a}.{c} AS {a}_{c}" for a, c in sources)
        staged = re.sub(r"\b([lc])\.(\w+)\b", r"g.\1_\2", expr)
        x_cte = f"""g AS (
    SELECT l.product_id, {raw_cols}, sum(l.amount) AS revenue, sum(l.quantity) AS quantity
    FROM f_lines l {customer_join}
    WHERE l.status = 'completed'
    GROUP BY ALL
),
x AS (
    SELECT coalesce(p.category, '(未知)') AS category,
           coalesce(CAST({staged} AS VARCHAR), '(无)') AS col,
           sum(g.revenue)::DOUBLE AS revenue,
           sum(g.quantity) AS quantity
    FROM g LEFT JOIN products p ON p.product_id = g.product_id
    GROUP BY ALL
)"""
        ctes = scope.ctes(products=False)
    sql = f"""
WITH {ctes},
{x_cte}
SELECT category, col, revenue, quantity{counts_out},
       revenue / nullif(sum(revenue) OVER (PARTITION BY category), 0) AS share_of_category,
       revenue / nullif(sum(revenue) OVER (PARTITION BY col), 0) AS share_of_column,
       revenue / nullif(sum(revenue) OVER (), 0) AS share_of_total
FROM x
ORDER BY category, col"""
    tr = Trace(con)
    cols, rows = tr.query(sql, scope.params)
    cat_rev: dict[str, float] = {}
    col_rev: dict[str, float] = {}
    for r in rows:
        cat_rev[r[0]] = cat_rev.get(r[0], 0.0) + r[2]
        col_rev[r[1]] = col_rev.get(r[1], 0.0) + r[2]
    total = sum(cat_rev.values())
    figures: dict[str, Any] = {
        "revenue": total,
        "categories": len(cat_rev),
        dim + "s": len(col_rev),
        "top_category": max(cat_rev, key=lambda k: (cat_rev[k], k)) if cat_rev else None,
        f"top_{dim}": max(col_rev, key=lambda k: (col_rev[k], k)) if col_rev else None,
    }
    if rows:
        top = max(rows, key=lambda r: (r[2], r[0], r[1]))
        figures["top_cell"] = {"category": top[0], dim: top[1], "revenue": top[2]}
    label = COLUMNS[dim]
    return ToolResult(
        as_of=scope.as_of,
        figures=figures,
        columns=["category", dim, *cols[2:]],
        rows=rows,
        definitions=[
            Definition(
                name="revenue",
                zh="销售额:状态为 completed 的订单明细金额之和",
                en="Revenue: sum of order_items.amount over orders with status 'completed'",
            ),
            Definition(
                name="shares",
                zh=f"share_of_category = 单元销售额 / 该类别总销售额;share_of_column = 单元销售额 / 该{label['zh']}总销售额;share_of_total = 单元销售额 / 总销售额",
                en=f"share_of_category = cell revenue / the category's revenue; share_of_column = cell revenue / the {label['en']}'s revenue; share_of_total = cell revenue / all revenue",
            ),
            Definition(name="dimension", zh=f"类别 × {label['zh']}", en=f"category × {label['en']}", value=dim),
        ],
        sql=tr.sql,
        chart=Chart(
            kind="line" if dim in ("month", "quarter") else "heatmap",
            x=dim,
            y="revenue" if dim in ("month", "quarter") else "category",
            color="category" if dim in ("month", "quarter") else "revenue",
            title_zh=f"各类别按{label['zh']}的销售分布",
            title_en=f"Category sales by {label['en']}",
        ),
        notes=[] if rows else ["期间内没有已完成订单 / no completed orders in the period"],
    )
