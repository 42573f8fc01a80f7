"""Customer loyalty index, 0–100, with a per-component breakdown.

Methodology: "how satisfied and loyal they are", one of the six aspects of
customer analysis (客户忠诚度: repeat purchase, purchase frequency, length of the
relationship, satisfaction, complaints). Scored for customers in scope with at
least one completed order in the window (all history up to as_of unless a
period is given):

    index = 100 × (0.25·frequency + 0.20·recency + 0.15·tenure + 0.15·repeat
                   + 0.15·satisfaction + 0.10·complaints)

Each component is scaled 0–1 by its mid-rank percentile among the scored
customers, in the "better" direction: (rank_low − 1 + rank_high − 1) / (2(n − 1)),
so the worst gets 0, the best 1, tied customers share the average of their
positions, and a lone customer (or all tied) gets 0.5. frequency = distinct
completed orders; recency = days since the last completed order (fewer is
better); tenure = days since the first completed order; repeat = months with a
completed order / months from the first order's month to the as_of month;
satisfaction = mean NPS score of the customer's answers (0.5 when none);
complaints = complaint tickets in the window (fewer is better). Weights (given
weights are normalised to sum to 1) and bands live in ``tools/tables/loyalty.yaml``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from assistant.core.errors import InputError
from tools.base import Chart, CommonFilters, Con, Definition, ToolResult, Trace, one_of, register, resolve_scope
from tools.tables import load

TABLE = load("loyalty")
WEIGHTS: dict[str, dict[str, Any]] = TABLE["weights"]
BANDS: dict[str, dict[str, Any]] = TABLE["bands"]
GROUPS: dict[str, dict[str, str]] = TABLE["groups"]
MISSING_SAT = float(TABLE["scaling"]["missing_satisfaction"]["value"])
COMPONENTS = tuple(WEIGHTS)


# by="customer" lists at most this many rows by default, like the other per-customer tools: a million-row
# answer is neither readable nor cheap (turning 1M rows into Python lists took ~10 s at scale).
DEFAULT_LIMIT = 1000


class LoyaltyArgs(CommonFilters):
    """忠诚度指数参数 / loyalty index parameters."""

    group: Literal["band", "region", "city", "industry", "size", "rep"] = Field(
        "band", description="汇总分组,默认按忠诚度等级 / grouping of the summary; loyalty band by default"
    )
    by: Literal["segment", "customer"] = Field(
        "segment", description="segment 分组汇总,customer 每客户一行 / segment summary, or one row per customer"
    )
    weights: dict[str, float] | None = Field(
        None,
        description="各分量权重(frequency, recency, tenure, repeat, satisfaction, complaints),未给的取默认值,合计归一化为 1 / component weights; missing ones take the defaults; normalised to sum to 1",
    )
    limit: int | None = Field(
        DEFAULT_LIMIT,
        description=f"by=customer 时最多行数(指数最高者在前),默认 {DEFAULT_LIMIT},null 为全部 / most rows with "
        f"by=customer, highest index first; default {DEFAULT_LIMIT}, null for all",
    )

    _g = one_of("group", list(GROUPS))
    _b = one_of("by", ("segment", "customer"))


def _weights(given: dict[str, float] | None) -> dict[str, float]:
    w = {k: float(v["value"]) for k, v in WEIGHTS.items()}
    for k, v in (given or {}).items():
        if k not in w:
            raise InputError(
                f"未知的忠诚度分量 {k!r};可用:{'、'.join(COMPONENTS)}。",
                f"Unknown loyalty component {k!r}; use {', '.join(COMPONENTS)}.",
            )
        if v < 0:
            raise InputError(f"权重 {k} 不能为负,收到 {v}。", f"Weight {k} cannot be negative, got {v}.")
        w[k] = float(v)
    total = sum(w.values())
    if total <= 0:
        raise InputError("权重之和必须大于 0。", "The weights must add up to more than 0.")
    return {k: v / total for k, v in w.items()}


# (component, column in j, "better" order): the percentile of a value depends only on the value,
# so it is computed once per distinct value and joined back (much cheaper than 12 window sorts).
RANKED = (
    ("frequency", "frequency", "ASC"),
    ("recency", "recency_days", "DESC"),
    ("tenure", "tenure_days", "ASC"),
    ("repeat", "repeat_share", "ASC"),
    ("satisfaction", "mean_nps", "ASC"),
    ("complaints", "complaints", "DESC"),
)


def _pct_ctes() -> str:
    """Per component: distinct values with the mid-rank percentile, (2·below + count − 1) / (2(n − 1))."""
    out = []
    for k, col, order in RANKED:
        out.append(
            f"""p_{k} AS (
    SELECT v, CASE WHEN nn = 1 THEN 0.5 ELSE (2 * below + c - 1) / (2.0 * (nn - 1)) END AS pct
    FROM (
        SELECT v, c, sum(c) OVER (ORDER BY v {order} ROWS UNBOUNDED PRECEDING) - c AS below, sum(c) OVER () AS nn
        FROM (SELECT {col} AS v, count(*) AS c FROM j WHERE {col} IS NOT NULL GROUP BY {col})
    )
)"""
        )
    return ",\n".join(out)


@register(
    "loyalty",
    "客户忠诚度指数(0–100):购买频次、最近购买、合作时长、重复购买、满意度、投诉加权,含各分量明细",
    "Customer loyalty index 0–100 from frequency, recency, tenure, repeat purchase, satisfaction and complaints, with a per-component breakdown",
    LoyaltyArgs,
    examples=("哪些客户忠诚度最高?", "Loyalty index by region", "客户 C00001 的忠诚度怎么算的?"),
)
def loyalty(con: Con, args: LoyaltyArgs) -> ToolResult:
    w = _weights(args.weights)
    if args.limit is not None and args.limit < 1:
        raise InputError(f"limit 至少为 1,收到 {args.limit}。", f"limit must be at least 1, got {args.limit}.")
    scope = resolve_scope(con, args)
    window = ["survey_date <= $f_end"] + (["survey_date >= $f_start"] if scope.start else [])
    twindow = ["CAST(created_at AS DATE) <= $f_end"] + (["CAST(created_at AS DATE) >= $f_start"] if scope.start else [])
    bands = sorted(BANDS.items(), key=lambda kv: -kv[1]["min"])
    band_sql = (
        "CASE "
        + " ".join(f"WHEN loyalty_index >= {float(b['min'])} THEN '{k}'" for k, b in bands[:-1])
        + f" ELSE '{bands[-1][0]}' END"
    )
    params: dict[str, Any] = {**scope.params, "as_of": scope.as_of, "missing_sat": MISSING_SAT}
    params.update({f"w_{k}": v for k, v in w.items()})
    index_expr = " + ".join(f"$w_{k} * s_{k}" for k in COMPONENTS)
    sql = f"""
