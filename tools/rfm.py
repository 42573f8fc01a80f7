"""RFM analysis: Recency, Frequency, Monetary per customer, 1–5 quintile scores, two segment schemes.

Methodology: customer *value* analysis (one of the six aspects of customer analysis: who the customers are,
what they are worth, how satisfied, how loyal, how profitable, how creditworthy). RFM is its workhorse: how
recently a customer bought, how often, and how much.

Definitions (shared with the methodology documents; the numbers live in tools/tables/rfm.yaml):

- Window: all history up to ``as_of`` unless a period (start/end) is given. Only completed orders count.
- R = days from the customer's last completed order to ``as_of``; F = distinct completed orders in the window;
  M = completed revenue in the window (sum of order_items.amount). Only customers with at least one completed
  order in the window are scored.
- Scores 1–5: ``score = 1 + floor(5 × (rank − 1) / n)``, rank = RANK() (ties share the lowest rank) over the
  ascending goodness order: R by days descending, F and M ascending. 5 is best.
- 8-class scheme: R, F, M each high or low against a threshold on the raw values (mean by default, median or
  fixed values selectable). R is high when days ≤ threshold; F and M are high when value ≥ threshold.
- English scheme from the R and F scores (Champions … Lost), a fixed 5 × 5 grid.

``customer_ids`` chooses which customers are *reported*; scores and thresholds are always relative to all
customers in the other filters (a single customer scored against itself would always get 1).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, model_validator

from assistant.core.errors import InputError
from tools.base import (
    Chart,
    CommonFilters,
    Con,
    Definition,
    Scope,
    ToolResult,
    Trace,
    register,
    resolve_scope,
)
from tools.tables import load

T = load("rfm")
DEFAULTS: dict[str, Any] = T["defaults"]
CLASSES8: list[dict[str, str]] = T["classes8"]
RF11: list[dict[str, Any]] = T["rf11"]
BINS: int = int(T["scores"]["bins"])
AGGREGATES = {"mean": "avg", "median": "median"}  # threshold method -> SQL aggregate (whitelist)
METHOD_ZH = {"mean": "均值", "median": "中位数", "fixed": "固定值"}


def _class8_lookup() -> list[int]:
    """Position in CLASSES8 for index ``1 + 4·m_low + 2·r_low + f_low`` (SQL lists are 1-based)."""
    out: list[int | None] = [None] * 8
    for i, c in enumerate(CLASSES8):
        k = 4 * (c["m"] == "low") + 2 * (c["r"] == "low") + (c["f"] == "low")
        if out[k] is not None:
            raise ValueError(f"rfm.yaml classes8: {c['zh']} duplicates another class's R/F/M levels")
        out[k] = i
    if None in out:
        raise ValueError("rfm.yaml classes8 must cover all 8 high/low combinations")
    return [int(x) for x in out if x is not None]


def _rf_grid() -> list[int]:
    """Position in RF11 for each (R, F) cell, at index ``(r − 1)·5 + (f − 1)``."""
    out: list[int | None] = [None] * (BINS * BINS)
    for i, seg in enumerate(RF11):
        for r_scores, f_scores in seg["cells"]:
            for r in r_scores:
                for f in f_scores:
                    k = (r - 1) * BINS + (f - 1)
                    if out[k] is not None:
                        raise ValueError(f"rfm.yaml rf11: cell R{r} F{f} belongs to two segments")
                    out[k] = i
    if None in out:
        raise ValueError("rfm.yaml rf11 must cover every R/F score cell")
    return [int(x) for x in out if x is not None]


CLASS8_INDEX = _class8_lookup()
RF_GRID = _rf_grid()


class RfmArgs(CommonFilters):
    """RFM 分析参数 / RFM analysis parameters."""

    by: Literal["segment", "customer"] = Field(
        "segment", description="segment=每个分群一行;customer=每个客户一行 / one row per segment, or per customer"
    )
    scheme: Literal["rfm8", "rf11"] = Field(
        DEFAULTS["scheme"],
        description="分群方案:rfm8=八类(重要价值…一般挽留),rf11=英文常用 11 类(Champions…Lost) / segment scheme",
    )
    threshold: Literal["mean", "median", "fixed"] = Field(
        DEFAULTS["threshold"],
        description="八类方案中 R/F/M 高低的划分:均值、中位数或固定值 / how R, F, M are split high/low: mean, median or fixed",
    )
    r_threshold: float | None = Field(
        None, ge=0, description="固定 R 阈值(天,≤ 为高) / fixed recency threshold in days (≤ is high)"
    )
    f_threshold: float | None = Field(
        None, ge=0, description="固定 F 阈值(订单数,≥ 为高) / fixed frequency threshold (≥ is high)"
    )
    m_threshold: float | None = Field(
        None, ge=0, description="固定 M 阈值(元,≥ 为高) / fixed monetary threshold in CNY (≥ is high)"
    )
    limit: int = Field(
        int(DEFAULTS["limit"]),
        ge=1,
        le=1_000_000,
        description="按客户输出时最多返回的行数(按金额降序) / max rows with by=customer, largest monetary first",
    )

    @model_validator(mode="after")
    def _fixed_needs_values(self) -> RfmArgs:
        if self.threshold == "fixed":
            missing = [n for n in ("r_threshold", "f_threshold", "m_threshold") if getattr(self, n) is None]
            if missing:
                raise InputError(
                    f"threshold=fixed 时需要给出 {', '.join(missing)}(或改用 mean/median)。",
                    f"threshold=fixed needs {', '.join(missing)} (or use mean/median).",
                )
        return self


def population_scope(con: Con, args: CommonFilters) -> tuple[Scope, str, dict[str, Any]]:
    """Scope of the scored population (every filter but customer_ids) and the report filter for customer_ids.

    Returns the scope, a SQL condition over ``customer_id`` choosing the reported customers, and its params.
    """
    scope = resolve_scope(con, args.model_copy(update={"customer_ids": None}))
    if args.customer_ids:
        return scope, "list_contains($report_ids, customer_id)", {"report_ids": [str(c) for c in args.customer_ids]}
    return scope, "TRUE", {}


_LINE_COLUMN = re.compile(r"\bl\.(\w+)")
ORDER_LEVEL_COLUMNS = {"order_date", "channel"}  # line filters that are really order filters


def customer_base_cte(scope: Scope, name: str, *, money_only: bool = False, materialized: bool = False) -> str:
    """CTE ``name``: per customer in scope, completed orders up to ``as_of``:
    customer_id, first_order, last_order, frequency (distinct orders), monetary (sum of line amounts);
    with ``money_only`` just customer_id, monetary. ``materialized`` computes it once for several readers.

    When every line filter is an order-level one (period, channel), orders are filtered first and the lines
    joined once, with no product join and no count(DISTINCT): several times cheaper at 10M lines. A category
    filter needs the lines, so it falls back to the scope's f_lines; both give the same numbers.
    """
    mat = "MATERIALIZED " if materialized else ""
    used = set(_LINE_COLUMN.findall(scope.line_where))
    if not used <= ORDER_LEVEL_COLUMNS:
        cols = (
            "sum(amount) AS monetary"
            if money_only
            else (
                "min(order_date) AS first_order, max(order_date) AS last_order, "
                "count(DISTINCT order_id) AS frequency, sum(amount) AS monetary"
            )
        )
        return f"""{name} AS {mat}(
    SELECT customer_id, {cols}
    FROM f_lines WHERE status = 'completed' AND order_date <= $as_of
    GROUP BY customer_id
)"""
    in_scope = (
        "" if scope.customer_where == "TRUE" else "\n      AND l.customer_id IN (SELECT customer_id FROM f_customers)"
    )
    orders = f"""{name}_o AS NOT MATERIALIZED (
    SELECT l.customer_id, l.order_id, l.order_date FROM orders l
    WHERE l.status = 'completed' AND l.order_date <= $as_of AND {scope.line_where}{in_scope}
),
{name}_m AS (
    SELECT o.customer_id, sum(i.amount) AS monetary
    FROM order_items i JOIN {name}_o o ON o.order_id = i.order_id
    GROUP BY o.customer_id
)"""
    if money_only:
        return f"{orders},\n{name} AS {mat}(SELECT customer_id, monetary FROM {name}_m)"
    return f"""{orders},
{name}_d AS (
    SELECT customer_id, min(order_date) AS first_order, max(order_date) AS last_order, count(*) AS frequency
    FROM {name}_o GROUP BY customer_id
),
{name} AS {mat}(
    SELECT d.customer_id, d.first_order, d.last_order, d.frequency, m.monetary
    FROM {name}_d d JOIN {name}_m m ON m.customer_id = d.customer_id
)"""


def _cut_fractions() -> str:
    """SQL list of the score cut fractions 1/BINS … (BINS−1)/BINS as exact decimals."""
    out = []
    for s in range(1, BINS):
        q = Decimal(s) / Decimal(BINS)
        if q * BINS != s:  # quantile_disc needs exact fractions to pick the ceil(s·n/BINS)-th value
            raise ValueError("rfm.yaml scores.bins must divide a power of ten (2, 4, 5, 10, …)")
        out.append(f"CAST('{q}' AS DECIMAL(18, 9))")
    return "[" + ", ".join(out) + "]"


CUTS = _cut_fractions()


def _score(column: str, cuts: str) -> str:
    """1 + the number of cut values strictly below ``column``."""
    terms = " + ".join(f"CAST({column} > {cuts}[{i}] AS INTEGER)" for i in range(1, BINS))
    return f"CAST(1 + {terms} AS INTEGER)"


def rfm_stats_cte(method: str) -> str:
    """CTE ``rfm_stats`` over ``rfm_base``: n, the score cuts, the R/F/M thresholds and Σ monetary (params: as_of,
    r_fixed, f_fixed, m_fixed). Its own text, so the business review can compute it once per window for the
    statements that read it (assistant/report/shared_pass.py)."""
    agg = AGGREGATES.get(method, "avg")  # "fixed": all three values are given, the aggregate is unused
    return f"""rfm_stats AS (
    -- Quintile scores equal 1 + floor({BINS} × (rank() OVER (ORDER BY value) − 1) / n) (RANK: ties share the lowest
    -- rank); computed as 1 + the number of cut values below the customer's value, cut s being the
    -- ceil(s·n/{BINS})-th smallest value. R ranks last_order ascending, i.e. days descending.
    SELECT count(*) AS n,
           quantile_disc(last_order, {CUTS}) AS r_cuts,
           quantile_disc(frequency, {CUTS}) AS f_cuts,
           quantile_disc(monetary, {CUTS}) AS m_cuts,
           coalesce(CAST($r_fixed AS DOUBLE), {agg}(date_diff('day', last_order, $as_of))) AS r_thr,
           coalesce(CAST($f_fixed AS DOUBLE), {agg}(frequency)) AS f_thr,
           coalesce(CAST($m_fixed AS DOUBLE), {agg}(CAST(monetary AS DOUBLE))) AS m_thr,
           sum(monetary) AS m_sum
    FROM rfm_base
)"""


def rfm_ctes(
    scope: Scope, method: str, fixed: tuple[float | None, float | None, float | None]
) -> tuple[str, dict[str, Any]]:
    """CTEs after the scope's: rfm_base (materialised), rfm_stats, rfm_classed.

    rfm_classed columns: customer_id, first_order, last_order, recency, frequency, monetary, n, r_score, f_score,
    m_score, r_thr, f_thr, m_thr, m_sum, r_high, f_high, m_high, class_idx, seg_idx.

    With the mean as M's threshold, "M high" is ``monetary × n ≥ Σ monetary``: exact DECIMAL arithmetic, so every
    engine classes a customer on the mean alike (a DOUBLE average adds in each engine's own order); the
    threshold shown is that exact mean rounded to cents (``_mean_cents``).

    Scores without sorting the customers: with rank = RANK() over the ascending order (ties share the lowest
    rank), ``1 + floor(BINS·(rank − 1)/n) ≥ s + 1`` exactly when at least ``K = ceil(s·n/BINS)`` values lie
    strictly below the customer's, i.e. when its value exceeds the K-th smallest value. ``quantile_disc`` with
    the exact decimal fraction s/BINS returns that K-th smallest value (integer arithmetic inside DuckDB), found
    by selection rather than a sort; tests/tools/test_rfm.py checks the equality against RANK() on random data.
    """
    m_high = "monetary * n >= m_sum" if _exact_mean(method, fixed[2]) else "CAST(monetary AS DOUBLE) >= m_thr"
    sql = f"""{customer_base_cte(scope, "rfm_base", materialized=True)},
{rfm_stats_cte(method)},
rfm_scored AS (
    SELECT b.customer_id, b.first_order, b.last_order, date_diff('day', b.last_order, $as_of) AS recency,
           b.frequency, b.monetary, t.n, t.r_thr, t.f_thr, t.m_thr, t.m_sum,
           {_score("b.last_order", "t.r_cuts")} AS r_score,
           {_score("b.frequency", "t.f_cuts")} AS f_score,
           {_score("b.monetary", "t.m_cuts")} AS m_score
    FROM rfm_base b CROSS JOIN rfm_stats t
),
rfm_classed AS (
    SELECT *,
           recency <= r_thr AS r_high,
           frequency >= f_thr AS f_high,
           {m_high} AS m_high,
           $class8_index[1 + 4 * CAST(NOT m_high AS INTEGER) + 2 * CAST(NOT r_high AS INTEGER)
                         + CAST(NOT f_high AS INTEGER)] AS class_idx,
           $rf_grid[1 + {BINS} * (r_score - 1) + (f_score - 1)] AS seg_idx
    FROM rfm_scored
)"""
    params = {
        "r_fixed": fixed[0],
        "f_fixed": fixed[1],
        "m_fixed": fixed[2],
        "class8_index": CLASS8_INDEX,
        "rf_grid": RF_GRID,
    }
    return sql, params


def _exact_mean(method: str, m_fixed: float | None) -> bool:
    """Whether M's threshold is the mean of the population (compared and shown exactly, see rfm_ctes)."""
    return m_fixed is None and AGGREGATES.get(method, "avg") == "avg"


def _mean_cents(total: Any, n: Any) -> float | None:
    """``total / n`` rounded to cents from the exact DECIMAL sum: the same digits on every engine. A DOUBLE average
    adds in each engine's own order, so a mean on a half cent rounded up on one engine and down on another."""
    if total is None or not n:
        return None
    return round(float(Decimal(str(total)) / int(n)), 2)


def _fixed(args: RfmArgs) -> tuple[float | None, float | None, float | None]:
    return (args.r_threshold, args.f_threshold, args.m_threshold)


def _threshold_source(args: RfmArgs, value: float | None) -> str:
    return "fixed" if value is not None else args.threshold


def rfm_definitions(args: RfmArgs, thr: tuple[Any, Any, Any]) -> list[Definition]:
    s = T["scores"]
    defs = [
        Definition(
            name="window",
            zh="窗口:as_of 之前的全部历史(给定期间则为该期间);只计已完成订单",
            en="Window: all history up to as_of (or the given period); completed orders only",
        ),
        Definition(
            name="recency",
            zh="R = 最近一次已完成订单到 as_of 的天数",
            en="R = days from the last completed order to as_of",
        ),
        Definition(
            name="frequency", zh="F = 窗口内不同的已完成订单数", en="F = distinct completed orders in the window"
        ),
        Definition(
            name="monetary", zh="M = 窗口内已完成订单的金额合计(元)", en="M = completed revenue in the window (CNY)"
        ),
        Definition(name="score", zh=s["zh"], en=s["en"], value="1 + floor(5 × (rank − 1) / n)"),
    ]
    names = ("r_threshold", "f_threshold", "m_threshold")
    rules = (
        ("R 高:天数 ≤ 阈值", "R high: days ≤ threshold"),
        ("F 高:订单数 ≥ 阈值", "F high: orders ≥ threshold"),
        ("M 高:金额 ≥ 阈值", "M high: revenue ≥ threshold"),
    )
    for name, fixed, value, (zh, en) in zip(names, _fixed(args), thr, rules, strict=True):
        src = _threshold_source(args, fixed)
        defs.append(
            Definition(name=name, zh=f"{zh}(阈值取{METHOD_ZH[src]})", en=f"{en} (threshold: {src})", value=value)
        )
    for c in CLASSES8:
        defs.append(
            Definition(
                name=f"class:{c['zh']}",
                zh=f"{c['zh']}:R{_zh(c['r'])} F{_zh(c['f'])} M{_zh(c['m'])}",
                en=f"{c['en']}: R {c['r']}, F {c['f']}, M {c['m']}",
                value={"r": c["r"], "f": c["f"], "m": c["m"]},
            )
        )
    for seg in RF11:
        cells = " 或 ".join(f"R{_span(rs)} F{_span(fs)}" for rs, fs in seg["cells"])
        cells_en = " or ".join(f"R{_span(rs)} F{_span(fs)}" for rs, fs in seg["cells"])
        defs.append(
            Definition(
                name=f"segment:{seg['en']}",
                zh=f"{seg['zh']}:{cells}",
                en=f"{seg['en']}: {cells_en}",
                value=seg["cells"],
            )
        )
    return defs


def _zh(level: str) -> str:
    return "高" if level == "high" else "低"


def _span(scores: list[int]) -> str:
    return str(scores[0]) if len(scores) == 1 else f"{min(scores)}–{max(scores)}"


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _r(v: Any, digits: int = 4) -> float | None:
    return None if v is None else round(float(v), digits)


@register(
    "rfm",
    "RFM 分析:每位客户的最近购买天数、购买次数、购买金额,1–5 分五分位评分,八类客户(重要价值…一般挽留)与英文常用 11 类分群;各分群客户数、收入占比、平均 R/F/M;单个客户的评分推导。",
    "RFM analysis: recency, frequency and monetary value per customer, 1–5 quintile scores, the 8-class scheme "
    "(important value … general win-back) and the common 11-segment English scheme; per segment customers, revenue "
    "share and mean R/F/M; for one customer, how its scores were derived.",
    RfmArgs,
    examples=("RFM 分析", "重要价值客户有多少", "Which customers are Champions?"),
)
def rfm(con: Con, args: RfmArgs) -> ToolResult:
    """RFM scores and segments. See the module docstring for the definitions."""
    scope, report_where, report_params = population_scope(con, args)
    ctes, rfm_params = rfm_ctes(scope, args.threshold, _fixed(args))
    params = {**scope.params, **rfm_params, **report_params, "as_of": scope.as_of}
    tr = Trace(con)
    head = f"WITH {scope.ctes()},\n{ctes}\n"
    figures: dict[str, Any] = {"as_of": scope.as_of, "start": scope.start, "end": scope.end, "scheme": args.scheme}
    notes: list[str] = []

    if args.by == "customer":
        derive = bool(args.customer_ids and len(args.customer_ids) == 1)
        columns, rows, thr, extra = _by_customer(tr, head, report_where, params, args, figures, derive)
        if derive and rows:
            _derivation(dict(zip(columns, rows[0], strict=True)), extra, figures)
        if not rows:
            notes.append("所选客户在窗口内没有已完成订单 / no completed orders in the window for the chosen customers")
        chart = Chart(
            kind="scatter",
            x="frequency",
            y="monetary",
            color="class_zh",
            title_zh="RFM 客户分布",
            title_en="RFM customers",
        )
    else:
        columns, rows, thr = _by_segment(tr, head, report_where, params, args, figures)
        label = "class_zh" if args.scheme == "rfm8" else "segment_en"
        chart = Chart(
            kind="bar", x=label, y="customers", title_zh="RFM 分群客户数", title_en="Customers per RFM segment"
        )
        if not figures["customers"]:
            notes.append("窗口内没有已完成订单的客户 / no customer has a completed order in the window")
    return ToolResult(
        as_of=scope.as_of,
        figures=figures,
        columns=columns,
        rows=rows,
        definitions=rfm_definitions(args, thr),
        sql=tr.sql,
        chart=chart,
        notes=notes,
    )


def _by_segment(
    tr: Trace, head: str, report_where: str, params: dict[str, Any], args: RfmArgs, figures: dict[str, Any]
) -> tuple[list[str], list[list[Any]], tuple[Any, Any, Any]]:
    # One pass over the customers: both schemes and the total as grouping sets; thresholds from rfm_stats.
    sql = (
        head
        + f"""SELECT CASE WHEN grouping(class_idx) = 0 THEN 'class' WHEN grouping(seg_idx) = 0 THEN 'segment'
            ELSE 'total' END AS kind,
       coalesce(class_idx, seg_idx, 0) AS k, count(*) AS n, sum(monetary) AS revenue,
       avg(recency) AS a, avg(frequency) AS b, CAST(NULL AS DOUBLE) AS c
FROM rfm_classed WHERE {report_where}
GROUP BY GROUPING SETS ((class_idx), (seg_idx), ())
UNION ALL
SELECT 'thr', 0, n, m_sum, CASE WHEN n > 0 THEN r_thr END, CASE WHEN n > 0 THEN f_thr END,
       CASE WHEN n > 0 THEN m_thr END
FROM rfm_stats"""
    )
    _, raw = tr.query(sql, params)
    groups: dict[tuple[str, int], list[Any]] = {(r[0], int(r[1])): r for r in raw}
    total = groups.get(("total", 0), [None, 0, 0, None, None, None, None])
    thr_row = groups.get(("thr", 0), [None, 0, 0, None, None, None, None])
    m_thr = _mean_cents(thr_row[3], thr_row[2]) if _exact_mean(args.threshold, args.m_threshold) else _r(thr_row[6], 2)
    thr = (_r(thr_row[4]), _r(thr_row[5]), m_thr)
    n_total, rev_total = int(total[2] or 0), total[3]
    figures.update(
        customers=n_total,
        population=int(thr_row[2] or 0),
        revenue=_f(rev_total),
        mean_recency=_r(total[4], 2),
        mean_frequency=_r(total[5], 3),
        mean_monetary=_mean_cents(total[3], total[2]),
        r_threshold=thr[0],
        f_threshold=thr[1],
        m_threshold=thr[2],
    )
    if args.scheme == "rfm8":
        columns = ["class_zh", "class_en", "r_level", "f_level", "m_level"]
        labels = [[c["zh"], c["en"], c["r"], c["f"], c["m"]] for c in CLASSES8]
        kind = "class"
    else:
        columns = ["segment_en", "segment_zh"]
        labels = [[s["en"], s["zh"]] for s in RF11]
        kind = "segment"
    columns += [
        "customers",
        "customer_share",
        "revenue",
        "revenue_share",
        "mean_recency",
        "mean_frequency",
        "mean_monetary",
    ]
    rows: list[list[Any]] = []
    for i, label in enumerate(labels):
        g = groups.get((kind, i))
        n = int(g[2]) if g else 0
        rev = _f(g[3]) if g else 0.0
        rows.append(
            [
                *label,
                n,
                round(n / n_total, 6) if n_total else None,
                rev,
                round(rev / float(rev_total), 6) if rev_total else None,
                _r(g[4], 2) if g else None,
                _r(g[5], 3) if g else None,
                _mean_cents(g[3], g[2]) if g else None,
            ]
        )
    return columns, rows, thr


CUSTOMER_COLUMNS = [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "first_order",
    "last_order",
    "r_score",
    "f_score",
    "m_score",
    "rfm_code",
    "r_high",
    "f_high",
    "m_high",
    "class_zh",
    "class_en",
    "segment_en",
    "segment_zh",
]


# For one customer, the same query also returns the population's score edges and the customer's RANK()s
# (1 + customers strictly worse; R ranks last_order), so the warehouse is read once.
DERIVATION_COLUMNS = """,
       (SELECT list({'dim': dim, 'score': score, 'lo': lo, 'hi': hi, 'n': cnt} ORDER BY dim, score) FROM (
            SELECT 'R' AS dim, r_score AS score, CAST(min(recency) AS DOUBLE) AS lo,
                   CAST(max(recency) AS DOUBLE) AS hi, count(*) AS cnt
            FROM rfm_classed GROUP BY r_score
            UNION ALL SELECT 'F', f_score, min(frequency), max(frequency), count(*) FROM rfm_classed GROUP BY f_score
            UNION ALL SELECT 'M', m_score, min(CAST(monetary AS DOUBLE)), max(CAST(monetary AS DOUBLE)), count(*)
            FROM rfm_classed GROUP BY m_score)) AS score_edges,
       (SELECT [1 + count(*) FILTER (WHERE c.last_order < me.last_order),
                1 + count(*) FILTER (WHERE c.frequency < me.frequency),
                1 + count(*) FILTER (WHERE c.monetary < me.monetary)]
        FROM rfm_classed c, (SELECT last_order, frequency, monetary FROM rfm_classed WHERE customer_id = $me) me
       ) AS ranks"""


def _by_customer(
    tr: Trace,
    head: str,
    report_where: str,
    params: dict[str, Any],
    args: RfmArgs,
    figures: dict[str, Any],
    derive: bool = False,
) -> tuple[list[str], list[list[Any]], tuple[Any, Any, Any], list[Any]]:
    extra_sql = DERIVATION_COLUMNS if derive else ""
    # Top rows first, labels and the count after: no window or name lookups over the whole population.
    sql = (
        head
        + f"""SELECT customer_id, recency, frequency, monetary, first_order, last_order, r_score, f_score, m_score,
       concat(r_score, f_score, m_score) AS rfm_code, r_high, f_high, m_high,
       $c8_zh[class_idx + 1] AS class_zh, $c8_en[class_idx + 1] AS class_en,
       $rf_en[seg_idx + 1] AS segment_en, $rf_zh[seg_idx + 1] AS segment_zh,
       r_thr, f_thr, m_thr, n, (SELECT count(*) FROM rfm_classed WHERE {report_where}) AS reported,
       m_sum{extra_sql}
FROM (SELECT * FROM rfm_classed WHERE {report_where} ORDER BY monetary DESC, customer_id LIMIT $limit)
ORDER BY monetary DESC, customer_id"""
    )
    p = {
        **params,
        "limit": args.limit,
        "c8_zh": [c["zh"] for c in CLASSES8],
        "c8_en": [c["en"] for c in CLASSES8],
        "rf_en": [s["en"] for s in RF11],
        "rf_zh": [s["zh"] for s in RF11],
    }
    if derive:
        p["me"] = str(args.customer_ids[0]) if args.customer_ids else None
    _, raw = tr.query(sql, p)
    k = len(CUSTOMER_COLUMNS)
    rows = [[*r[:3], _f(r[3]), *r[4:k]] for r in raw]
    first = raw[0] if raw else None
    exact = _exact_mean(args.threshold, args.m_threshold)
    m_thr = (_mean_cents(first[k + 5], first[k + 3]) if exact else _r(first[k + 2], 2)) if first else None
    thr = (_r(first[k]), _r(first[k + 1]), m_thr) if first else (None, None, None)
    reported = int(first[k + 4]) if first else 0
    figures.update(
        customers=reported,
        population=int(first[k + 3]) if first else None,
        rows_returned=len(rows),
        truncated=reported > len(rows),
        r_threshold=thr[0],
        f_threshold=thr[1],
        m_threshold=thr[2],
    )
    extra = list(first[k + 6 :]) if first and derive else []
    return list(CUSTOMER_COLUMNS), rows, thr, extra


def _derivation(rec: dict[str, Any], extra: list[Any], figures: dict[str, Any]) -> None:
    """For one customer: the population's score edges and the arithmetic that gave its scores."""
    edges, ranks = extra
    n = figures["population"]
    edge_map: dict[str, dict[str, Any]] = {"R": {}, "F": {}, "M": {}}
    for e in edges:
        # R edges are in days: score 5 holds the fewest days.
        edge_map[e["dim"]][str(e["score"])] = {"min": _f(e["lo"]), "max": _f(e["hi"]), "customers": int(e["n"])}
    deriv = {}
    for dim, raw_name, rank in (
        ("R", "recency_days", ranks[0]),
        ("F", "frequency", ranks[1]),
        ("M", "monetary", ranks[2]),
    ):
        score = rec[f"{dim.lower()}_score"]
        deriv[dim] = {
            "value": _f(rec[raw_name]),
            "rank": int(rank),
            "n": n,
            "score": score,
            "formula": f"1 + floor(5 × ({int(rank)} − 1) / {n}) = {score}",
            "high": rec[f"{dim.lower()}_high"],
        }
    figures["derivation"] = deriv
    figures["score_edges"] = edge_map
