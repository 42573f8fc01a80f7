"""Customer satisfaction: NPS, CSAT and CES with 95 % confidence intervals.

Methodology: "how satisfied they are", one of the six aspects of customer
analysis (customer satisfaction and loyalty). Definitions, over survey responses
dated in the period (all history up to as_of unless a period is given):

- NPS = % promoters (score 9–10) − % detractors (0–6), from −100 to 100; 95 % CI by
  the normal approximation on the +1/0/−1 scores: NPS ± z·sqrt((p + d − (p − d)²)/n).
- CSAT = % of responses scoring 4–5 on 1–5; 95 % CI by the Wilson score interval.
- CES = mean on 1–7 (lower is easier); 95 % CI mean ± z·s/sqrt(n) (sample s.d.).

Views: ``summary`` (overall), ``by`` (one row per value of a dimension: region,
city, industry, size, rep, acquisition_channel, month), ``trend`` (by month) and
``extremes`` (the 20 % most and least satisfied customers, ranked by mean NPS
score, ties by mean CSAT then customer id, and how their profile — region,
industry, size, revenue tier, complaints, revenue — differs from all customers
in scope; ``by="customer"`` lists at most ``limit`` customers per group, most
extreme first, while group sizes and mean NPS cover the whole group). Each score
counts only the responses that answered it (n per score). With a category or
channel filter, only customers who bought in that category or channel in the
period count. Thresholds live in ``tools/tables/satisfaction.yaml``.

How it scales: the intervals need only per-group counts (responses, promoters, detractors, satisfied), the mean
and the sample standard deviation of CES, which the engine aggregates (``GROUP BY``); Python receives one row
per group and computes the intervals from those, whatever the number of responses or customers. ``extremes``
ranks customers on the engine too (window functions) and returns the profile sums, or at most ``limit``
customers per group; nothing per customer comes to Python beyond what is listed.
"""

from __future__ import annotations

import math
from typing import Any, Literal

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

TABLE = load("satisfaction")
TH = TABLE["thresholds"]
DEFAULT_LIMIT = int(TABLE["defaults"]["limit"])
DIMS: dict[str, dict[str, str]] = TABLE["dimensions"]
VIEWS = ("summary", "by", "trend", "extremes")
BYS = ("segment", "customer")


class SatisfactionArgs(CommonFilters):
    """满意度分析参数 / satisfaction analysis parameters."""

    view: Literal["summary", "by", "trend", "extremes"] = Field(
        "summary",
        description="视图:summary 总体,by 按维度,trend 月度趋势,extremes 最满意/最不满意客户 / view: summary, by (a dimension), trend (monthly), extremes (most/least satisfied customers)",
    )
    dimension: Literal["region", "city", "industry", "size", "rep", "acquisition_channel", "month"] = Field(
        "region", description="view=by 时的分组维度 / grouping dimension for view=by"
    )
    share: float | None = Field(
        None,
        description=f"extremes 视图中最满意、最不满意客户各占比例,默认 {TH['extreme_share']['value']} / share of customers in each extreme group, default {TH['extreme_share']['value']}",
    )
    by: Literal["segment", "customer"] = Field(
        "segment",
        description="extremes 视图:segment 输出画像对比,customer 输出客户名单 / extremes view: segment gives the profile comparison, customer the customer list",
    )
    limit: int = Field(
        DEFAULT_LIMIT,
        description=f"extremes 且 by=customer 时每组最多列出的客户数(最极端的在前),默认 {DEFAULT_LIMIT} / "
        f"extremes with by=customer: at most this many customers listed per group, most extreme first, "
        f"default {DEFAULT_LIMIT}",
    )

    _v = one_of("view", VIEWS)
    _d = one_of("dimension", list(DIMS))
    _b = one_of("by", BYS)
    _l = at_least("limit", 1)