WITH {scope.ctes(products=False)},
{scope.orders_cte()},
om AS (
    -- per customer and month first: cheaper than count(DISTINCT month) per customer
    SELECT customer_id, date_trunc('month', order_date) AS m, count(*) AS n,
           min(order_date) AS first_order, max(order_date) AS last_order
    FROM f_orders GROUP BY customer_id, m
),
od AS (
    SELECT customer_id, sum(n) AS frequency, min(first_order) AS first_order, max(last_order) AS last_order,
           count(*) AS months_with_orders
    FROM om GROUP BY customer_id
),
sat AS (
    SELECT customer_id, avg(nps) AS mean_nps FROM surveys
    WHERE nps IS NOT NULL AND {" AND ".join(window)} GROUP BY customer_id
),
comp AS (
    SELECT customer_id, count(*) AS complaints FROM tickets
    WHERE kind = 'complaint' AND {" AND ".join(twindow)} GROUP BY customer_id
),
j AS MATERIALIZED (
    SELECT c.customer_id, c.name, c.region, c.city, c.industry, c.size, c.rep_id, od.frequency,
           date_diff('day', od.last_order, $as_of) AS recency_days,
           date_diff('day', od.first_order, $as_of) AS tenure_days,
           od.months_with_orders::DOUBLE
               / (date_diff('month', date_trunc('month', od.first_order), date_trunc('month', $as_of)) + 1) AS repeat_share,
           sat.mean_nps, coalesce(comp.complaints, 0) AS complaints,
           count(*) OVER () AS n
    FROM od
    JOIN f_customers c ON c.customer_id = od.customer_id
    LEFT JOIN sat ON sat.customer_id = od.customer_id
    LEFT JOIN comp ON comp.customer_id = od.customer_id
),
{_pct_ctes()},
s AS (
    SELECT j.*,
           p_frequency.pct AS s_frequency,
           p_recency.pct AS s_recency,
           p_tenure.pct AS s_tenure,
           p_repeat.pct AS s_repeat,
           coalesce(p_satisfaction.pct, $missing_sat) AS s_satisfaction,
           p_complaints.pct AS s_complaints
    FROM j
    LEFT JOIN p_frequency ON p_frequency.v = j.frequency
    LEFT JOIN p_recency ON p_recency.v = j.recency_days
    LEFT JOIN p_tenure ON p_tenure.v = j.tenure_days
    LEFT JOIN p_repeat ON p_repeat.v = j.repeat_share
    LEFT JOIN p_satisfaction ON p_satisfaction.v = j.mean_nps
    LEFT JOIN p_complaints ON p_complaints.v = j.complaints
),
scored AS (
    SELECT s.*, 100 * ({index_expr}) AS loyalty_index FROM s
),
banded AS (SELECT scored.*, {band_sql} AS band FROM scored)"""
    tr = Trace(con)
    defs = [
        Definition(name=f"weight_{k}", zh=WEIGHTS[k]["zh"], en=WEIGHTS[k]["en"], value=w[k]) for k in COMPONENTS
    ] + [
        Definition(
            name="loyalty_index",
            zh="忠诚度指数 = 100 × Σ 权重 × 分量;分量按中位秩百分位缩放到 0–1(最差 0、最好 1,并列取平均位置,仅一位客户时为 0.5)",
            en="loyalty index = 100 × Σ weight × component; components scaled 0–1 by mid-rank percentile (worst 0, best 1, ties share their average position, a lone customer 0.5)",
            value=w,
        ),
        Definition(
            name="missing_satisfaction",
            zh=TABLE["scaling"]["missing_satisfaction"]["zh"],
            en=TABLE["scaling"]["missing_satisfaction"]["en"],
            value=MISSING_SAT,
        ),
        Definition(
            name="bands",
            zh="等级:" + ",".join(f"{b['zh']} ≥ {b['min']}" for _, b in bands),
            en="bands: " + ", ".join(f"{b['en']} ≥ {b['min']}" for _, b in bands),
            value={k: b["min"] for k, b in bands},
        ),
        Definition(
            name="scored_customers",
            zh="只为窗口内至少有一笔已完成订单的客户评分",
            en="Only customers with at least one completed order in the window are scored",
        ),
    ]
    if args.by == "customer":
        comp_cols = [f"s_{k}" for k in COMPONENTS]
        pts = ", ".join(f"100 * $w_{k} * s_{k} AS points_{k}" for k in COMPONENTS)
        sql_c = (
            sql
            + f"""
