"""Boston matrix (BCG growth-share) of products or categories.

Methodology: product analysis within "what customers buy" (the six aspects of
customer analysis: who they are, what they buy, how they buy, how satisfied they
are, what they care about, how much they are worth). Each item (category or
product) is placed by two measures over completed revenue:

- growth = (revenue this period − revenue in the previous period of equal length)
  / revenue in the previous period; high growth when growth ≥ 10 %. An item with
  no revenue in the previous period but some now is new and counts as high growth.
- relative share = item revenue this period / mean item revenue of the compared set
  (every item with completed revenue in either period); high share when ≥ 1.0.

明星 Star = high growth, high share; 金牛 Cash cow = low growth, high share;
问题 Question mark = high growth, low share; 瘦狗 Dog = low growth, low share.
Thresholds live in ``tools/tables/boston_matrix.yaml``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, field_validator

from assistant.core.errors import InputError
from tools.base import Chart, CommonFilters, Con, Definition, ToolResult, Trace, register, resolve_scope
from tools.tables import load

TABLE = load("boston_matrix")
TH = TABLE["thresholds"]
CLASSES = TABLE["classes"]
LEVELS = ("category", "product")


class BostonArgs(CommonFilters):
    """波士顿矩阵参数 / Boston matrix parameters."""

    level: Literal["category", "product"] = Field(
        "category", description="分析对象:category 产品类别 或 product 单个产品 / what to place: category or product"
    )
    growth_threshold: float | None = Field(
        None,
        description=f"高增长阈值,默认 {TH['growth_high']['value']}(即 10%) / high-growth threshold, default {TH['growth_high']['value']}",
    )
    share_threshold: float | None = Field(
        None,
        description=f"高相对份额阈值,默认 {TH['share_high']['value']} / high relative-share threshold, default {TH['share_high']['value']}",
    )
    period_days: int | None = Field(
        None,
        description=f"未给开始日期时本期天数,默认 {TH['default_period_days']['value']} / days in this period when no start date is given, default {TH['default_period_days']['value']}",
    )

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, v: object) -> object:
        if v not in LEVELS:
            raise InputError(
                f"level 只能是 {' 或 '.join(LEVELS)},收到 {v!r}。",
                f"level must be one of {', '.join(LEVELS)}; got {v!r}.",
            )
        return v


def _periods(start: dt.date | None, end: dt.date, period_days: int) -> tuple[dt.date, dt.date, dt.date]:
    """(previous start, this start, this end): two back-to-back periods of equal length."""
    cur_start = start or end - dt.timedelta(days=period_days - 1)
    length = (end - cur_start).days + 1
    return cur_start - dt.timedelta(days=length), cur_start, end


@register(
    "boston_matrix",
    "波士顿矩阵:按增长率与相对份额把产品或类别分为明星、金牛、问题、瘦狗",
    "Boston matrix: products or categories by growth and relative share into Star, Cash cow, Question mark, Dog",
    BostonArgs,
    examples=("哪些产品类别是明星产品?", "Which categories are cash cows?"),
)
def boston_matrix(con: Con, args: BostonArgs) -> ToolResult:
    g = TH["growth_high"]["value"] if args.growth_threshold is None else args.growth_threshold
    s = TH["share_high"]["value"] if args.share_threshold is None else args.share_threshold
    days = TH["default_period_days"]["value"] if args.period_days is None else args.period_days
    if g <= -1:
        raise InputError(
            f"增长率阈值 {g} 无意义(增长率不会低于 -1),请给出大于 -1 的值,如 0.1。",
            f"growth_threshold {g} is meaningless (growth cannot be below -1); give a value above -1, e.g. 0.1.",
        )
    if s <= 0:
        raise InputError(
            f"相对份额阈值必须大于 0,收到 {s};常用 1.0。",
            f"share_threshold must be greater than 0, got {s}; 1.0 is usual.",
        )
    if days < 1:
        raise InputError(f"period_days 必须至少为 1,收到 {days}。", f"period_days must be at least 1, got {days}.")
    base = resolve_scope(con, args)
    prev_start, cur_start, cur_end = _periods(args.start, base.end, days)
    scope = resolve_scope(con, args.model_copy(update={"start": prev_start, "end": cur_end}))
    params: dict[str, Any] = {**scope.params, "cur_start": cur_start, "g": g, "s": s}
    if args.level == "category":
        key, extra_cols, extra_join = "coalesce(l.category, '(未知)')", "", ""
    else:
        key = "l.product_id"
        extra_cols = ", p.name AS product_name, p.category"
        extra_join = "LEFT JOIN products p ON p.product_id = i.item"
    sql = f"""