def nps_ci(promoters: int, detractors: int, n: int, z: float) -> tuple[float | None, float | None, float | None]:
    """NPS and its normal-approximation interval on the +1/0/−1 scores, in points (−100..100).

    >>> nps_ci(5, 1, 10, 1.96)[0]
    40.0
    """
    if n == 0:
        return None, None, None
    p, d = promoters / n, detractors / n
    score = p - d
    se = math.sqrt(max(p + d - score**2, 0.0) / n)
    return 100 * score, 100 * max(-1.0, score - z * se), 100 * min(1.0, score + z * se)


def wilson_ci(k: int, n: int, z: float) -> tuple[float | None, float | None, float | None]:
    """Share k/n in percent with its Wilson score interval."""
    if n == 0:
        return None, None, None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return 100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def mean_ci(mean: float | None, sd: float | None, n: int, z: float) -> tuple[float | None, float | None, float | None]:
    """Mean with a normal-approximation interval (needs n ≥ 2 for a standard deviation)."""
    if n == 0 or mean is None:
        return None, None, None
    if n < 2 or sd is None:
        return float(mean), None, None
    half = z * sd / math.sqrt(n)
    return float(mean), float(mean) - half, float(mean) + half


def _responses_cte(scope: Scope, args: CommonFilters) -> str:
    conds = ["s.survey_date <= $f_end"]
    if scope.start:
        conds.append("s.survey_date >= $f_start")
    if args.category or args.channel:
        conds.append("s.customer_id IN (SELECT customer_id FROM f_lines WHERE status = 'completed')")
    return f"""resp AS (
    SELECT s.*, c.region, c.city, c.industry, c.size, c.acquisition_channel, c.rep_id AS customer_rep_id
    FROM surveys s JOIN f_customers c ON c.customer_id = s.customer_id
    WHERE {" AND ".join(conds)}
)"""


METRIC_COLS = [
    "responses",
    "nps_n",
    "nps",
    "nps_ci_low",
    "nps_ci_high",
    "promoters_pct",
    "detractors_pct",
    "csat_n",
    "csat",
    "csat_ci_low",
    "csat_ci_high",
    "ces_n",
    "ces",
    "ces_ci_low",
    "ces_ci_high",
]


def _metrics(rec: dict[str, Any], z: float) -> list[Any]:
    n = rec["nps_n"]
    nps, nlo, nhi = nps_ci(rec["promoters"], rec["detractors"], n, z)
    csat, clo, chi = wilson_ci(rec["csat_ok"], rec["csat_n"], z)
    ces, elo, ehi = mean_ci(rec["ces_mean"], rec["ces_sd"], rec["ces_n"], z)
    return [
        rec["responses"],
        n,
        nps,
        nlo,
        nhi,
        100 * rec["promoters"] / n if n else None,
        100 * rec["detractors"] / n if n else None,
        rec["csat_n"],
        csat,
        clo,
        chi,
        rec["ces_n"],
        ces,
        elo,
        ehi,
    ]


def _definitions(z: float, prom: int, det: int, csat_min: int) -> list[Definition]:
    return [
        Definition(
            name="nps",
            zh=f"NPS = 推荐者(打分 {prom}–10)占比 − 贬损者(0–{det})占比,取值 −100 到 100;95% 置信区间用 +1/0/−1 得分的正态近似",
            en=f"NPS = % promoters ({prom}–10) − % detractors (0–{det}), −100 to 100; 95% CI by the normal approximation on +1/0/−1 scores",
            value={"promoter_min": prom, "detractor_max": det},
        ),
        Definition(
            name="csat",
            zh=f"CSAT = 打分 {csat_min}–5 的回答占比(1–5 分制);95% 置信区间用 Wilson 区间",
            en=f"CSAT = % of responses scoring {csat_min}–5 on 1–5; 95% CI by the Wilson interval",
            value={"satisfied_min": csat_min},
        ),
        Definition(
            name="ces",
            zh="CES = 1–7 分的平均值,越低越省力;95% 置信区间为均值 ± z·标准差/√n",
            en="CES = mean on 1–7, lower is easier; 95% CI mean ± z·s/√n",
        ),
        Definition(name="z", zh=TH["z"]["zh"], en=TH["z"]["en"], value=z),
        Definition(
            name="response_window",
            zh="统计期间内(未指定开始日期时为 as_of 之前的全部历史)的问卷回答;每个指标只计回答了该题的问卷",
            en="Survey responses dated in the period (all history up to as_of when no start is given); each score counts only responses that answered it",
        ),
    ]


