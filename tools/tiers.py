"""Big-customer tiers (战略 / 重点 / 普通), ABC classes and the Pareto curve, by revenue in the period.

Methodology: big-customer management (大客户管理) within customer value analysis, one of the six aspects of
customer analysis: a few customers bring most of the revenue (the 80/20 rule), so they get named owners and
more attention. Numbers live in tools/tables/tiers.yaml.

- Population: customers in the filters with at least one completed order in the window (all history up to
  ``as_of`` unless a period is given); revenue = sum of their completed order lines.
- Tiers: rank = RANK() by revenue descending (ties share a rank and so a tier); Strategic when
  (rank − 1) / n < 5%, Key when (rank − 1) / n < 5% + 15%, Regular otherwise.
- ABC: customers sorted by revenue descending (ties by customer_id); A while the cumulative share *before*
  the customer is below 70% (so the customer that crosses 70% is A), B likewise up to 90%, C the rest.
- Pareto: share of revenue from the top k = ceil(20% × n) customers in the same order, and the curve at every
  10% of customers.

``customer_ids`` chooses which customers are reported; tiers and classes stay relative to all customers in the
other filters ("is this customer strategic?").
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from assistant.core.errors import InputError
from tools.base import Chart, CommonFilters, Con, Definition, ToolResult, Trace, register
from tools.rfm import customer_base_cte, population_scope
from tools.tables import load

T = load("tiers")
TIERS: list[dict[str, Any]] = T["tiers"]
ABC: dict[str, Any] = T["abc"]
PARETO: dict[str, Any] = T["pareto"]
if [t["key"] for t in TIERS] != ["strategic", "key", "regular"] or [c["key"] for c in ABC["classes"]] != [
    "A",
    "B",
    "C",
]:
    raise ValueError("tools/tables/tiers.yaml: tiers must be strategic, key, regular and ABC classes A, B, C")


class TiersArgs(CommonFilters):
    """大客户分层参数 / big-customer tier parameters."""

    by: Literal["segment", "customer"] = Field(
        "segment", description="segment=每层一行;customer=每个客户一行 / one row per tier/class, or per customer"
    )
    view: Literal["tier", "abc", "pareto"] = Field(
        T["defaults"]["view"],
        description="分组表:tier=战略/重点/普通,abc=ABC 分类,pareto=帕累托曲线 / table: tiers, ABC classes or the Pareto curve",
    )
    strategic_share: float = Field(
        TIERS[0]["share"],
        gt=0,
        lt=1,
        description="战略客户占客户数的比例(前 x) / share of customers that are strategic",
    )
    key_share: float = Field(
        TIERS[1]["share"], ge=0, lt=1, description="重点客户占客户数的比例(其后 x) / share of customers that are key"
    )
    abc_a_share: float = Field(
        ABC["a_share"], gt=0, lt=1, description="A 类累计收入占比上限 / cumulative revenue share of class A"
    )
    abc_b_share: float = Field(
        ABC["b_share"], gt=0, le=1, description="B 类累计收入占比上限 / cumulative revenue share up to class B"
    )
    pareto_top_share: float = Field(
        PARETO["top_share"], gt=0, le=1, description="帕累托:头部客户比例 / Pareto: share of top customers"
    )
    limit: int = Field(
        int(T["defaults"]["limit"]),
        ge=1,
        le=1_000_000,
        description="按客户输出时最多返回的行数(按收入降序) / max rows with by=customer, largest revenue first",
    )

    @model_validator(mode="after")
    def _consistent(self) -> TiersArgs:
        if self.strategic_share + self.key_share > 1:
            raise InputError(
                f"strategic_share + key_share = {self.strategic_share + self.key_share:g} 超过 1,请调小。",
                f"strategic_share + key_share = {self.strategic_share + self.key_share:g} exceeds 1; lower them.",
            )
        if self.abc_a_share >= self.abc_b_share:
            raise InputError(
                f"abc_a_share ({self.abc_a_share:g}) 必须小于 abc_b_share ({self.abc_b_share:g})。",
                f"abc_a_share ({self.abc_a_share:g}) must be below abc_b_share ({self.abc_b_share:g}).",
            )
        return self


def tier_cum_cte(with_rank: bool) -> str:
    """``tier_cum``: the customers of ``tier_base`` in revenue order (rn), with their running and total revenue and
    the count; with ``with_rank`` their RANK() too. Everything else in tier_ctes reads it (and the business review
    keeps its rows on the engine for the two statements that read it)."""
    rank = "rank() OVER (ORDER BY monetary DESC) AS rnk,\n           " if with_rank else ""
    return f"""tier_cum AS MATERIALIZED (
    SELECT customer_id, monetary AS revenue,
           {rank}row_number() OVER w AS rn,
           sum(monetary) OVER (w ROWS UNBOUNDED PRECEDING) AS cum,
           sum(monetary) OVER () AS total,
           count(*) OVER () AS n
    FROM tier_base
    WINDOW w AS (ORDER BY monetary DESC, customer_id)
)"""


def tier_ctes(with_rank: bool) -> str:
    """tier_cum (materialised, sorted once by revenue descending), tier_n, tier_cuts, tier_classed.

    A customer's RANK() (ties share the lowest rank) satisfies ``rank − 1 < share × n`` exactly when its revenue
    is at least the revenue at position ``ceil(share × n)`` of the descending order (fewer than that many
    customers have more), so the tiers need no second sort by revenue alone; the rank itself (``rnk``) is
    computed only when a per-customer table shows it.
    """
    return f"""{tier_cum_cte(with_rank)},
