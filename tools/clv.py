"""Customer lifetime value: historical, retention-formula and predictive (BG/NBD + Gamma-Gamma); CAC and CLV/CAC.

Methodology: customer *value* analysis (of the six aspects of customer analysis: who the customers are, what
they are worth, how satisfied, how loyal, how profitable, how creditworthy), the "what they are worth over the
whole relationship" part, set against what it costs to acquire them.

Definitions (shared with the methodology documents; parameters and texts in tools/tables/clv.yaml):

- Window: all history up to the period end unless a start is given.
- Historical CLV = gross margin to date in the window: completed revenue − quantity × unit_cost.
- Retention formula CLV = m·r / (1 + d − r): m = gross margin in the last 365 days per customer active in them,
  r = share of the customers active in the year before (730 to 365 days back) who were active in the last 365
  days, d = annual discount rate (default 10 %). Computed overall and per segment; per customer, m is the
  customer's own last-365-day margin and r the overall rate.
- Predictive CLV: BG/NBD for the number of purchases and Gamma-Gamma for the spend per purchase (see
  tools/_lifetime_models.py), horizon 12 months, monthly discount 1 %: Σ_i (E[Y(i)] − E[Y(i−1)]) ×
  E[spend] × margin rate / 1.01^i, where the margin rate is the customer's own gross margin / revenue in the
  window. Purchases are counted by day (several orders on one day are one purchase), times in weeks as in
  the paper. The models are fitted on a deterministic sample (at most 20,000 customers with the smallest
  md5 key of ``customer_id``, the same on every engine) and applied to every customer with a completed order
  in the window, vectorised.
- CAC by acquisition channel = the channel's marketing spend in the period (months overlapping it) / the
  customers acquired through it whose first completed order falls in the period. CLV/CAC uses the channel's
  retention-formula CLV. Marketing spend is not split by region, industry etc., so CAC is only computed
  without customer filters.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from pydantic import Field

from assistant.core.errors import InputError
from assistant.warehouse.engine import Engine
from tools.base import (
    Chart,
    CommonFilters,
    Con,
    Definition,
    ToolResult,
    Trace,
    at_least,
    one_of,
    register,
    resolve_scope,
    used_params,
)
from tools.tables import load

if TYPE_CHECKING:
    import pandas as pd

TABLE = load("clv")
DEFAULTS: dict[str, Any] = TABLE["defaults"]
PARAMS: dict[str, dict[str, Any]] = TABLE["parameters"]
TEXTS: dict[str, dict[str, str]] = TABLE["definitions"]
DIMENSIONS: dict[str, dict[str, str]] = TABLE["dimensions"]
BY_OPTIONS = ("customer", *DIMENSIONS)
CUSTOMER_FILTERS = ("region", "city", "industry", "size", "acquisition_channel", "rep_id", "customer_ids")


def _pfield(name: str) -> Any:
    p = PARAMS[name]
    return Field(None, description=f"{p['zh']},默认 {p['value']} / {p['en']}, default {p['value']}")


class CLVArgs(CommonFilters):
    """客户终身价值参数 / customer lifetime value parameters."""

    by: str = Field(
        DEFAULTS["by"],
        description=f"分组维度:{'、'.join(BY_OPTIONS)};默认按获客渠道(含 CAC 与 CLV/CAC),customer 为每个客户一行 / "
        f"group by one of {', '.join(BY_OPTIONS)}; acquisition_channel by default (with CAC and CLV/CAC), "
        "customer gives one row per customer",
    )
    discount_rate: float | None = _pfield("discount_rate")
    horizon_months: int | None = _pfield("horizon_months")
    monthly_discount: float | None = _pfield("monthly_discount")
    predictive: bool = Field(
        True, description="是否拟合 BG/NBD 与 Gamma-Gamma 做预测 / fit BG/NBD and Gamma-Gamma and predict"
    )
    fit_sample: int | None = _pfield("fit_sample")
    limit: int = Field(
        DEFAULTS["limit"],
        description=f"by=customer 时最多返回的行数,默认 {DEFAULTS['limit']} / by=customer: at most this many rows, default {DEFAULTS['limit']}",
    )

    _by = one_of("by", BY_OPTIONS)

    _limit = at_least("limit", 1)


def _settings(args: CLVArgs) -> dict[str, Any]:
    def get(name: str) -> Any:
        v = getattr(args, name)
        return PARAMS[name]["value"] if v is None else v

    s = {k: get(k) for k in ("discount_rate", "horizon_months", "monthly_discount", "fit_sample")}
    if not 0 <= s["discount_rate"] < 1:
        raise InputError(
            f"discount_rate 是年折现率,应在 0 到 1 之间(如 0.1 表示 10%),收到 {s['discount_rate']}。",
            f"discount_rate is an annual rate between 0 and 1 (0.1 means 10%), got {s['discount_rate']}.",
        )
    if not 0 <= s["monthly_discount"] < 1:
        raise InputError(
            f"monthly_discount 是月折现率,应在 0 到 1 之间(如 0.01),收到 {s['monthly_discount']}。",
            f"monthly_discount is a monthly rate between 0 and 1 (e.g. 0.01), got {s['monthly_discount']}.",
        )
    if not 1 <= s["horizon_months"] <= 120:
        raise InputError(
            f"horizon_months 应在 1 到 120 之间,收到 {s['horizon_months']}。",
            f"horizon_months must be between 1 and 120, got {s['horizon_months']}.",
        )
    if s["fit_sample"] < 100:
        raise InputError(
            f"fit_sample 至少为 100 位客户,收到 {s['fit_sample']}。",
            f"fit_sample must be at least 100 customers, got {s['fit_sample']}.",
        )
    return s


def _formula(m: float | None, r: float | None, d: float) -> float | None:
    if m is None or r is None:
        return None
    return m * r / (1 + d - r)


def _div(a: Any, b: Any) -> float | None:
    return float(a) / float(b) if b else None


@register(
    "clv",
    "客户终身价值:历史 CLV(至今毛利)、留存公式 CLV、BG/NBD 与 Gamma-Gamma 预测型 CLV,以及各获客渠道的 CAC 与 CLV/CAC",
    "Customer lifetime value: historical (margin to date), retention formula, predictive with BG/NBD and Gamma-Gamma; "
    "CAC by acquisition channel and CLV/CAC",
    CLVArgs,
    examples=("客户终身价值是多少?", "哪个获客渠道的 CLV/CAC 最高?", "What is the predicted CLV of our customers?"),
)
def clv(con: Con, args: CLVArgs) -> ToolResult:
    s = _settings(args)
    d = float(s["discount_rate"])
    # f_lines over all history to the period end; the window start is applied below, because retention and
    # "new customer" look further back than the window.
    scope = resolve_scope(con, args.model_copy(update={"start": None}))
    if args.start and args.start > scope.end:
        resolve_scope(con, args)  # the shared "start after end" error
    end = scope.end
    dim = "acquisition_channel" if args.by == "customer" else args.by
    column = DIMENSIONS[dim]["column"]  # from our own table, never user text
    # Without a window start every aggregate covers all days: no FILTER clauses (~10 % of the pass at 1M).
    w = " FILTER (WHERE order_date >= $w_start)" if args.start else ""
    aw = " AND order_date >= $w_start" if args.start else ""
    params: dict[str, Any] = {
        **scope.params,
        "as_of": end,  # observation end of the purchase summary
        "y1": end - dt.timedelta(days=365),
        "y2": end - dt.timedelta(days=730),
    }
    if args.start:
        params["w_start"] = params["p_start"] = args.start
    # Without a window start every customer who ever bought is new to it (no date.min sentinel: not every
    # engine binds a date before the Gregorian switch).
    is_new = "coalesce(u.first_ever >= $p_start, false)" if args.start else "u.first_ever IS NOT NULL"
    segs_cte = f"""segs AS (
    SELECT seg, (row_number() OVER (ORDER BY seg) - 1)::INTEGER AS k
    FROM (SELECT DISTINCT coalesce(c.{column}::VARCHAR, '(未知)') AS seg FROM f_customers c)
)"""
    head = f"""WITH {scope.ctes()},
{scope.order_values_cte(con, days=True)},
cust AS (
    -- One pass over the orders: the window's purchase-day summary for BG/NBD (as lm.summary_sql, which the tests
    -- check against the paper; a day's orders are one purchase) plus the yearly activity the retention formula
    -- needs. Exact DECIMAL sums: the same inputs to the fit on every run, whatever the parallel summation order.
    SELECT customer_id,
           count(*) FILTER (WHERE day_first{aw}) AS n_days,
           coalesce(sum(revenue){w}, 0) AS revenue,
           coalesce(sum(margin){w}, 0) AS margin,
           min(order_date){w} AS first_day,
           max(order_date){w} AS last_day,
           arg_min(day_revenue, order_date) FILTER (WHERE day_first{aw}) AS first_value,
           min(order_date) AS first_ever,
           coalesce(sum(margin) FILTER (WHERE order_date > $y1), 0) AS margin_12m,
           max(order_date) > $y1 AS active_last,
           coalesce(bool_or(order_date > $y2 AND order_date <= $y1), false) AS active_prev
    FROM f_order_values
    GROUP BY customer_id
),
{segs_cte}"""
    # Names are fetched later for the listed customers only: a million names cost more than the ranking.
    who = "c.customer_id, " if args.by == "customer" else ""
    main_sql = f"""{head}