@register(
    "satisfaction",
    "客户满意度:NPS、CSAT、CES 及 95% 置信区间,可按维度、按月,及最满意/最不满意客户画像",
    "Customer satisfaction: NPS, CSAT, CES with 95% CIs, by any dimension, monthly trend, and the most/least satisfied customers' profile",
    SatisfactionArgs,
    examples=("华东区的 NPS 是多少?", "Show the monthly NPS trend", "最不满意的客户有什么特征?"),
)
def satisfaction(con: Con, args: SatisfactionArgs) -> ToolResult:
    z = float(TH["z"]["value"])
    prom, det = int(TH["promoter_min"]["value"]), int(TH["detractor_max"]["value"])
    csat_min = int(TH["csat_satisfied_min"]["value"])
    share = TH["extreme_share"]["value"] if args.share is None else args.share
    if not 0 < share <= 0.5:
        raise InputError(
            f"share 必须在 0 到 0.5 之间(如 0.2 表示各取 20%),收到 {share}。",
            f"share must be between 0 and 0.5 (0.2 means 20% each), got {share}.",
        )
    scope = resolve_scope(con, args)
    params: dict[str, Any] = {**scope.params, "prom": prom, "det": det, "csat_min": csat_min}
    tr = Trace(con)
    definitions = _definitions(z, prom, det, csat_min)
    arguments = args.model_dump(mode="json", exclude_none=True)
    if args.view == "extremes":
        return _extremes(con, args, scope, params, share, tr, definitions, arguments)

    if args.view == "summary":
        group_sql, dim = "'全部 / All'", None
    else:
        dim = "month" if args.view == "trend" else args.dimension
        group_sql = f"coalesce(CAST({DIMS[dim]['sql']} AS VARCHAR), '(无)')"
    sql = f"""
WITH {scope.ctes(products=False)},
{_responses_cte(scope, args)}
SELECT {group_sql} AS grp,
       count(*) AS responses,
       count(s.nps) AS nps_n,
       count(*) FILTER (WHERE s.nps >= $prom) AS promoters,
       count(*) FILTER (WHERE s.nps <= $det) AS detractors,
       count(s.csat) AS csat_n,
       count(*) FILTER (WHERE s.csat >= $csat_min) AS csat_ok,
       count(s.ces) AS ces_n,
       avg(s.ces) AS ces_mean,
       stddev_samp(s.ces) AS ces_sd
FROM resp s
GROUP BY ALL
ORDER BY grp
"""
    cols, raw = tr.query(sql, params)
    rows = []
    for r in raw:
        rec = dict(zip(cols, r, strict=True))
        rows.append([rec["grp"], *_metrics(rec, z)])
    if args.view == "summary" and (not rows or rows[0][1] == 0):
        rows = []
    columns = ["group" if dim is None else dim, *METRIC_COLS]
    figures: dict[str, Any] = {"groups": len(rows), "responses": sum(r[1] for r in rows)}
    if args.view == "summary":
        rec = dict(zip(columns, rows[0], strict=True)) if rows else {}
        for k in ("nps", "nps_ci_low", "nps_ci_high", "csat", "csat_ci_low", "csat_ci_high", "ces"):
            figures[k] = rec.get(k)
        figures["ces_ci_low"], figures["ces_ci_high"] = rec.get("ces_ci_low"), rec.get("ces_ci_high")
        figures["nps_n"], figures["csat_n"], figures["ces_n"] = (
            rec.get("nps_n", 0),
            rec.get("csat_n", 0),
            rec.get("ces_n", 0),
        )
    chart = (
        Chart(
            kind="line", x="month", y=["nps", "csat"], title_zh="满意度月度趋势", title_en="Monthly satisfaction trend"
        )
        if args.view == "trend"
        else Chart(kind="bar", x=columns[0], y="nps", title_zh="NPS", title_en="NPS")
    )
    if dim is not None:
        definitions.append(
            Definition(name="dimension", zh=f"按{DIMS[dim]['zh']}分组", en=f"grouped by {DIMS[dim]['en']}", value=dim)
        )
    notes = [] if rows else ["期间内没有问卷回答 / no survey responses in the period"]
    return ToolResult(
        arguments=arguments,
        as_of=scope.as_of,
        figures=figures,
        columns=columns,
        rows=rows,
        definitions=definitions,
        sql=tr.sql,
        chart=chart,
        notes=notes,
    )