tier_n AS (SELECT count(*) AS n FROM tier_cum),
tier_cuts AS (
    SELECT max(c.revenue) FILTER (WHERE c.rn = k.k1) AS cut1, max(c.revenue) FILTER (WHERE c.rn = k.k2) AS cut2
    FROM tier_cum c
    JOIN (SELECT CAST(ceil(CAST($strategic AS DECIMAL(10, 6)) * n) AS BIGINT) AS k1,
                 CAST(ceil(CAST($strategic_key AS DECIMAL(10, 6)) * n) AS BIGINT) AS k2 FROM tier_n) k
      ON c.rn = k.k1 OR c.rn = k.k2
),
tier_classed AS (
    SELECT c.*,
           CASE WHEN c.revenue >= t.cut1 THEN 1
                WHEN c.revenue >= t.cut2 THEN 2
                ELSE 3 END AS tier_idx,
           CASE WHEN cum - revenue < CAST($abc_a AS DECIMAL(10, 6)) * total THEN 'A'
                WHEN cum - revenue < CAST($abc_b AS DECIMAL(10, 6)) * total THEN 'B'
                ELSE 'C' END AS abc_class
    FROM tier_cum c CROSS JOIN tier_cuts t
)"""


# Shares are cast to DECIMAL so a customer exactly on a boundary is classed exactly (0.7 × 100 is 70, not 70.000…1).


def _tier_meta() -> list[tuple[str, str, str, str]]:
    return [(t["zh"], t["en"], t["rule_zh"], t["rule_en"]) for t in TIERS]


@register(
    "tiers",
    "大客户分层:按期间收入排名把客户分为战略客户(前 5%)、重点客户(其后 15%)、普通客户;ABC 分类(累计收入 70%/90%);帕累托曲线(前 x% 客户贡献的收入占比)。",
    "Big-customer tiers by revenue rank in the period (strategic top 5%, key next 15%, regular), ABC classes by "
    "cumulative revenue share (70%/90%), and the Pareto curve (share of revenue from the top x% of customers).",
    TiersArgs,
    examples=("战略客户有哪些", "前 20% 客户贡献多少收入", "ABC analysis of customers"),
)
def tiers(con: Con, args: TiersArgs) -> ToolResult:
    """Tiers, ABC classes and the Pareto curve. See the module docstring for the definitions."""
    scope, report_where, report_params = population_scope(con, args)
    params: dict[str, Any] = {
        **scope.params,
        **report_params,
        "as_of": scope.as_of,
        "strategic": args.strategic_share,
        "strategic_key": args.strategic_share + args.key_share,
        "abc_a": args.abc_a_share,
        "abc_b": args.abc_b_share,
    }
    base = customer_base_cte(scope, "tier_base", money_only=True)
    head = f"WITH {scope.ctes()},\n{base},\n{tier_ctes(with_rank=args.by == 'customer')}\n"
    tr = Trace(con)
    figures: dict[str, Any] = {"as_of": scope.as_of, "start": scope.start, "end": scope.end}
    notes: list[str] = []
    if args.by == "customer":
        columns, rows = _by_customer(tr, head, report_where, params, args, figures)
        chart = Chart(
            kind="bar",
            x="customer_id",
            y="revenue",
            color="tier_zh",
            title_zh="客户收入与分层",
            title_en="Revenue and tier per customer",
        )
    else:
        columns, rows, chart = _by_segment(tr, head, report_where, params, args, figures)
    if not figures.get("customers"):
        notes.append("窗口内没有已完成订单的客户 / no customer has a completed order in the window")
    return ToolResult(
        as_of=scope.as_of,
        figures=figures,
        columns=columns,
        rows=rows,
        definitions=_definitions(args),
        sql=tr.sql,
        chart=chart,
        notes=notes,
    )


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole else None


def _by_segment(
    tr: Trace, head: str, report_where: str, params: dict[str, Any], args: TiersArgs, figures: dict[str, Any]
) -> tuple[list[str], list[list[Any]], Chart]:
    points = int(PARETO["curve_points"])
    sql = (
        head
        + f"""SELECT CASE WHEN grouping(tier_idx) = 0 THEN 'tier' WHEN grouping(abc_class) = 0 THEN 'abc'
            ELSE 'total' END AS kind,
       coalesce(CAST(tier_idx AS VARCHAR), abc_class, '') AS k, count(*) AS n, sum(revenue) AS revenue,
       min(revenue) AS lo, max(revenue) AS hi
