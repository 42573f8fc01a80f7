"""The four customer types: 忠诚客户 Loyal, 潜在客户 Potential, 边缘客户 Marginal, 流失客户 Lost.

Methodology: customer classification by the state of the relationship (customer value and lifecycle aspects of
the six aspects of customer analysis); knowledge/docs/*/customer_types.md describes the same rules. Unlike RFM it
covers every customer, including those who signed up and never bought.

Rules, evaluated in this order; the first match decides (thresholds in tools/tables/customer_types.yaml):

1. Lost: has bought, but the last completed order is more than 180 days before ``as_of``.
2. Loyal: tenure (days since the first completed order) ≥ 365, RFM F score ≥ 4 and recency ≤ 90 days.
3. Potential: first completed order at most 365 days before ``as_of``, or RFM M score ≥ 4; also customers who
   never bought but signed up at most 180 days before ``as_of``.
4. Marginal: everyone else (buys rarely and little; or never bought and signed up long ago).

Only completed orders in the window (all history up to ``as_of`` unless a period is given) count. Customers who
signed up after ``as_of`` and have not bought are not customers yet and are left out. F and M scores are the rfm
tool's scores over all customers in the filters; ``customer_ids`` only chooses which customers are reported.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from tools.base import Chart, CommonFilters, Con, Definition, Scope, ToolResult, Trace, register
from tools.rfm import population_scope, rfm_ctes
from tools.tables import load

T = load("customer_types")
TH: dict[str, dict[str, Any]] = T["thresholds"]
TYPES: list[dict[str, str]] = T["types"]
RULES: list[dict[str, str]] = T["rules"]
# The SQL below implements these rules in this order; the YAML names and describes them.
if [r["key"] for r in RULES] != [
    "lost",
    "loyal",
    "new_buyer",
    "high_m",
    "new_signup",
    "marginal_buyer",
    "never_bought",
]:
    raise ValueError("tools/tables/customer_types.yaml: rules must keep the documented keys and order")


def _th(name: str) -> Any:
    return TH[name]["value"]


def _desc(name: str) -> str:
    return f"{TH[name]['zh']} / {TH[name]['en']}"


class CustomerTypesArgs(CommonFilters):
    """四类客户参数 / parameters of the four customer types."""

    by: Literal["segment", "customer"] = Field(
        "segment", description="segment=每类一行;customer=每个客户一行 / one row per type, or per customer"
    )
    lost_after_days: int = Field(_th("lost_after_days"), ge=1, description=_desc("lost_after_days"))
    loyal_min_tenure_days: int = Field(_th("loyal_min_tenure_days"), ge=0, description=_desc("loyal_min_tenure_days"))
    loyal_min_f_score: int = Field(_th("loyal_min_f_score"), ge=1, le=5, description=_desc("loyal_min_f_score"))
    loyal_max_recency_days: int = Field(
        _th("loyal_max_recency_days"), ge=0, description=_desc("loyal_max_recency_days")
    )
    potential_first_order_within_days: int = Field(
        _th("potential_first_order_within_days"), ge=0, description=_desc("potential_first_order_within_days")
    )
    potential_min_m_score: int = Field(
        _th("potential_min_m_score"), ge=1, le=5, description=_desc("potential_min_m_score")
    )
    potential_signup_within_days: int = Field(
        _th("potential_signup_within_days"), ge=0, description=_desc("potential_signup_within_days")
    )
    limit: int = Field(
        int(T["defaults"]["limit"]),
        ge=1,
        le=1_000_000,
        description="按客户输出时最多返回的行数(按收入降序) / max rows with by=customer, largest revenue first",
    )
    top_per_type: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="按客户输出时每类只取收入最高的这么多位(默认不限) / by=customer: only each type's this many "
        "largest buyers (default: no cut)",
    )


THRESHOLD_NAMES = tuple(TH)
# The columns of the by=customer rows (the last one, reported, is read into the figures and dropped).
COLUMNS = (
    "customer_id",
    "type_zh",
    "type_en",
    "rule",
    "signup_date",
    "first_order",
    "last_order",
    "tenure_days",
    "recency_days",
    "frequency",
    "monetary",
    "f_score",
    "m_score",
    "reported",
)


def classification(scope: Scope, args: CustomerTypesArgs) -> tuple[str, dict[str, Any]]:
    """CTEs after the scope's, ending in ``ct_typed`` (every customer in scope with its rule and type_key), and the
    parameters they read (``as_of`` included). One definition: the tool reads it, and the business review keeps
    its rows on the engine for the sections that read the same window (assistant/report/shared_pass.py)."""
    rfm_sql, rfm_params = rfm_ctes(scope, "mean", (None, None, None))
    params: dict[str, Any] = {
        **scope.params,
        **rfm_params,
        "as_of": scope.as_of,
        "rule_keys": [r["key"] for r in RULES],
        "rule_type": [r["type"] for r in RULES],
        **{name: getattr(args, name) for name in THRESHOLD_NAMES},
    }
    return _ctes(rfm_sql), params


def _ctes(rfm_sql: str) -> str:
    return f"""{rfm_sql},