SELECT {who}s.k, left(md5(c.customer_id), 16) AS h,
       coalesce(u.revenue, 0)::DOUBLE AS revenue, coalesce(u.margin, 0)::DOUBLE AS margin,
       coalesce(u.margin_12m, 0)::DOUBLE AS margin_12m,
       coalesce(u.active_last, false) AS active_last, coalesce(u.active_prev, false) AS active_prev,
       {is_new} AS is_new,
       coalesce(u.n_days, 0) > 0 AS buyer,
       greatest(coalesce(u.n_days, 0) - 1, 0)::DOUBLE AS x,
       coalesce(date_diff('day', u.first_day, u.last_day) / 7.0, 0)::DOUBLE AS t_x,
       coalesce(date_diff('day', u.first_day, $as_of) / 7.0, 0)::DOUBLE AS "T",
       CASE WHEN u.n_days > 1 THEN (u.revenue - u.first_value) / (u.n_days - 1) ELSE 0 END::DOUBLE AS mbar
FROM f_customers c
JOIN segs s ON s.seg = coalesce(c.{column}::VARCHAR, '(未知)')
LEFT JOIN cust u ON u.customer_id = c.customer_id"""
    tr = Trace(con)
    seg_sql = f"WITH {scope.ctes()},\n{segs_cte}\nSELECT seg, k FROM segs ORDER BY k"
    on_engine = tr.engine.distributed
    try:
        if on_engine:
            # The per-customer rows stay on the engine (a million customers would not fit a cluster's driver):
            # the same statement, kept there as a view the fit, the predictions and the sums read.
            tr.sql.append(main_sql.strip())
            tr.engine.stage(BASE_VIEW, main_sql, used_params(main_sql, params))
        else:
            a = {k: np.asarray(v) for k, v in tr.columns(main_sql, params).items()}
        _, seg_rows = tr.query(seg_sql, {k: v for k, v in params.items() if f"${k}" in seg_sql})
        segs = [r[0] for r in seg_rows]
        if on_engine:
            sums = _sums_on_engine(tr.engine, args, s, len(segs))
        else:
            sums = _sums_here(a, args, s, len(segs))
    finally:
        if on_engine:
            for view in (PREDICTED_VIEW, BASE_VIEW):
                tr.engine.unstage(view)
    seg, tot, n = sums.seg, sums.tot, sums.n
    notes = list(sums.notes)

    # Retention formula, overall and per segment.
    m_all = _div(tot["m12"], tot["active_last"])
    r_all = _div(tot["retained"], tot["active_prev"])
    clv_formula_all = _formula(m_all, r_all, d)
    seg_m = [_div(x, y) for x, y in zip(seg["m12"], seg["active_last"], strict=True)]
    seg_r = [_div(x, y) for x, y in zip(seg["retained"], seg["active_prev"], strict=True)]
    seg_formula = [_formula(m_, r_, d) for m_, r_ in zip(seg_m, seg_r, strict=True)]

    # CAC by acquisition channel: only without customer filters (spend is not split by region, industry, …).
    customer_filtered = any(getattr(args, f) for f in CUSTOMER_FILTERS)
    spend_by_channel: dict[str, float] = {}
    if not customer_filtered:
        sp_where = ["month <= $f_end"]
        sp_params: dict[str, Any] = {"f_end": end}
        if args.start:
            sp_where.append("month >= date_trunc('month', $w_start)")
            sp_params["w_start"] = args.start
        _, sp_rows = tr.query(
            f"SELECT channel, sum(amount)::DOUBLE AS spend FROM marketing_spend WHERE {' AND '.join(sp_where)} "
            "GROUP BY channel ORDER BY channel",
            sp_params,
        )
        spend_by_channel = {r[0]: r[1] for r in sp_rows}
    else:
        notes.append(
            "营销投入没有按大区、行业等拆分,指定了客户筛选时不计算 CAC。 / Marketing spend is not split by region, industry "
            "etc., so CAC is not computed when customers are filtered."
        )
    new_all = int(tot["new"])
    spend_total = sum(spend_by_channel.values()) if spend_by_channel else None
    cac_all = _div(spend_total, new_all) if spend_total is not None else None

    buyers_n = int(tot["buyers"])
    if args.by == "customer":
        cols, rows = _customer_rows(tr, sums.listing, segs, r_all, d, args.limit)
        chart = Chart(
            kind="scatter",
            x="historical_clv",
            y="predicted_clv" if sums.has_pred else "clv_formula",
            color="acquisition_channel",
            title_zh="客户历史与预测 CLV",
            title_en="Historical and predicted CLV per customer",
        )
    else:
        cols = [
            dim,
            "customers",
            "buyers",
            "revenue",
            "historical_clv",
            "mean_historical_clv",
            "annual_margin_m",
            "retention_r",
            "clv_formula",
            "expected_purchases",
            "predicted_clv",
            "mean_predicted_clv",
        ]
        if dim == "acquisition_channel":
            cols += ["new_customers", "marketing_spend", "cac", "clv_cac_ratio"]
        rows = []
        for i, name in enumerate(segs):
            row: list[Any] = [
                name,
                int(seg["customers"][i]),
                int(seg["buyers"][i]),
                float(seg["revenue"][i]),
                float(seg["margin"][i]),
                _div(seg["margin"][i], seg["buyers"][i]),
                seg_m[i],
                seg_r[i],
                seg_formula[i],
                float(seg["purch"][i]) if seg["pn"][i] else None,
                float(seg["pclv"][i]) if seg["pn"][i] else None,
                _div(seg["pclv"][i], seg["pn"][i]),
            ]
            if dim == "acquisition_channel":
                sp = spend_by_channel.get(name) if not customer_filtered else None
                # A channel without spend rows spent 0 (referrals), unless there is no spend data at all.
                sp = 0.0 if sp is None and spend_by_channel else sp
                cac = _div(sp, seg["new"][i]) if sp is not None else None
                row += [
                    int(seg["new"][i]),
                    sp,
                    cac,
                    _div(seg_formula[i], cac) if seg_formula[i] is not None and cac else None,
                ]
            rows.append(row)
        if dim == "acquisition_channel" and not customer_filtered:
            for ch in sorted(set(spend_by_channel) - set(segs)):  # spend on channels that acquired nobody in scope
                rows.append(
                    [ch, 0, 0, 0.0, 0.0, None, None, None, None, None, None, None, 0, spend_by_channel[ch], None, None]
                )
        rows.sort(key=lambda r: (-r[4], str(r[0])))
        chart = Chart(
            kind="bar",
            x=dim,
            y=["clv_formula", "cac"] if dim == "acquisition_channel" else "clv_formula",
            title_zh=f"按{DIMENSIONS[dim]['zh']}的客户终身价值",
            title_en=f"CLV by {DIMENSIONS[dim]['en']}",
        )

    figures: dict[str, Any] = {
        "customers": n,
        "buyers": buyers_n,
        "revenue": float(tot["revenue"]),
        "historical_clv_total": float(tot["margin"]),
        "historical_clv_mean": _div(tot["margin"], buyers_n),
        "annual_margin_m": m_all,
        "retention_r": r_all,
        "discount_rate_d": d,
        "clv_formula": clv_formula_all,
        **sums.figures_model,
        "new_customers": new_all,
        "marketing_spend": spend_total,
        "cac": cac_all,
        "clv_cac_ratio": _div(clv_formula_all, cac_all) if clv_formula_all is not None and cac_all else None,
    }
    definitions = [
        *[Definition(name=key, zh=t["zh"], en=t["en"]) for key, t in TEXTS.items()],
        *[Definition(name=key, zh=PARAMS[key]["zh"], en=PARAMS[key]["en"], value=v) for key, v in s.items()],
        Definition(
            name="window",
            zh=f"窗口:{args.start or '全部历史'} 至 {end};留存率用 {params['y2']} 至 {end} 的两年",
            en=f"Window: {args.start or 'all history'} to {end}; retention uses the two years {params['y2']} to {end}",
            value={"start": args.start, "end": end},
        ),
    ]
    if r_all is None:
        notes.append(
            "前一年没有活跃客户,无法计算留存率 r 与留存公式 CLV。 / No customer was active in the year before, so r and "
            "the retention-formula CLV are undefined."
        )
    return ToolResult(
        as_of=scope.as_of,
        figures=figures,
        columns=cols,
        rows=rows,
        definitions=definitions,
        sql=tr.sql,
        chart=chart,
        notes=notes,
    )


class _Models(NamedTuple):
    """The fitted models and what applying them per customer needs besides the customer's own row."""

    bg: Any  # lm.BGNBDParams
    gg: Any  # lm.GammaGammaParams
    overall_rate: float  # margin / revenue of all buyers: the rate of a buyer without revenue
    months: int
    monthly_discount: float
    fit_customers: int