def _extremes(
    con: Con,
    args: SatisfactionArgs,
    scope: Scope,
    params: dict[str, Any],
    share: float,
    tr: Trace,
    definitions: list[Definition],
    arguments: dict[str, Any],
) -> ToolResult:
    tiers = TABLE["tiers"]
    t1, t2 = TH["strategic_share"]["value"], TH["key_share"]["value"]
    params = {k: v for k, v in params.items() if k not in ("prom", "det", "csat_min")}
    params.update(share=share, t1=t1, t2=t2)
    tick = ["t.kind = 'complaint'", "CAST(t.created_at AS DATE) <= $f_end"]
    if scope.start:
        tick.append("CAST(t.created_at AS DATE) >= $f_start")
    base = f"""
WITH {scope.ctes(products=False)},
{_responses_cte(scope, args)},
cust AS (
    SELECT customer_id, avg(nps) AS mean_nps, avg(csat) AS mean_csat, count(*) AS responses
    FROM resp GROUP BY customer_id HAVING count(nps) > 0
),
ranked AS MATERIALIZED (
    SELECT *,
           row_number() OVER (ORDER BY mean_nps DESC, mean_csat DESC NULLS LAST, customer_id) AS pos_top,
           row_number() OVER (ORDER BY mean_nps ASC, mean_csat ASC NULLS LAST, customer_id) AS pos_bottom,
           ceil($share * count(*) OVER ()) AS k
    FROM cust
),
{scope.order_values_cte(con)},
rev AS (
    -- per order first (the derived order_totals when current): the same exact sums as over the lines
    SELECT customer_id, sum(revenue)::DOUBLE AS revenue FROM f_order_values GROUP BY customer_id
),
comp AS (
    SELECT t.customer_id, count(*) AS complaints FROM tickets t WHERE {" AND ".join(tick)} GROUP BY t.customer_id
),
pos AS (
    SELECT c.customer_id, c.region, c.industry, c.size,
           coalesce(rev.revenue, 0) AS revenue, coalesce(comp.complaints, 0) AS complaints,
           row_number() OVER (ORDER BY coalesce(rev.revenue, 0) DESC, c.customer_id) AS rpos,
           count(rev.revenue) FILTER (WHERE rev.revenue > 0) OVER () AS npos
    FROM f_customers c
    LEFT JOIN rev ON rev.customer_id = c.customer_id
    LEFT JOIN comp ON comp.customer_id = c.customer_id
),
prof AS MATERIALIZED (
    SELECT customer_id, region, industry, size, revenue, complaints,
           CASE WHEN revenue > 0 AND rpos <= ceil($t1 * npos) THEN '{tiers["strategic"]["zh"]}'
                WHEN revenue > 0 AND rpos <= ceil($t2 * npos) THEN '{tiers["key"]["zh"]}'
                ELSE '{tiers["regular"]["zh"]}' END AS tier
    FROM pos
),
grouped AS (
    SELECT 'most' AS grp, r.pos_top AS gpos, r.mean_nps, r.mean_csat, r.responses, p.*
    FROM ranked r JOIN prof p USING (customer_id)
    WHERE r.pos_top <= r.k
    UNION ALL
    SELECT 'least' AS grp, r.pos_bottom, r.mean_nps, r.mean_csat, r.responses, p.*
    FROM ranked r JOIN prof p USING (customer_id)
    WHERE r.pos_bottom <= r.k
    UNION ALL
    SELECT 'all' AS grp, NULL, NULL, NULL, NULL, p.* FROM prof p
)"""
    tier_en = {v["zh"]: v["en"] for v in tiers.values()}
    definitions += [
        Definition(
            name="extremes",
            zh=f"有 NPS 回答的客户按平均 NPS 打分排序(并列看平均 CSAT,再按客户编号),最高与最低各 {share:.0%}(向上取整)",
            en=f"Customers with NPS answers ranked by mean NPS score (ties by mean CSAT, then customer id); top and bottom {share:.0%} each (rounded up)",
            value=share,
        ),
        Definition(
            name="tier",
            zh=f"大客户分层(期间销售额排名):前 {t1:.0%} 为战略,至前 {t2:.0%} 为重点,其余(含无销售额)为普通",
            en=f"Tier by revenue rank in the period: top {t1:.0%} Strategic, up to top {t2:.0%} Key, the rest (and no revenue) Regular",
            value={"strategic": t1, "key": t2},
        ),
        Definition(
            name="profile_base",
            zh="对比基准“全部客户”为筛选范围内的全部客户;投诉数为期间内 kind=complaint 的工单数",
            en="'All customers' are every customer in scope; complaints are tickets of kind complaint created in the period",
        ),
    ]
    if args.by == "customer":
        return _extremes_customers(args, scope, params, tr, definitions, arguments, base, tier_en)

    sql = (
        base
        + """,
sizes AS (SELECT grp, count(*) AS n FROM grouped GROUP BY grp),
cats AS (
    SELECT grp, 'region' AS attribute, coalesce(region, '(无)') AS value, count(*) AS cnt FROM grouped GROUP BY ALL
    UNION ALL SELECT grp, 'industry', coalesce(industry, '(无)'), count(*) FROM grouped GROUP BY ALL
    UNION ALL SELECT grp, 'size', coalesce(size, '(无)'), count(*) FROM grouped GROUP BY ALL
    UNION ALL SELECT grp, 'tier', tier, count(*) FROM grouped GROUP BY ALL
)
SELECT c.grp, c.attribute, c.value, c.cnt::DOUBLE / s.n AS v FROM cats c JOIN sizes s USING (grp)
UNION ALL
SELECT grp, 'revenue_mean', '', avg(revenue) FROM grouped GROUP BY grp
UNION ALL
SELECT grp, 'complaints_mean', '', avg(complaints) FROM grouped GROUP BY grp
UNION ALL
SELECT grp, 'complained_share', '', avg(CASE WHEN complaints > 0 THEN 1 ELSE 0 END) FROM grouped GROUP BY grp
UNION ALL
SELECT grp, 'mean_nps', '', avg(mean_nps) FROM grouped WHERE grp <> 'all' GROUP BY grp
UNION ALL
SELECT grp, 'customers', '', count(*) FROM grouped GROUP BY grp"""
    )
    _, raw = tr.query(sql, params)
    table: dict[tuple[str, str], dict[str, float]] = {}
    for grp, attribute, value, v in raw:
        table.setdefault((attribute, value), {})[grp] = float(v) if v is not None else None
    order = [
        "customers",
        "mean_nps",
        "revenue_mean",
        "complaints_mean",
        "complained_share",
        "tier",
        "region",
        "industry",
        "size",
    ]
    keys = sorted(table, key=lambda k: (order.index(k[0]), k[1]))
    rows = []
    for attribute, value in keys:
        g = table[(attribute, value)]
        most, least, allv = g.get("most", 0.0), g.get("least", 0.0), g.get("all", 0.0)
        if attribute in ("customers", "mean_nps", "revenue_mean", "complaints_mean", "complained_share"):
            most, least, allv = g.get("most"), g.get("least"), g.get("all")
        label_en = tier_en.get(value, value) if attribute == "tier" else value
        rows.append(
            [
                attribute,
                value,
                label_en,
                most,
                least,
                allv,
                None if most is None or allv is None else most - allv,
                None if least is None or allv is None else least - allv,
            ]
        )
    columns = ["attribute", "value", "value_en", "most", "least", "all", "most_minus_all", "least_minus_all"]
    figures = {}
    for attribute in ("customers", "mean_nps", "revenue_mean", "complaints_mean"):
        g = table.get((attribute, ""), {})
        for grp in ("most", "least", "all"):
            if grp in g:
                figures[f"{grp}_{attribute}"] = g[grp]
    figures.setdefault("most_customers", 0.0)
    figures.setdefault("least_customers", 0.0)
    return ToolResult(
        arguments=arguments,
        as_of=scope.as_of,
        figures=figures,
        columns=columns,
        rows=rows,
        definitions=definitions,
        sql=tr.sql,
        chart=Chart(
            kind="bar",
            x="value",
            y=["most", "least", "all"],
            title_zh="最满意/最不满意客户画像",
            title_en="Profile of the most and least satisfied customers",
        ),
    )