ct AS (
    SELECT c.customer_id, c.signup_date, r.first_order, r.last_order,
           date_diff('day', r.first_order, $as_of) AS tenure_days, r.recency, r.frequency, r.monetary,
           r.f_score, r.m_score, r.customer_id IS NOT NULL AS bought,
           CASE
               WHEN bought AND r.recency > $lost_after_days THEN 'lost'
               WHEN bought AND tenure_days >= $loyal_min_tenure_days AND r.f_score >= $loyal_min_f_score
                    AND r.recency <= $loyal_max_recency_days THEN 'loyal'
               WHEN bought AND tenure_days <= $potential_first_order_within_days THEN 'new_buyer'
               WHEN bought AND r.m_score >= $potential_min_m_score THEN 'high_m'
               WHEN NOT bought AND date_diff('day', c.signup_date, $as_of) <= $potential_signup_within_days
                    THEN 'new_signup'
               WHEN bought THEN 'marginal_buyer'
               ELSE 'never_bought'
           END AS rule
    FROM f_customers c LEFT JOIN rfm_classed r ON r.customer_id = c.customer_id
    WHERE c.signup_date <= $as_of OR r.customer_id IS NOT NULL
),
ct_typed AS (
    SELECT *, $rule_type[list_position($rule_keys, rule)] AS type_key FROM ct
)"""


@register(
    "customer_types",
    "四类客户:按明确规则把每位客户分为忠诚客户、潜在客户、边缘客户、流失客户(依据 RFM 分、客龄、最近购买与注册时间,阈值可调),并给出每类的建议对策。",
    "The four customer types: every customer classified as loyal, potential, marginal or lost by explicit rules "
    "(RFM scores, tenure, recency, sign-up date; thresholds configurable), with the recommended treatment for each.",
    CustomerTypesArgs,
    examples=("忠诚客户有多少", "流失客户名单", "How many lost customers do we have?"),
)
def customer_types(con: Con, args: CustomerTypesArgs) -> ToolResult:
    """Classify customers into the four types. See the module docstring for the rules."""
    scope, report_where, report_params = population_scope(con, args)
    ctes, params = classification(scope, args)
    params.update(report_params)
    head = f"WITH {scope.ctes()},\n{ctes}\n"
    tr = Trace(con)
    figures: dict[str, Any] = {"as_of": scope.as_of, "start": scope.start, "end": scope.end}
    notes: list[str] = []
    if args.by == "customer":
        select = """SELECT customer_id, $type_zh[list_position($type_keys, type_key)] AS type_zh,
       $type_en[list_position($type_keys, type_key)] AS type_en, rule, signup_date, first_order, last_order,
       tenure_days, recency AS recency_days, frequency, monetary, f_score, m_score, count(*) OVER () AS reported"""
        order = "ORDER BY monetary DESC NULLS LAST, customer_id"
        if args.top_per_type is None:
            sql = head + f"{select}\nFROM ct_typed WHERE {report_where}\n{order}\nLIMIT $limit"
        else:
            # Each type's largest buyers cut on the engine (the business review's action lists), so a long list
            # never reaches Python: one top-n per type (a small heap each, not a sort of every customer) over the
            # classification computed once; reported still counts every customer in the filters.
            one_type = select.replace(
                "count(*) OVER () AS reported", f"(SELECT count(*) FROM ct_typed WHERE {report_where}) AS reported"
            )
            tops = "\nUNION ALL\n".join(
                f"(SELECT * FROM ({one_type}\nFROM ct_typed WHERE {report_where} AND type_key = $type_keys[{i}]\n"
                f"{order}\nLIMIT $top_per_type))"
                for i in range(1, len(TYPES) + 1)
            )
            sql = (
                head.replace("ct_typed AS (", "ct_typed AS MATERIALIZED (")
                + f"SELECT {', '.join(COLUMNS)} FROM (\n{tops}\n)\n{order}\nLIMIT $limit"
            )
        p = {
            **params,
            "limit": args.limit,
            **({} if args.top_per_type is None else {"top_per_type": args.top_per_type}),
            "type_keys": [t["key"] for t in TYPES],
            "type_zh": [t["zh"] for t in TYPES],
            "type_en": [t["en"] for t in TYPES],
        }
        cols, raw = tr.query(sql, p)
        columns = cols[:-1]
        rows = [[*r[:10], None if r[10] is None else float(r[10]), *r[11:-1]] for r in raw]
        reported = int(raw[0][-1]) if raw else 0
        figures.update(customers=reported, rows_returned=len(rows), truncated=reported > len(rows))
        chart = Chart(
            kind="scatter",
            x="recency_days",
            y="monetary",
            color="type_zh",
            title_zh="四类客户",
            title_en="Customer types",
        )
    else:
        sql = (
            head
            + f"""SELECT type_key, count(*) AS n, count(*) FILTER (WHERE NOT bought) AS never_bought,
       coalesce(sum(monetary), 0) AS revenue, avg(recency) AS mean_recency, avg(frequency) AS mean_frequency,
       avg(CAST(monetary AS DOUBLE)) AS mean_monetary