WITH {scope.ctes()},
items AS (
    SELECT {key} AS item,
           coalesce(sum(l.amount) FILTER (WHERE l.order_date >= $cur_start), 0)::DOUBLE AS revenue,
           coalesce(sum(l.amount) FILTER (WHERE l.order_date < $cur_start), 0)::DOUBLE AS prev_revenue
    FROM f_lines l
    WHERE l.status = 'completed'
    GROUP BY 1
),
m AS (
    SELECT i.*, avg(i.revenue) OVER () AS mean_revenue FROM items i
),
k AS (
    SELECT m.*,
           CASE WHEN prev_revenue > 0 THEN (revenue - prev_revenue) / prev_revenue END AS growth,
           CASE WHEN mean_revenue > 0 THEN revenue / mean_revenue ELSE 0 END AS relative_share
    FROM m
)
SELECT i.item{extra_cols}, i.revenue, i.prev_revenue, i.growth, i.relative_share,
       (i.growth >= $g OR (i.prev_revenue = 0 AND i.revenue > 0)) AS high_growth,
       i.relative_share >= $s AS high_share
FROM k i {extra_join}
ORDER BY i.revenue DESC, i.item
"""
    tr = Trace(con)
    cols, rows = tr.query(sql, params)
    out_rows: list[list[Any]] = []
    counts: dict[str, int] = {c: 0 for c in CLASSES}
    rev_by_class: dict[str, float] = {c: 0.0 for c in CLASSES}
    for r in rows:
        rec = dict(zip(cols, r, strict=True))
        hg, hs = bool(rec.pop("high_growth")), bool(rec.pop("high_share"))
        cls = {(True, True): "star", (False, True): "cash_cow", (True, False): "question", (False, False): "dog"}[
            (hg, hs)
        ]
        counts[cls] += 1
        rev_by_class[cls] += rec["revenue"]
        out_rows.append([*rec.values(), CLASSES[cls]["zh"], CLASSES[cls]["en"]])
    out_cols = [c for c in cols if c not in ("high_growth", "high_share")] + ["class_zh", "class_en"]
    total = sum(rev_by_class.values())
    prev_total = sum(r[cols.index("prev_revenue")] for r in rows)
    figures: dict[str, Any] = {
        "items": len(rows),
        "revenue": total,
        "prev_revenue": prev_total,
        "growth": (total - prev_total) / prev_total if prev_total else None,
        "period_start": cur_start,
        "period_end": cur_end,
        "prev_period_start": prev_start,
        "prev_period_end": cur_start - dt.timedelta(days=1),
    }
    for c in CLASSES:
        figures[f"{c}_count"] = counts[c]
        figures[f"{c}_revenue_share"] = rev_by_class[c] / total if total else None
    definitions = [
        Definition(
            name="growth",
            zh="增长率 = (本期销售额 − 上期销售额) / 上期销售额;上期与本期等长且紧邻;上期为 0 而本期有销售额的新品视为高增长",
            en="growth = (revenue this period − revenue previous period) / revenue previous period; the previous period has the same length and ends the day before; an item with no previous revenue but revenue now is new and counts as high growth",
            value={"this": [cur_start, cur_end], "previous": [prev_start, cur_start - dt.timedelta(days=1)]},
        ),
        Definition(
            name="relative_share",
            zh="相对份额 = 本期该对象销售额 / 比较集合(任一期有销售额的对象)的平均销售额",
            en="relative share = item revenue this period / mean revenue of the compared set (items with revenue in either period)",
        ),
        Definition(name="growth_threshold", zh=TH["growth_high"]["zh"], en=TH["growth_high"]["en"], value=g),
        Definition(name="share_threshold", zh=TH["share_high"]["zh"], en=TH["share_high"]["en"], value=s),
        Definition(
            name="revenue",
            zh="销售额:状态为 completed 的订单明细金额之和",
            en="Revenue: sum of order_items.amount over orders with status 'completed'",
        ),
    ]
    for c, info in CLASSES.items():
        definitions.append(
            Definition(
                name=f"class_{c}",
                zh=f"{info['zh']}:{'高' if info['growth'] == 'high' else '低'}增长、{'高' if info['share'] == 'high' else '低'}份额;{info['treatment_zh']}",
                en=f"{info['en']}: {info['growth']} growth, {info['share']} share; {info['treatment_en']}",
                value={"growth": info["growth"], "share": info["share"]},
            )
        )
    notes = []
    if not rows:
        notes.append("本期与上期均无已完成订单 / no completed orders in either period")
    return ToolResult(
        as_of=base.as_of,
        figures=figures,
        columns=out_cols,
        rows=out_rows,
        definitions=definitions,
        sql=tr.sql,
        chart=Chart(
            kind="scatter",
            x="relative_share",
            y="growth",
            color="class_zh",
            title_zh="波士顿矩阵",
            title_en="Boston matrix",
        ),
        notes=notes,
    )