@dataclass(frozen=True)
class _Sums:
    """What the result is built from, whether computed here (NumPy) or on the engine (SQL over staged rows).

    ``seg``: per segment k, sums of customers, buyers, new, revenue, margin, m12 (last-year margin of the
    customers active then), active_last, retained (active in both years), active_prev, pclv / purch (predicted
    CLV and purchases) and pn (customers predicted). ``tot``: the same over all customers (the first nine).
    ``listing``: per-customer columns of the customers that can be listed (all of them here, the top ``limit``
    from the engine).
    """

    n: int
    seg: dict[str, np.ndarray]
    tot: dict[str, Any]
    figures_model: dict[str, Any]
    has_pred: bool
    listing: dict[str, np.ndarray]
    notes: list[str]


def _fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, mbar: np.ndarray, repeaters: int) -> tuple[Any, Any]:
    """BG/NBD and Gamma-Gamma fitted on the sample's rows (their order does not matter: identical rows are
    collapsed into weights first). Runs here, on the driver: the sample is at most ``fit_sample`` customers."""
    from tools import _lifetime_models as lm  # scipy loads only when a prediction is made (cold start)

    if repeaters < int(PARAMS["min_repeat_customers"]["value"]):
        raise InputError(
            f"窗口内只有 {repeaters} 位客户有复购,不足以拟合模型(至少 {PARAMS['min_repeat_customers']['value']} 位)。",
            f"Only {repeaters} customers have repeat purchases in the window; the models need at least "
            f"{PARAMS['min_repeat_customers']['value']}.",
        )
    bg = lm.fit_bgnbd(x, t_x, T)
    rep = (x > 0) & (mbar > 0)
    gg = lm.fit_gamma_gamma(x[rep], mbar[rep])
    lm.conditional_expected_spend(gg, np.zeros(0), np.zeros(0))  # q ≤ 1 is refused before any prediction
    return bg, gg