FROM ct_typed WHERE {report_where}
GROUP BY type_key"""
        )
        _, raw = tr.query(sql, params)
        got = {r[0]: r for r in raw}
        n_total = sum(int(r[1]) for r in raw)
        rev_total = float(sum(r[3] for r in raw))  # exact decimal sum: the same whatever order the groups come in
        columns = [
            "type_zh",
            "type_en",
            "customers",
            "customer_share",
            "never_bought",
            "revenue",
            "revenue_share",
            "mean_recency",
            "mean_frequency",
            "mean_monetary",
            "treatment_zh",
            "treatment_en",
        ]
        rows = []
        for t in TYPES:
            g = got.get(t["key"])
            n = int(g[1]) if g else 0
            rev = float(g[3]) if g else 0.0
            rows.append(
                [
                    t["zh"],
                    t["en"],
                    n,
                    round(n / n_total, 6) if n_total else None,
                    int(g[2]) if g else 0,
                    rev,
                    round(rev / rev_total, 6) if rev_total else None,
                    None if not g or g[4] is None else round(float(g[4]), 2),
                    None if not g or g[5] is None else round(float(g[5]), 3),
                    None if not g or g[6] is None else round(float(g[6]), 2),
                    t["treatment_zh"],
                    t["treatment_en"],
                ]
            )
        figures.update(customers=n_total, revenue=rev_total)
        figures.update({f"{t['key']}_customers": r[2] for t, r in zip(TYPES, rows, strict=True)})
        chart = Chart(kind="pie", x="type_zh", y="customers", title_zh="四类客户构成", title_en="Customer types")
        if not n_total:
            notes.append("筛选范围内没有客户 / no customers in the filters")
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


def _definitions(args: CustomerTypesArgs) -> list[Definition]:
    defs = [
        Definition(name=name, zh=TH[name]["zh"], en=TH[name]["en"], value=getattr(args, name))
        for name in THRESHOLD_NAMES
    ]
    names = {t["key"]: t for t in TYPES}
    for i, r in enumerate(RULES, 1):
        t = names[r["type"]]
        defs.append(
            Definition(
                name=f"rule{i}:{r['key']}",
                zh=f"{i}. {t['zh']}:{r['zh']}",
                en=f"{i}. {t['en']}: {r['en']}",
                value=r["type"],
            )
        )
    defs.append(
        Definition(
            name="scores",
            zh="F、M 分为 RFM 的 1–5 分(五分位,按排名,并列取最小名次)",
            en="F and M scores are the RFM 1–5 quintile scores (by rank, ties share the lowest rank)",
        )
    )
    for t in TYPES:
        defs.append(
            Definition(
                name=f"treatment:{t['key']}", zh=f"{t['zh']}:{t['treatment_zh']}", en=f"{t['en']}: {t['treatment_en']}"
            )
        )
    return defs