FROM tier_classed WHERE {report_where}
GROUP BY GROUPING SETS ((tier_idx), (abc_class), ())
UNION ALL
SELECT 'pareto', CAST(p.i AS VARCHAR), c.rn, c.cum, NULL, NULL
FROM (SELECT i, CAST(ceil(CAST(i AS DECIMAL(10, 6)) * n / $points) AS BIGINT) AS k
      FROM range(1, $points + 1) t(i), tier_n) p
JOIN tier_cum c ON c.rn = p.k
UNION ALL
SELECT 'top', '', c.rn, c.cum, NULL, NULL
FROM tier_cum c JOIN (SELECT CAST(ceil(CAST($top AS DECIMAL(10, 6)) * n) AS BIGINT) AS k FROM tier_n) t ON c.rn = t.k"""
    )
    _, raw = tr.query(sql, {**params, "points": points, "top": args.pareto_top_share})
    got = {(r[0], r[1]): r for r in raw}
    total = got.get(("total", ""))
    n_total = int(total[2]) if total else 0
    rev_total = float(total[3]) if total and total[3] is not None else 0.0
    # Pareto refers to the whole population (customer_ids only narrows the reported rows).
    pop_total = None
    curve = []
    for i in range(1, points + 1):
        r = got.get(("pareto", str(i)))
        if r is None:
            continue
        curve.append([round(100 * i / points, 6), int(r[2]), float(r[3])])
    top = got.get(("top", ""))
    if curve:
        pop_total = curve[-1][2]  # the 100% point holds the population's whole revenue
    tier_rows = []
    for i, (zh, en, rule_zh, rule_en) in enumerate(_tier_meta(), 1):
        g = got.get(("tier", str(i)))
        tier_rows.append(_group_row([zh, en, rule_zh, rule_en], g, n_total, rev_total))
    abc_rows = []
    for c in ABC["classes"]:
        g = got.get(("abc", c["key"]))
        abc_rows.append(_group_row([c["key"], c["zh"], c["en"]], g, n_total, rev_total))
    pareto_rows = [[pct, k, rev, _share(rev, pop_total) if pop_total else None] for pct, k, rev in curve]
    figures.update(
        customers=n_total,
        revenue=rev_total,
        population=int(curve[-1][1]) if curve else 0,
        pareto_top_share=args.pareto_top_share,
        pareto_top_customers=int(top[2]) if top else 0,
        pareto_top_revenue_share=_share(float(top[3]), pop_total) if top and pop_total else None,
        pareto_curve=[[r[0], r[3]] for r in pareto_rows],
        tier_customers={t["key"]: r[4] for t, r in zip(TIERS, tier_rows, strict=True)},
        abc_customers={c["key"]: r[3] for c, r in zip(ABC["classes"], abc_rows, strict=True)},
        abc_revenue_share={c["key"]: r[6] for c, r in zip(ABC["classes"], abc_rows, strict=True)},
    )
    stats = ["customers", "customer_share", "revenue", "revenue_share", "min_revenue", "max_revenue", "mean_revenue"]
    if args.view == "tier":
        return (
            ["tier_zh", "tier_en", "rule_zh", "rule_en", *stats],
            tier_rows,
            Chart(
                kind="bar",
                x="tier_zh",
                y=["customer_share", "revenue_share"],
                title_zh="大客户分层",
                title_en="Customer tiers",
            ),
        )
    if args.view == "abc":
        return (
            ["abc_class", "class_zh", "class_en", *stats],
            abc_rows,
            Chart(
                kind="bar",
                x="abc_class",
                y=["customer_share", "revenue_share"],
                title_zh="ABC 分类",
                title_en="ABC classes",
            ),
        )
    return (
        ["top_customer_pct", "customers", "revenue", "revenue_share"],
        pareto_rows,
        Chart(kind="line", x="top_customer_pct", y="revenue_share", title_zh="帕累托曲线", title_en="Pareto curve"),
    )


def _group_row(label: list[Any], g: list[Any] | None, n_total: int, rev_total: float) -> list[Any]:
    if not g:
        return [*label, 0, _share(0, n_total), 0.0, _share(0, rev_total), None, None, None]
    n, rev = int(g[2]), float(g[3])
    return [*label, n, _share(n, n_total), rev, _share(rev, rev_total), float(g[4]), float(g[5]), round(rev / n, 2)]


def _by_customer(
    tr: Trace, head: str, report_where: str, params: dict[str, Any], args: TiersArgs, figures: dict[str, Any]
) -> tuple[list[str], list[list[Any]]]:
    sql = (
        head
        + f"""SELECT customer_id, revenue, rnk AS revenue_rank, revenue / total AS revenue_share,
       cum / total AS cum_share, $tier_zh[tier_idx] AS tier_zh, $tier_en[tier_idx] AS tier_en, abc_class,
       (SELECT count(*) FROM tier_classed WHERE {report_where}) AS reported, n