SELECT customer_id, name, loyalty_index, band, frequency, recency_days, tenure_days, repeat_share, mean_nps,
       complaints, {", ".join(comp_cols)}, {pts},
       n AS scored_customers, (SELECT avg(loyalty_index) FROM scored) AS mean_index_all
FROM banded ORDER BY loyalty_index DESC, customer_id"""
            + (" LIMIT $lim" if args.limit else "")
        )
        if args.limit:
            params["lim"] = args.limit
        cols, raw = tr.query(sql_c, params)
        # The last two columns are over every scored customer, not only the listed ones.
        scored, mean_all = (raw[0][-2], raw[0][-1]) if raw else (0, None)
        cols, raw = cols[:-2], [r[:-2] for r in raw]
        bi = cols.index("band")
        rows = [[*r[:bi], BANDS[r[bi]]["zh"], BANDS[r[bi]]["en"], *r[bi + 1 :]] for r in raw]
        columns = [*cols[:bi], "band_zh", "band_en", *cols[bi + 1 :]]
        figures: dict[str, Any] = {"customers": scored, "listed": len(rows)}
        if rows:
            figures["mean_index"] = mean_all
        return ToolResult(
            as_of=scope.as_of,
            figures=figures,
            columns=columns,
            rows=rows,
            definitions=defs,
            sql=tr.sql,
            chart=Chart(kind="bar", x="customer_id", y="loyalty_index"),
        )

    gcol = GROUPS[args.group]["sql"]
    means = ", ".join(f"avg(s_{k}) AS mean_s_{k}" for k in COMPONENTS)
    sql_g = (
        sql
        + f"""
SELECT coalesce(CAST({gcol} AS VARCHAR), '(无)') AS grp, count(*) AS customers,
       count(*)::DOUBLE / any_value(n) AS share, avg(loyalty_index) AS mean_index,
       median(loyalty_index) AS median_index, {means}
FROM banded GROUP BY grp ORDER BY mean_index DESC, grp"""
    )
    cols, raw = tr.query(sql_g, params)
    if args.group == "band":
        rows = [[BANDS[r[0]]["zh"], BANDS[r[0]]["en"], *r[1:]] for r in raw]
        columns = ["band_zh", "band_en", *cols[1:]]
    else:
        rows, columns = raw, [args.group, *cols[1:]]
    n = sum(r[1] for r in raw)
    figures = {"customers": n, "mean_index": sum(r[1] * r[3] for r in raw) / n if n else None}
    if args.group == "band":
        for r in raw:
            figures[f"{r[0]}_customers"] = r[1]
    return ToolResult(
        as_of=scope.as_of,
        figures=figures,
        columns=columns,
        rows=rows,
        definitions=defs,
        sql=tr.sql,
        chart=Chart(kind="bar", x=columns[0], y="mean_index", title_zh="忠诚度指数", title_en="Loyalty index"),
        notes=[] if n else ["没有可评分的客户(窗口内无已完成订单) / no customer with a completed order in the window"],
    )
