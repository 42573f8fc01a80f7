"""change_drivers: what made a metric change between two periods, in contributions that add up to the change.

A metric (revenue, orders, active customers, gross profit; completed orders only, as everywhere) is measured in a
current period and a base period; its change ``current − base`` is split one way, chosen by ``by``:

- ``customer_group`` (default): each customer in scope falls in one group, by their completed orders and value in
  the two periods: **new** (no completed order in the base period, some in the current one), **lost** (some in the
  base, none in the current), **grew** / **shrank** / **unchanged** (orders in both, the metric's value for the
  customer higher / lower / equal). A group's contribution is Σ (current − base) over its customers.
- ``customer``: the same per customer (the largest listed, the rest summed in one row).
- ``product``, ``category``: Σ (current − base) over the lines of each product or category (revenue and gross
  profit only: an order or a customer can span several products, so their counts do not split by product).
- ``region``, ``rep``: by the customer's region or assigned rep (``customers.rep_id``, as in the metric layer).
- ``price_volume_mix`` (revenue only), over products i with completed quantities Q0ᵢ, Q1ᵢ and revenue R0ᵢ, R1ᵢ;
  P0ᵢ = R0ᵢ / Q0ᵢ is the realised average unit price (after discount); Q0 = Σ Q0ᵢ, Q1 = Σ Q1ᵢ, P̄0 = R0 / Q0::

      volume = (Q1 − Q0) × P̄0                      all units at the base average price
      mix    = Σᵢ Q1ᵢ × P0ᵢ − Q1 × P̄0              the current units' product mix, at base prices
      price  = Σᵢ Q1ᵢ × (P1ᵢ − P0ᵢ) = R1 − Σᵢ Q1ᵢ × P0ᵢ

  so volume + mix + price = R1 − Q0 × P̄0 = R1 − R0 exactly. A product not sold in the base period is valued at
  its current price (P0ᵢ := P1ᵢ: no price effect; its revenue shows in volume and mix); one not sold in the
  current period has Q1ᵢ = 0 (no price effect; its loss shows in volume and mix). The three are computed as exact
  fractions and rounded to the cent by largest remainder, so the rounded parts still add up to the change.

Contributions always add up exactly to the total change: money as exact DECIMAL sums, counts as integers.

Periods (``assistant.core.periods``, the one rule the metric layer and the router use too): the current period is
``start``..``end`` (``end`` defaults to the reference date ``as_of``; without ``start``, the calendar unit
``period_grain`` (default quarter) containing ``end``, to date). The base period:

- ``compare = same_period_last_year``: the same dates a year earlier;
- otherwise, for a calendar month, quarter, half or year (``period_grain``, or else the smallest unit that starts at
  ``start`` and holds ``end``): the previous unit; for one still running (this quarter to date), the same days of
  the previous unit, so both are equally long;
- any other span: the span of equal length just before it.

The result's definitions say which periods were compared and how the base was chosen.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from pydantic import Field

from assistant.core.errors import InputError
from assistant.core.periods import UNIT_MONTHS, calendar_unit, last_year_span, previous_span, unit_end
from tools.base import (
    Chart,
    CommonFilters,
    Con,
    Definition,
    ToolResult,
    Trace,
    last_order_date,
    one_of,
    register,
    resolve_scope,
)
from tools.tables import load

TABLE = load("drivers")
TH: dict[str, dict[str, Any]] = TABLE["thresholds"]
METRICS: dict[str, dict[str, str]] = TABLE["metrics"]
GROUPS: dict[str, dict[str, str]] = TABLE["groups"]
EFFECTS: dict[str, dict[str, str]] = TABLE["effects"]
BY: dict[str, dict[str, str]] = TABLE["by"]
GRAINS: dict[str, dict[str, str]] = TABLE["grains"]
# Metrics that split by product/category: an order or a customer can hold several products.
LINE_ADDITIVE = ("revenue", "gross_profit")

Number = Decimal | int


class DriversArgs(CommonFilters):
    """变化归因参数 / change-drivers parameters."""

    metric: Literal["revenue", "orders", "customers", "gross_profit"] = Field(
        "revenue",
        description="要解释变化的指标:revenue 销售额、orders 订单数、customers 活跃客户数(期间内有已完成订单)、"
        "gross_profit 毛利 / metric whose change is explained: revenue, orders, customers (active: a completed "
        "order in the period), gross_profit",
    )
    by: Literal["customer_group", "customer", "product", "category", "region", "rep", "price_volume_mix"] = Field(
        "customer_group",
        description="拆分方式:customer_group 新增/流失/增长/下滑客户,customer 逐个客户,product 产品,category 产品类别,"
        "region 大区,rep 负责销售,price_volume_mix 价格/销量/结构(仅销售额)/ how to split the change: "
        "customer_group (new, lost, grew, shrank), customer, product, category, region, rep, "
        "price_volume_mix (revenue only)",
    )
    compare: Literal["previous_period", "same_period_last_year"] = Field(
        "previous_period",
        description="基期:previous_period 上一个同类日历期间(至今则取相同日期),same_period_last_year 去年同期 / "
        "base period: previous_period, the previous calendar unit (the same days of it for a period to date), "
        "or same_period_last_year",
    )
    period_grain: Literal["month", "quarter", "half", "year"] | None = Field(
        None,
        description="期间的日历单位:未给 start 时本期为参考日期所在的该单位至今(默认 "
        f"{TH['period_grain']['value']}),基期为上一个该单位(至今则取相同日期);给了 start 时不填则按日期判断 / "
        "the period's calendar unit: without start, the current period is this unit containing the reference date, "
        f"to date (default {TH['period_grain']['value']}), and the base is the previous unit (its same days for one "
        "to date); with start, read from the dates when not given",
    )
    limit: int = Field(
        TH["limit"]["value"],
        ge=1,
        le=100_000,
        description=f"表中最多列出的拆分项数,其余合并为一行(默认 {TH['limit']['value']})/ most contributions "
        f"listed, the rest summed in one row (default {TH['limit']['value']})",
    )

    _m = one_of("metric", tuple(METRICS))
    _b = one_of("by", tuple(BY))
    _c = one_of("compare", ("previous_period", "same_period_last_year"))
    _g = one_of("period_grain", tuple(UNIT_MONTHS))


# ---------------------------------------------------------------------------------------------------------
# Periods.


@dataclass(frozen=True)
class Periods:
    current: tuple[dt.date, dt.date]
    base: tuple[dt.date, dt.date]
    rule_zh: str
    rule_en: str


def unit_start(d: dt.date, grain: str) -> dt.date:
    """The first day of the calendar unit (month, quarter, half, year) holding ``d``.

    >>> unit_start(dt.date(2026, 10, 30), "quarter"), unit_start(dt.date(2026, 10, 30), "half")
    (datetime.date(2026, 10, 1), datetime.date(2026, 7, 1))
    """
    months = UNIT_MONTHS[grain]
    return dt.date(d.year, (d.month - 1) // months * months + 1, 1)


def periods(args: DriversArgs, as_of: dt.date) -> Periods:
    """The current and base periods (``assistant.core.periods``, the product's one rule) and how the base was chosen."""
    end = args.end or as_of
    grain = args.period_grain
    if args.start is None:
        grain = grain or str(TH["period_grain"]["value"])
        start = unit_start(end, grain)
    else:
        start = args.start
        if start > end:
            raise InputError(
                f"开始日期 {start} 晚于结束日期 {end},请调整期间。",
                f"Start date {start} is after end date {end}; fix the period.",
            )
    if args.compare == "same_period_last_year":
        base = last_year_span(start, end)
        rule_zh, rule_en = "去年同期", "the same period last year"
        if base[1] >= start:
            raise InputError(
                f"去年同期 {base[0]}–{base[1]} 与本期 {start}–{end} 重叠;请把期间缩短到一年以内,或改用 compare=previous_period。",
                f"The same period last year {base[0]}–{base[1]} overlaps the current period {start}–{end}; "
                "shorten the period to a year at most, or use compare=previous_period.",
            )
        return Periods((start, end), base, rule_zh, rule_en)
    base = previous_span(start, end, grain)
    # Which case of previous_span applied, in words: the grain when the period starts a unit of it.
    unit = grain if grain and unit_start(start, grain) == start else None if grain else calendar_unit(start, end)
    if unit is None:
        length = (end - start).days + 1
        rule_zh, rule_en = f"本期之前等长的 {length} 天", f"the {length} days just before the current period"
    else:
        zh, en = GRAINS[unit]["zh"], GRAINS[unit]["en"]
        if end >= unit_end(start, unit):
            rule_zh, rule_en = f"上一个自然{zh}", f"the previous calendar {en}"
        else:
            rule_zh = f"上一个{zh}的相同日期,本期为{zh}初至今"
            rule_en = f"the same days of the previous {en}; the current period is {en} to date"
    return Periods((start, end), base, rule_zh, rule_en)


# ---------------------------------------------------------------------------------------------------------
# SQL.


def _value(metric: str, p: int) -> str:
    """The metric's value over the completed lines ``pl`` of period ``p`` (0 base, 1 current) in a GROUP BY."""
    f = f"FILTER (WHERE period = {p})"
    if metric == "revenue":
        return f"coalesce(sum(amount) {f}, 0)"
    if metric == "gross_profit":
        # As in the data contract and the metric layer: lines whose product has no unit cost are left out.
        return f"coalesce(sum(amount - quantity * unit_cost) {f}, 0)"
    if metric == "orders":
        return f"count(DISTINCT order_id) {f}"
    return f"CAST(count(*) {f} > 0 AS INTEGER)"  # customers: 1 when the customer bought in the period


def _lines_cte(metric: str, by: str) -> str:
    cols = ["l.customer_id", "l.order_id", "l.product_id", "l.quantity", "l.amount"]
    if metric == "gross_profit":
        cols.append("l.unit_cost")
    if by == "category":
        cols.append("l.category")
    period = (
        "CASE WHEN l.order_date BETWEEN $cur_start AND $cur_end THEN 1 "
        "WHEN l.order_date BETWEEN $base_start AND $base_end THEN 0 END"
    )
    return f"""pl AS (
    SELECT {", ".join(cols)}, {period} AS period
    FROM f_lines l
    WHERE l.status = 'completed' AND {period} IS NOT NULL
)"""


def _customers_cte(metric: str, materialized: bool = False) -> str:
    """``g``: one row per customer with completed lines in either period: values, contribution and group."""
    return f"""pc AS (
    SELECT customer_id, {_value(metric, 0)} AS base, {_value(metric, 1)} AS current,
           count(*) FILTER (WHERE period = 0) > 0 AS in_base,
           count(*) FILTER (WHERE period = 1) > 0 AS in_current
    FROM pl
    GROUP BY customer_id
),
g AS {"MATERIALIZED " if materialized else ""}(
    SELECT *, current - base AS contribution,
           CASE WHEN NOT in_base THEN 'new' WHEN NOT in_current THEN 'lost'
                WHEN current > base THEN 'grew' WHEN current < base THEN 'shrank' ELSE 'unchanged' END AS grp
    FROM pc
)"""


# ---------------------------------------------------------------------------------------------------------
# Contributions.


@dataclass
class Item:
    """One contribution: its key, names, values in the two periods and extra columns."""

    key: Any
    name_zh: str
    name_en: str
    base: Number
    current: Number
    extra: dict[str, Any]

    @property
    def contribution(self) -> Number:
        return self.current - self.base


def _share(part: Number, change: Number) -> float | None:
    return float(Fraction(part) / Fraction(change)) if change else None


def largest_remainder_cents(parts: dict[str, Fraction], total: Decimal) -> dict[str, Decimal]:
    """Exact fractions that sum to ``total`` (whole cents), rounded to cents so that they still sum to it.

    Each part is rounded down to the cent; the cents left over go to the parts with the largest remainders.

    >>> largest_remainder_cents({"a": Fraction(1, 3), "b": Fraction(1, 3), "c": Fraction(1, 3)}, Decimal("1.00"))
    {'a': Decimal('0.34'), 'b': Decimal('0.33'), 'c': Decimal('0.33')}
    """
    cents = Fraction(total) * 100
    if cents.denominator != 1 or sum(parts.values()) != Fraction(total):
        raise ValueError("parts must sum exactly to a whole number of cents")
    floors = {k: math.floor(v * 100) for k, v in parts.items()}
    left = int(cents) - sum(floors.values())
    for k in sorted(parts, key=lambda k: (-(parts[k] * 100 - floors[k]), list(parts).index(k)))[:left]:
        floors[k] += 1
    return {k: Decimal(v).scaleb(-2) for k, v in floors.items()}


def _empty_base(p: Periods, metric: str) -> InputError:
    (bs, be), (cs, ce) = p.base, p.current
    return InputError(
        f"基期 {bs}–{be}(本期 {cs}–{ce} 的对比期)在当前筛选下没有已完成订单,无法分析{METRICS[metric]['zh']}的变化原因。"
        "请换一个期间(start/end)、改用 compare=same_period_last_year 或 period_grain,或放宽筛选条件。",
        f"The base period {bs}–{be} (compared with {cs}–{ce}) has no completed orders in these filters, so the change "
        f"in {METRICS[metric]['en']} cannot be explained. Choose another period (start/end), compare=same_period_last_year "
        "or another period_grain, or widen the filters.",
    )


def _refuse(args: DriversArgs) -> None:
    m = METRICS[args.metric]
    if args.by in ("product", "category") and args.metric not in LINE_ADDITIVE:
        b = BY[args.by]
        raise InputError(
            f"{m['zh']}不能按{b['zh']}拆分:一笔订单、一个客户可以包含多个{b['zh']},拆开后加不回总变化。"
            "请改用 by=customer_group、customer、region 或 rep,或改看 metric=revenue。",
            f"{m['en'].capitalize()} cannot be split by {b['en']}: one order or customer can span several, so the parts "
            "would not add up to the change. Use by=customer_group, customer, region or rep, or metric=revenue.",
        )
    if args.by == "price_volume_mix" and args.metric != "revenue":
        raise InputError(
            f"价格/销量/结构拆分只适用于销售额,收到 metric={args.metric}({m['zh']})。请改用 metric=revenue,或换一种拆分方式(by)。",
            f"The price/volume/mix split applies to revenue only, got metric={args.metric} ({m['en']}). "
            "Use metric=revenue, or another split (by).",
        )


@register(
    "change_drivers",
    "变化归因:指标(销售额、订单数、活跃客户数、毛利)两期之间的变化拆成可加总的贡献:新增/流失/增长/下滑客户、"
    "产品或类别、大区、负责销售,以及销售额的价格/销量/结构效应",
    "Change drivers: a metric's change between two periods (revenue, orders, active customers, gross profit) split "
    "into contributions that add up to it: new, lost, growing and shrinking customers; products or categories; "
    "regions; reps; and for revenue, price versus volume versus mix",
    DriversArgs,
    examples=(
        "为什么本季度销售额下降了?",
        "主要是哪些客户拉动的增长?",
        "What's driving the revenue change by category?",
    ),
)
def change_drivers(con: Con, args: DriversArgs) -> ToolResult:
    _refuse(args)
    as_of = args.as_of or last_order_date(con)
    p = periods(args, as_of)
    scope = resolve_scope(con, args.model_copy(update={"as_of": as_of, "start": p.base[0], "end": p.current[1]}))
    params = {
        **scope.params,
        "base_start": p.base[0],
        "base_end": p.base[1],
        "cur_start": p.current[0],
        "cur_end": p.current[1],
        "lim": args.limit,
    }
    products = args.metric == "gross_profit" or args.by == "category"  # unit_cost, category
    head = f"WITH {scope.ctes(products=products)},\n{_lines_cte(args.metric, args.by)}"
    tr = Trace(con)
    notes: list[str] = []
    extra_figures: dict[str, Any] = {}
    extra_defs: list[Definition] = []
    others: tuple[int, Number, Number] | None = None  # (count, base, current) of the rows not listed
    if args.by == "customer_group":
        items, base_lines = _by_group(tr, head, args.metric, params)
        extra_figures["customers_by_group"] = {it.key: it.extra["customers"] for it in items}
        extra_defs += [
            Definition(name=f"group_{k}", zh=f"{g['zh']}:{g['def_zh']}", en=f"{g['en']}: {g['def_en']}")
            for k, g in GROUPS.items()
        ]
    elif args.by == "customer":
        items, base_lines, others = _by_customer(tr, head, args.metric, params, args.limit)
    elif args.by in ("region", "rep"):
        items, base_lines = _by_customer_attribute(tr, head, args.metric, args.by, params)
    elif args.by in ("product", "category"):
        items, base_lines = _by_line_attribute(tr, head, args.metric, args.by, params)
    else:
        items, base_lines, pvm_figures, pvm_def = _price_volume_mix(tr, head, params)
        extra_figures.update(pvm_figures)
        extra_defs.append(pvm_def)
    if not base_lines:
        raise _empty_base(p, args.metric)
    zero: Number = Decimal("0.00") if args.metric in LINE_ADDITIVE else 0
    if args.by == "price_volume_mix":
        base_value, current_value = extra_figures["base_revenue"], extra_figures["current_revenue"]
    else:
        base_value = sum((it.base for it in items), zero) + (others[1] if others else zero)
        current_value = sum((it.current for it in items), zero) + (others[2] if others else zero)
    change = current_value - base_value
    items.sort(key=lambda it: (-abs(it.contribution), it.key is None, str(it.key)))
    if len(items) > args.limit:
        rest = items[args.limit :]
        items = items[: args.limit]
        others = (
            len(rest),
            sum((it.base for it in rest), zero),
            sum((it.current for it in rest), zero),
        )
    top = [
        {
            "driver": it.key,
            "name": it.name_zh if it.name_zh == it.name_en else f"{it.name_zh} / {it.name_en}",
            "name_zh": it.name_zh,
            "name_en": it.name_en,
            "contribution": it.contribution,
            "share_of_change": _share(it.contribution, change),
        }
        for it in [it for it in items if it.contribution][: int(TH["top_drivers"]["value"])]  # a 0 drives nothing
    ]
    columns, rows = _table(args.by, items, others, change)
    m = METRICS[args.metric]
    (bs, be), (cs, ce) = p.base, p.current
    figures: dict[str, Any] = {
        "change": change,
        "change_pct": _share(change, base_value),
        "base_value": base_value,
        "current_value": current_value,
        "metric": args.metric,
        "by": args.by,
        "current_start": cs,
        "current_end": ce,
        "base_start": bs,
        "base_end": be,
        "top_drivers": top,
        "contributions": len(items) + (others[0] if others else 0),
        **extra_figures,
    }
    if others:
        notes.append(
            f"只列出贡献最大的 {len(items)} 项,其余 {others[0]} 项合并为最后一行 / "
            f"the {len(items)} largest contributions are listed; the other {others[0]} are summed in the last row"
        )
    definitions = [
        Definition(
            name="periods",
            zh=f"本期 {cs} 至 {ce},基期 {bs} 至 {be}({p.rule_zh})",
            en=f"current period {cs} to {ce}, base period {bs} to {be} ({p.rule_en})",
            value={"current": [cs, ce], "base": [bs, be], "compare": args.compare},
        ),
        Definition(
            name=args.metric,
            zh=_metric_def(args.metric, "zh"),
            en=_metric_def(args.metric, "en"),
        ),
        Definition(
            name="contribution",
            zh=f"贡献 = 该项本期{m['zh']} − 基期{m['zh']};各项贡献之和恰好等于总变化 {change}({m['unit_zh']});"
            "占比 = 贡献 ÷ 总变化(可为负或超过 100%)",
            en=f"contribution = the item's current {m['en']} − its base {m['en']}; the contributions add up exactly to "
            f"the total change {change} ({m['unit_en']}); share = contribution ÷ total change (may be negative or "
            "above 100%)",
            value={"change": change, "by": args.by},
        ),
        *extra_defs,
    ]
    label = BY[args.by]
    return ToolResult(
        as_of=as_of,
        figures=figures,
        columns=columns,
        rows=rows,
        definitions=definitions,
        sql=tr.sql,
        chart=Chart(
            kind="bar",
            x="name" if args.by in ("customer", "product", "rep") else columns[0],
            y="contribution",
            title_zh=f"{m['zh']}变化归因(按{label['zh']}):{bs}–{be} → {cs}–{ce}",
            title_en=f"What changed {m['en']} (by {label['en']}): {bs}–{be} → {cs}–{ce}",
        ),
        notes=notes,
    )


def _metric_def(metric: str, lang: str) -> str:
    zh = {
        "revenue": "销售额:状态为 completed 的订单明细金额之和",
        "orders": "订单数:已完成订单的数量",
        "customers": "活跃客户数:期间内至少有一笔已完成订单的客户数",
        "gross_profit": "毛利:已完成订单的销售额减去数量×产品单位成本(没有成本的产品行不计)",
    }
    en = {
        "revenue": "revenue: sum of order_items.amount over completed orders",
        "orders": "orders: number of completed orders",
        "customers": "active customers: customers with at least one completed order in the period",
        "gross_profit": "gross profit: revenue minus quantity × products.unit_cost over completed orders "
        "(lines whose product has no cost are left out)",
    }
    return (zh if lang == "zh" else en)[metric]


def _by_group(tr: Trace, head: str, metric: str, params: dict[str, Any]) -> tuple[list[Item], int]:
    sql = f"""{head},
{_customers_cte(metric)}
SELECT grp, count(*) AS customers, sum(base) AS base, sum(current) AS current,
       count(*) FILTER (WHERE in_base) AS base_customers
FROM g
GROUP BY grp"""
    _, rows = tr.query(sql, params)
    found = {r[0]: r for r in rows}
    zero: Number = Decimal("0.00") if metric in LINE_ADDITIVE else 0
    items = []
    for key, g in GROUPS.items():
        r = found.get(key)
        items.append(
            Item(
                key,
                g["zh"],
                g["en"],
                r[2] if r else zero,
                r[3] if r else zero,
                {"customers": r[1] if r else 0},
            )
        )
    return items, sum(r[4] for r in rows)


def _by_customer(
    tr: Trace, head: str, metric: str, params: dict[str, Any], limit: int
) -> tuple[list[Item], int, tuple[int, Number, Number] | None]:
    # The largest contributions only (a million customers do not fit a table); the totals give the rest.
    sql = f"""{head},
{_customers_cte(metric, materialized=True)},
top AS (SELECT * FROM g ORDER BY abs(contribution) DESC, customer_id LIMIT $lim),
tot AS (
    SELECT count(*) AS n, sum(base) AS all_base, sum(current) AS all_current,
           count(*) FILTER (WHERE in_base) AS base_customers
    FROM g
)
SELECT top.customer_id, c.name, top.grp, top.base, top.current, tot.*
FROM top CROSS JOIN tot LEFT JOIN f_customers c ON c.customer_id = top.customer_id
ORDER BY abs(top.contribution) DESC, top.customer_id"""
    _, rows = tr.query(sql, params)
    if not rows:
        return [], 0, None
    items = [Item(r[0], r[1], r[1], r[3], r[4], {"group": r[2]}) for r in rows]
    n, all_base, all_current, base_customers = rows[0][5:9]
    others = None
    if n > len(rows):
        others = (
            n - len(rows),
            all_base - sum(it.base for it in items),
            all_current - sum(it.current for it in items),
        )
    return items, base_customers, others


def _by_customer_attribute(
    tr: Trace, head: str, metric: str, by: str, params: dict[str, Any]
) -> tuple[list[Item], int]:
    if by == "region":
        key, name, join = "c.region", "c.region", ""
    else:
        key, name, join = "c.rep_id", "any_value(r.name)", "LEFT JOIN sales_reps r ON r.rep_id = c.rep_id"
    sql = f"""{head},
{_customers_cte(metric)}
SELECT {key} AS key, {name} AS name, count(*) AS customers, sum(g.base) AS base, sum(g.current) AS current,
       count(*) FILTER (WHERE g.in_base) AS base_customers
FROM g JOIN f_customers c ON c.customer_id = g.customer_id
{join}
GROUP BY {key}"""
    _, rows = tr.query(sql, params)
    items = []
    for k, nm, customers, base, current, _ in rows:
        zh, en = (nm, nm) if nm is not None else ("(未分配)", "(unassigned)")
        items.append(Item(k, str(zh), str(en), base, current, {"customers": customers}))
    return items, sum(r[5] for r in rows)


def _by_line_attribute(tr: Trace, head: str, metric: str, by: str, params: dict[str, Any]) -> tuple[list[Item], int]:
    if by == "product":
        sql = f"""{head},
v AS (
    SELECT product_id, {_value(metric, 0)} AS base, {_value(metric, 1)} AS current,
           count(*) FILTER (WHERE period = 0) AS base_lines
    FROM pl GROUP BY product_id
)
SELECT v.product_id, p.name, p.category, v.base, v.current, v.base_lines
FROM v LEFT JOIN products p ON p.product_id = v.product_id"""
        _, rows = tr.query(sql, params)
        items = [Item(r[0], r[1] or str(r[0]), r[1] or str(r[0]), r[3], r[4], {"category": r[2]}) for r in rows]
        return items, sum(r[5] for r in rows)
    sql = f"""{head}
SELECT category, {_value(metric, 0)} AS base, {_value(metric, 1)} AS current,
       count(*) FILTER (WHERE period = 0) AS base_lines
FROM pl GROUP BY category"""
    _, rows = tr.query(sql, params)
    items = []
    for k, base, current, _ in rows:
        zh, en = (k, k) if k is not None else ("(无类别)", "(no category)")
        items.append(Item(k, str(zh), str(en), base, current, {}))
    return items, sum(r[3] for r in rows)


def _price_volume_mix(
    tr: Trace, head: str, params: dict[str, Any]
) -> tuple[list[Item], int, dict[str, Any], Definition]:
    sql = f"""{head}
SELECT product_id,
       coalesce(sum(amount) FILTER (WHERE period = 0), 0) AS r0,
       coalesce(sum(quantity) FILTER (WHERE period = 0), 0) AS q0,
       coalesce(sum(amount) FILTER (WHERE period = 1), 0) AS r1,
       coalesce(sum(quantity) FILTER (WHERE period = 1), 0) AS q1,
       count(*) FILTER (WHERE period = 0) AS base_lines
FROM pl GROUP BY product_id
ORDER BY product_id"""
    _, rows = tr.query(sql, params)
    base_lines = sum(r[5] for r in rows)
    r0 = sum((Decimal(r[1]) for r in rows), Decimal("0.00"))
    r1 = sum((Decimal(r[3]) for r in rows), Decimal("0.00"))
    q0 = sum(int(r[2]) for r in rows)
    q1 = sum(int(r[4]) for r in rows)
    if not base_lines or not q0:
        return [], 0, {}, Definition(name="price_volume_mix", zh="", en="")
    avg0 = Fraction(r0) / q0
    # Current units at base prices; a product new in the current period at its own current price.
    at_base_prices = sum(
        (Fraction(int(qc)) * (Fraction(Decimal(rb)) / int(qb) if qb else Fraction(Decimal(rc)) / int(qc)))
        for _pid, rb, qb, rc, qc, _lines in rows
        if qc
    )
    exact = {
        "price": Fraction(r1) - at_base_prices,
        "volume": (q1 - q0) * avg0,
        "mix": at_base_prices - q1 * avg0,
    }
    effects = largest_remainder_cents(exact, r1 - r0)
    items = [Item(k, EFFECTS[k]["zh"], EFFECTS[k]["en"], Decimal("0.00"), v, {}) for k, v in effects.items()]
    figures: dict[str, Any] = {
        "price_effect": effects["price"],
        "volume_effect": effects["volume"],
        "mix_effect": effects["mix"],
        "base_revenue": r0,
        "current_revenue": r1,
        "base_quantity": q0,
        "current_quantity": q1,
        "base_avg_price": float(avg0),
        "current_avg_price": float(Fraction(r1) / q1) if q1 else None,
        "products": len(rows),
    }
    definition = Definition(
        name="price_volume_mix",
        zh="对每个产品 i:Q 为已完成数量,P = 销售额 ÷ 数量(折后平均成交单价),P̄0 = 基期销售额 ÷ 基期总数量。"
        "销量效应 = (Q1 − Q0) × P̄0;结构效应 = Σ Q1ᵢ × P0ᵢ − Q1 × P̄0;价格效应 = Σ Q1ᵢ × (P1ᵢ − P0ᵢ)。"
        "三者之和恰为 R1 − R0。基期没卖过的产品按本期价格计(无价格效应),本期没卖的产品 Q1ᵢ = 0;"
        "三项按精确分数计算后以最大余数法舍入到分,合计仍等于变化额",
        en="For each product i: Q is the completed quantity, P = revenue ÷ quantity (average unit price after "
        "discount), P̄0 = base revenue ÷ base total quantity. volume = (Q1 − Q0) × P̄0; mix = Σ Q1ᵢ × P0ᵢ − Q1 × P̄0; "
        "price = Σ Q1ᵢ × (P1ᵢ − P0ᵢ). They add up exactly to R1 − R0. A product not sold in the base period is "
        "valued at its current price (no price effect); one not sold in the current period has Q1ᵢ = 0. The three "
        "are exact fractions rounded to the cent by largest remainder, so they still add up to the change",
        value={
            "volume": "(Q1 - Q0) * R0/Q0",
            "mix": "sum_i Q1_i * P0_i - Q1 * R0/Q0",
            "price": "sum_i Q1_i * (P1_i - P0_i)",
        },
    )
    return items, base_lines, figures, definition


def _table(
    by: str, items: list[Item], others: tuple[int, Number, Number] | None, change: Number
) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows, largest contribution first; the rows not listed summed in a last row."""
    tail = ["base", "current", "contribution", "share_of_change"]

    def nums(base: Number, current: Number) -> list[Any]:
        return [base, current, current - base, _share(current - base, change)]

    if by == "customer_group":
        cols = ["group", "group_zh", "group_en", "customers", *tail]
        rows = [[it.key, it.name_zh, it.name_en, it.extra["customers"], *nums(it.base, it.current)] for it in items]
    elif by == "price_volume_mix":
        cols = ["effect", "effect_zh", "effect_en", "contribution", "share_of_change"]
        rows = [[it.key, it.name_zh, it.name_en, it.contribution, _share(it.contribution, change)] for it in items]
    elif by == "customer":
        cols = ["customer_id", "name", "group", *tail]
        rows = [[it.key, it.name_zh, it.extra["group"], *nums(it.base, it.current)] for it in items]
        if others:
            rows.append([None, f"其余 {others[0]} 个客户 / {others[0]} other customers", None, *nums(*others[1:])])
    elif by == "product":
        cols = ["product_id", "name", "category", *tail]
        rows = [[it.key, it.name_zh, it.extra["category"], *nums(it.base, it.current)] for it in items]
        if others:
            rows.append([None, f"其余 {others[0]} 个产品 / {others[0]} other products", None, *nums(*others[1:])])
    elif by == "rep":
        cols = ["rep_id", "name", "customers", *tail]
        rows = [[it.key, it.name_zh, it.extra["customers"], *nums(it.base, it.current)] for it in items]
        if others:
            rows.append([None, f"其余 {others[0]} 位销售 / {others[0]} other reps", None, *nums(*others[1:])])
    else:  # region, category
        cols = [by, *(["customers"] if by == "region" else []), *tail]
        rows = [
            [it.key, *([it.extra["customers"]] if by == "region" else []), *nums(it.base, it.current)] for it in items
        ]
        if others:
            label = f"其余 {others[0]} 项 / {others[0]} others"
            rows.append([label, *([None] if by == "region" else []), *nums(*others[1:])])
    return cols, rows