FROM (SELECT * FROM tier_classed WHERE {report_where} ORDER BY rn LIMIT $limit)
ORDER BY rn"""
    )
    p = {**params, "limit": args.limit, "tier_zh": [t["zh"] for t in TIERS], "tier_en": [t["en"] for t in TIERS]}
    cols, raw = tr.query(sql, p)
    rows = [[r[0], float(r[1]), int(r[2]), round(float(r[3]), 6), round(float(r[4]), 6), *r[5:8]] for r in raw]
    reported = int(raw[0][8]) if raw else 0
    figures.update(
        customers=reported,
        population=int(raw[0][9]) if raw else 0,
        rows_returned=len(rows),
        truncated=reported > len(rows),
    )
    return cols[:8], rows


def _definitions(args: TiersArgs) -> list[Definition]:
    return [
        Definition(
            name="revenue",
            zh="收入 = 窗口内已完成订单明细金额合计;只含窗口内有已完成订单的客户",
            en="Revenue = completed order lines in the window; customers with at least one completed order",
        ),
        Definition(
            name="tier:strategic",
            zh=f"战略客户:收入排名(RANK,降序,并列同档)满足 (rank − 1)/n < {args.strategic_share:g}",
            en=f"Strategic: revenue rank (RANK, descending, ties share a tier) with (rank − 1)/n < {args.strategic_share:g}",
            value=args.strategic_share,
        ),
        Definition(
            name="tier:key",
            zh=f"重点客户:其后 {args.key_share:g},即 (rank − 1)/n < {args.strategic_share + args.key_share:g}",
            en=f"Key: the next {args.key_share:g}, i.e. (rank − 1)/n < {args.strategic_share + args.key_share:g}",
            value=args.key_share,
        ),
        Definition(name="tier:regular", zh="普通客户:其余", en="Regular: the rest"),
        Definition(
            name="abc:A",
            zh=f"A 类:按收入降序累计,之前的累计收入占比 < {args.abc_a_share:g}(越过该线的客户仍为 A)",
            en=f"A: sorted by revenue descending, cumulative share before the customer < {args.abc_a_share:g} (the customer crossing it is A)",
            value=args.abc_a_share,
        ),
        Definition(
            name="abc:B",
            zh=f"B 类:之前的累计收入占比 < {args.abc_b_share:g}",
            en=f"B: cumulative share before the customer < {args.abc_b_share:g}",
            value=args.abc_b_share,
        ),
        Definition(name="abc:C", zh="C 类:其余", en="C: the rest"),
        Definition(
            name="pareto",
            zh=f"帕累托:收入最高的前 ceil({args.pareto_top_share:g} × n) 位客户的收入占比;曲线每 {100 // int(PARETO['curve_points'])}% 一点",
            en=f"Pareto: revenue share of the top ceil({args.pareto_top_share:g} × n) customers; the curve every {100 // int(PARETO['curve_points'])}%",
            value=args.pareto_top_share,
        ),
    ]