def _extremes_customers(
    args: SatisfactionArgs,
    scope: Scope,
    params: dict[str, Any],
    tr: Trace,
    definitions: list[Definition],
    arguments: dict[str, Any],
    base: str,
    tier_en: dict[str, str],
) -> ToolResult:
    """The customers of each extreme group, at most ``limit`` per group (most extreme first).

    A 20 % group is ~200k customers at 1M: the list is cut, while the group size and mean NPS (windows taken
    before QUALIFY cuts) still cover the whole group.
    """
    groups = TABLE["groups"]
    sql = (
        base
        + """
SELECT customer_id, grp, mean_nps, mean_csat, responses, region, industry, size, tier, complaints, revenue,
       count(*) OVER (PARTITION BY grp) AS group_n, avg(mean_nps) OVER (PARTITION BY grp) AS group_mean_nps
FROM grouped WHERE grp <> 'all'
QUALIFY gpos <= $limit
ORDER BY grp DESC, gpos"""
    )
    _, raw = tr.query(sql, {**params, "limit": args.limit})
    rows = [[r[0], groups[r[1]]["zh"], groups[r[1]]["en"], *r[2:8], r[8], tier_en[r[8]], r[9], r[10]] for r in raw]
    columns = [
        "customer_id",
        "group_zh",
        "group_en",
        "mean_nps",
        "mean_csat",
        "responses",
        "region",
        "industry",
        "size",
        "tier_zh",
        "tier_en",
        "complaints",
        "revenue",
    ]
    figures: dict[str, Any] = {}
    notes: list[str] = []
    for grp in ("most", "least"):
        mine = [r for r in raw if r[1] == grp]
        total = int(mine[0][11]) if mine else 0
        figures[f"{grp}_customers"] = total
        figures[f"{grp}_listed"] = len(mine)
        figures[f"{grp}_mean_nps"] = float(mine[0][12]) if mine else None
        if total > len(mine):
            g = groups[grp]
            notes.append(
                f"{g['zh']}组共 {total} 位客户,只列出最极端的 {len(mine)} 位(limit={args.limit}) / "
                f"{g['en']}: {len(mine)} of {total} customers listed, the most extreme first (limit={args.limit})"
            )
    figures["limit"] = args.limit
    figures["truncated"] = bool(notes)
    return ToolResult(
        arguments=arguments,
        as_of=scope.as_of,
        figures=figures,
        columns=columns,
        rows=rows,
        definitions=definitions,
        sql=tr.sql,
        chart=Chart(kind="table", x="customer_id", y="mean_nps"),
        notes=notes,
    )