def _apply(
    m: _Models, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, mbar: np.ndarray, rev: np.ndarray, mar: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Predicted CLV, revenue, purchases, P(alive) and expected spend of buyers, one customer at a time in effect
    (vectorised; each customer's figures depend only on its own row), so any split into batches gives the same."""
    from tools import _lifetime_models as lm

    exp_spend = lm.conditional_expected_spend(m.gg, x, mbar)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(rev > 0, mar / rev, m.overall_rate)
    value_rev, purchases, alive = lm.predict(
        m.bg, x, t_x, T, exp_spend, months=m.months, monthly_discount=m.monthly_discount
    )
    return value_rev * rate, value_rev, purchases, alive, exp_spend


#: The columns predict_batch adds, with their SQL types (NULL for customers who never bought).
PREDICTED_COLUMNS: dict[str, str] = {
    "pred_clv": "DOUBLE",
    "pred_rev": "DOUBLE",
    "purchases": "DOUBLE",
    "p_alive": "DOUBLE",
    "spend": "DOUBLE",
}
BASE_VIEW = "clv_customers"  # the per-customer rows staged on a distributed engine
PREDICTED_VIEW = "clv_predicted"  # the same rows with PREDICTED_COLUMNS


def predict_batch(frame: pd.DataFrame, models: _Models) -> pd.DataFrame:
    """One batch of per-customer rows (main statement's columns) with the predictions added.

    Spark's ``mapInPandas`` runs this on the executors, batch by batch, with the models fitted on the driver.
    """
    buyer = frame["buyer"].to_numpy(dtype=bool)
    idx = np.flatnonzero(buyer)
    out = {c: np.full(len(frame), np.nan) for c in PREDICTED_COLUMNS}
    if idx.size:
        col = {c: frame[c].to_numpy(dtype=float)[idx] for c in ("x", "t_x", "T", "mbar", "revenue", "margin")}
        got = _apply(models, col["x"], col["t_x"], col["T"], col["mbar"], col["revenue"], col["margin"])
        for name, values in zip(PREDICTED_COLUMNS, got, strict=True):
            out[name][idx] = values
    return frame.assign(**out)


def _predict(
    a: dict[str, np.ndarray], buyer: np.ndarray, revenue: np.ndarray, margin: np.ndarray, s: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Fit on a deterministic sample of buyers, predict for every buyer; NaN for customers who never bought."""
    n = len(buyer)
    idx = np.flatnonzero(buyer)
    x, t_x, T, mbar = (np.asarray(a[c][idx], dtype=float) for c in ("x", "t_x", "T", "mbar"))
    size = int(s["fit_sample"])
    if idx.size > size:
        # Smallest md5 key of customer_id: the same customers on every run, whatever the row order, and on
        # every engine (DuckDB's hash() has no equal on Spark).
        sample = np.argpartition(_hex_key(a["h"][idx]), size - 1)[:size]
    else:
        sample = np.arange(idx.size)
    bg, gg = _fit(x[sample], t_x[sample], T[sample], mbar[sample], int((x > 0).sum()))
    rev_b, mar_b = revenue[idx], margin[idx]
    overall_rate = float(mar_b.sum() / rev_b.sum()) if rev_b.sum() else 0.0
    models = _Models(bg, gg, overall_rate, int(s["horizon_months"]), float(s["monthly_discount"]), int(sample.size))
    got = _apply(models, x, t_x, T, mbar, rev_b, mar_b)
    out = [np.full(n, np.nan) for _ in range(5)]
    for o, values in zip(out, got, strict=True):
        o[idx] = values
    figures = _model_figures(models, int(idx.size), float(got[2].sum()), float(got[1].sum()), float(out[0][idx].sum()))
    return out[0], out[1], out[2], out[3], out[4], figures


def _hex_key(h: np.ndarray) -> np.ndarray:
    """The 16-hex-digit md5 keys as the 64-bit numbers they spell, in the same order as the text: NumPy selects
    among strings ~100x slower than among integers (0.9 s against 0.01 s for 800,000 customers)."""
    if len(h) and set(map(len, h)) != {16}:  # each key 16 digits: the joined text holds every one in its place
        raise ValueError("md5 keys must be 16 hex digits")
    return np.frombuffer(bytes.fromhex("".join(h)), dtype=">u8").astype(np.uint64)


def _model_figures(m: _Models, predicted: int, purchases: float, revenue: float, clv_total: float) -> dict[str, Any]:
    return {
        "bgnbd": {key: m.bg.as_dict()[key] for key in ("r", "alpha", "a", "b", "log_likelihood", "n")},
        "gamma_gamma": {key: m.gg.as_dict()[key] for key in ("p", "q", "gamma", "log_likelihood", "n")},
        "fit_customers": m.fit_customers,
        "predicted_customers": predicted,
        "expected_purchases_total": purchases,
        "predicted_revenue_total": revenue,
        "predicted_clv_total": clv_total,
        "predicted_clv_mean": clv_total / predicted,
    }


def _sums_here(a: dict[str, np.ndarray], args: CLVArgs, s: dict[str, Any], nseg: int) -> _Sums:
    """The sums from the per-customer rows fetched into this process (DuckDB: vectorised NumPy)."""
    n = len(a["k"])
    k = a["k"].astype(np.int64) if n else np.zeros(0, dtype=np.int64)

    def by_seg(v: np.ndarray) -> np.ndarray:
        return np.bincount(k, weights=v.astype(np.float64), minlength=nseg) if n else np.zeros(nseg)

    buyer = a["buyer"].astype(bool) if n else np.zeros(0, bool)
    revenue, margin = a["revenue"].astype(float) if n else np.zeros(0), a["margin"].astype(float) if n else np.zeros(0)
    active_last, active_prev = (a["active_last"].astype(bool), a["active_prev"].astype(bool)) if n else (buyer, buyer)
    margin_12m = a["margin_12m"].astype(float) if n else np.zeros(0)
    is_new = a["is_new"].astype(bool) if n else np.zeros(0, bool)

    notes: list[str] = []
    pred = None
    if args.predictive:
        try:
            pred = _predict(a, buyer, revenue, margin, s)
        except InputError as exc:
            notes.append(f"未做预测:{exc.zh} / No prediction: {exc.en}")
    if pred is None:  # NaN = no prediction; allocated only then (five million-row fills cost ~0.05 s)
        none = np.full(n, np.nan)
        pred = (none, none, none, none, none, {})
    pred_clv, pred_rev, purchases, p_alive, spend, figures_model = pred
    fin = np.isfinite(pred_clv)
    seg = {
        "customers": by_seg(np.ones(n)),
        "buyers": by_seg(buyer),
        "new": by_seg(is_new),
        "revenue": by_seg(revenue),
        "margin": by_seg(margin),
        "m12": by_seg(margin_12m * active_last),
        "active_last": by_seg(active_last),
        "retained": by_seg(active_prev & active_last),
        "active_prev": by_seg(active_prev),
        "pclv": by_seg(np.where(fin, pred_clv, 0.0)),
        "purch": by_seg(np.where(fin, purchases, 0.0)),
        "pn": by_seg(fin),
    }
    tot = {
        "customers": n,
        "buyers": buyer.sum(),
        "new": is_new.sum(),
        "revenue": revenue.sum(),
        "margin": margin.sum(),
        "m12": (margin_12m * active_last).sum(),
        "active_last": active_last.sum(),
        "retained": (active_prev & active_last).sum(),
        "active_prev": active_prev.sum(),
    }
    listing = {
        **{c: a[c] for c in ("k", "x", "t_x", "T", "mbar") if c in a},
        "customer_id": a.get("customer_id", np.zeros(0)),
        "buyer": buyer,
        "revenue": revenue,
        "margin": margin,
        "margin_12m": margin_12m,
        "pred_clv": pred_clv,
        "pred_rev": pred_rev,
        "purchases": purchases,
        "p_alive": p_alive,
        "spend": spend,
    }
    return _Sums(n, seg, tot, figures_model, bool(fin.any()), listing, notes)


# Per segment, over the staged rows: the sums _sums_here takes with bincount. The view names are constants.
_BASE_SUMS_SQL = f"""SELECT k, count(*) AS customers,
       count(*) FILTER (WHERE buyer) AS buyers,
       count(*) FILTER (WHERE is_new) AS new,
       sum(revenue) AS revenue,
       sum(margin) AS margin,
       coalesce(sum(margin_12m) FILTER (WHERE active_last), 0) AS m12,
       count(*) FILTER (WHERE active_last) AS active_last,
       count(*) FILTER (WHERE active_last AND active_prev) AS retained,
       count(*) FILTER (WHERE active_prev) AS active_prev,
       count(*) FILTER (WHERE buyer AND x > 0) AS repeaters,
       coalesce(sum(revenue) FILTER (WHERE buyer), 0) AS buyer_revenue,
       coalesce(sum(margin) FILTER (WHERE buyer), 0) AS buyer_margin
FROM {BASE_VIEW} GROUP BY k ORDER BY k"""
_FIT_SQL = f'SELECT x, t_x, "T", mbar FROM {BASE_VIEW} WHERE buyer ORDER BY h LIMIT $fit_sample'
_PREDICTED_SUMS_SQL = f"""SELECT k, count(*) FILTER (WHERE buyer) AS pn,
       coalesce(sum(pred_clv) FILTER (WHERE buyer), 0) AS pclv,
       coalesce(sum(purchases) FILTER (WHERE buyer), 0) AS purch,
       coalesce(sum(pred_rev) FILTER (WHERE buyer), 0) AS prev
FROM {PREDICTED_VIEW} GROUP BY k ORDER BY k"""
_LIST_COLUMNS = 'customer_id, k, x, t_x, "T", mbar, buyer, revenue, margin, margin_12m, pred_clv, pred_rev, purchases, p_alive, spend'


def _sums_on_engine(engine: Engine, args: CLVArgs, s: dict[str, Any], nseg: int) -> _Sums:
    """The sums from the rows staged on a distributed engine (``BASE_VIEW``): nothing per customer comes here
    but the fit sample (at most ``fit_sample`` rows) and the ``limit`` customers listed.

    The models are fitted here on the same sample as ``_predict`` takes (smallest md5 keys), then applied per
    customer on the engine (``predict_batch``, Spark's ``mapInPandas``); the per-segment sums are SQL there.
    These statements are the engine's way of doing ``_sums_here``'s NumPy steps, so the answer's SQL is the same
    on every engine (the main statement, segments, spend, names).
    """
    _, raw = engine.rows(_BASE_SUMS_SQL)
    names = ("customers", "buyers", "new", "revenue", "margin", "m12", "active_last", "retained", "active_prev")
    extra = ("repeaters", "buyer_revenue", "buyer_margin")
    seg = {c: np.zeros(nseg) for c in (*names, *extra, "pclv", "purch", "pn", "prev")}
    for r in raw:
        for c, v in zip((*names, *extra), r[1:], strict=True):
            seg[c][int(r[0])] = float(v or 0)
    tot: dict[str, Any] = {c: seg[c].sum() for c in names}
    tot["customers"] = int(tot["customers"])
    notes: list[str] = []
    figures_model: dict[str, Any] = {}
    view = BASE_VIEW
    if args.predictive:
        try:
            fit = engine.numpy(_FIT_SQL, {"fit_sample": int(s["fit_sample"])})
            x, t_x, T, mbar = (np.asarray(fit[c], dtype=float) for c in ("x", "t_x", "T", "mbar"))
            bg, gg = _fit(x, t_x, T, mbar, int(seg["repeaters"].sum()))
            rev_b, mar_b = seg["buyer_revenue"].sum(), seg["buyer_margin"].sum()
            models = _Models(
                bg,
                gg,
                float(mar_b / rev_b) if rev_b else 0.0,
                int(s["horizon_months"]),
                float(s["monthly_discount"]),
                int(x.size),
            )
            engine.stage(
                PREDICTED_VIEW,
                f"SELECT * FROM {BASE_VIEW}",
                fn=functools.partial(predict_batch, models=models),
                added=PREDICTED_COLUMNS,
            )
            view = PREDICTED_VIEW
            _, raw = engine.rows(_PREDICTED_SUMS_SQL)
            for r in raw:
                for c, v in zip(("pn", "pclv", "purch", "prev"), r[1:], strict=True):
                    seg[c][int(r[0])] = float(v or 0)
            figures_model = _model_figures(
                models, int(seg["pn"].sum()), seg["purch"].sum(), seg["prev"].sum(), seg["pclv"].sum()
            )
        except InputError as exc:
            notes.append(f"未做预测:{exc.zh} / No prediction: {exc.en}")
    listing: dict[str, np.ndarray] = {}
    if args.by == "customer":
        # The top `limit` customers in _top's order, ranked on the engine.
        cols = _LIST_COLUMNS
        if view == BASE_VIEW:  # no predictions: the predicted columns are NULL, as NaN here
            cols = cols.split(", pred_clv")[0] + ", " + ", ".join(f"NULL AS {c}" for c in PREDICTED_COLUMNS)
        heads, raw = engine.rows(
            f"SELECT {cols} FROM {view} "
            "ORDER BY CASE WHEN buyer THEN pred_clv END DESC NULLS LAST, margin DESC, customer_id LIMIT $limit",
            {"limit": args.limit},
        )
        columns = list(zip(*raw, strict=True)) if raw else [()] * len(heads)
        for c, values in zip(heads, columns, strict=True):
            if c in ("customer_id", "k"):
                listing[c] = np.array(values, dtype=object if c == "customer_id" else np.int64)
            elif c == "buyer":
                listing[c] = np.array(values, dtype=bool)
            else:  # NULL (no prediction) as NaN, as _sums_here has it
                listing[c] = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    has_pred = bool(seg["pn"].sum() > 0)
    seg = {c: seg[c] for c in (*names, "pclv", "purch", "pn")}
    return _Sums(tot["customers"], seg, tot, figures_model, has_pred, listing, notes)


def _top(key: np.ndarray, margin: np.ndarray, ids: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the first ``limit`` rows by key desc, margin desc, customer id: exact, without sorting all rows.

    Only rows whose key reaches the limit-th largest key can be listed, and among those tied at that key only
    the ones whose margin reaches the needed rank; only they are sorted (a few thousand rows, not a million).
    """
    if key.size <= limit:
        cand = np.arange(key.size)
    else:
        kth = np.partition(key, key.size - limit)[key.size - limit]
        above = np.flatnonzero(key > kth)
        tied = np.flatnonzero(key == kth)
        need = limit - above.size  # ≥ 1: kth is the limit-th largest key
        if tied.size > need:
            mt = margin[tied]
            tied = tied[mt >= np.partition(mt, mt.size - need)[mt.size - need]]
        cand = np.concatenate([above, tied])
    sub = np.lexsort((ids[cand].astype(str), -margin[cand], -key[cand]))
    return cand[sub][:limit]


def _customer_rows(
    tr: Trace, a: dict[str, np.ndarray], segs: list[str], r_all: float | None, d: float, limit: int
) -> tuple[list[str], list[list[Any]]]:
    """The ``limit`` customers of highest predicted CLV (then historical CLV, then id) from ``_Sums.listing``."""
    cols = [
        "customer_id",
        "name",
        "acquisition_channel",
        "revenue",
        "historical_clv",
        "margin_12m",
        "clv_formula",
        "repeat_purchases_x",
        "t_x_weeks",
        "T_weeks",
        "mean_repeat_spend",
        "p_alive",
        "expected_purchases",
        "expected_spend",
        "predicted_revenue",
        "predicted_clv",
    ]
    buyer, margin, pred_clv = a["buyer"], a["margin"], a["pred_clv"]
    n = len(buyer)
    if not n:
        return cols, []
    key = np.where(np.isfinite(pred_clv), pred_clv, -np.inf)
    # Highest predicted CLV first, then historical CLV, then customer id (stable, deterministic).
    order = _top(key, margin, a["customer_id"], limit)
    listed = [str(a["customer_id"][i]) for i in order]
    _, name_rows = tr.query(
        "SELECT customer_id, name FROM customers WHERE list_contains($ids, customer_id)", {"ids": listed}
    )
    names = dict((r[0], r[1]) for r in name_rows)

    def num(v: float) -> float | None:
        return float(v) if np.isfinite(v) else None

    factor = r_all / (1 + d - r_all) if r_all is not None else None
    rows = []
    for i in order:
        b = bool(buyer[i])
        m12 = float(a["margin_12m"][i])
        rows.append(
            [
                str(a["customer_id"][i]),
                names[str(a["customer_id"][i])],
                segs[int(a["k"][i])],
                float(a["revenue"][i]),
                float(margin[i]),
                m12,
                m12 * factor if factor is not None else None,
                int(a["x"][i]) if b else None,
                float(a["t_x"][i]) if b else None,
                float(a["T"][i]) if b else None,
                float(a["mbar"][i]) if b and a["x"][i] > 0 else None,
                num(a["p_alive"][i]),
                num(a["purchases"][i]),
                num(a["spend"][i]),
                num(a["pred_rev"][i]),
                num(pred_clv[i]),
            ]
        )
    return cols, rows
