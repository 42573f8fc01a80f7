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
from typing import Any

import numpy as np
from pydantic import Field

from assistant.core.errors import InputError
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
)
from tools.tables import load

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
    a = {k: np.asarray(v) for k, v in tr.columns(main_sql, params).items()}
    seg_sql = f"WITH {scope.ctes()},\n{segs_cte}\nSELECT seg, k FROM segs ORDER BY k"
    _, seg_rows = tr.query(seg_sql, {k: v for k, v in params.items() if f"${k}" in seg_sql})
    segs = [r[0] for r in seg_rows]
    n = len(a["k"])
    k = a["k"].astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    nseg = len(segs)

    def by_seg(v: np.ndarray) -> np.ndarray:
        return np.bincount(k, weights=v.astype(np.float64), minlength=nseg) if n else np.zeros(nseg)

    buyer = a["buyer"].astype(bool) if n else np.zeros(0, bool)
    revenue, margin = a["revenue"].astype(float) if n else np.zeros(0), a["margin"].astype(float) if n else np.zeros(0)
    active_last, active_prev = (a["active_last"].astype(bool), a["active_prev"].astype(bool)) if n else (buyer, buyer)
    margin_12m = a["margin_12m"].astype(float) if n else np.zeros(0)

    # Retention formula, overall and per segment.
    m_all = _div((margin_12m * active_last).sum(), active_last.sum())
    r_all = _div((active_prev & active_last).sum(), active_prev.sum())
    clv_formula_all = _formula(m_all, r_all, d)
    seg_m = [_div(x, y) for x, y in zip(by_seg(margin_12m * active_last), by_seg(active_last), strict=True)]
    seg_r = [_div(x, y) for x, y in zip(by_seg(active_prev & active_last), by_seg(active_prev), strict=True)]
    seg_formula = [_formula(m_, r_, d) for m_, r_ in zip(seg_m, seg_r, strict=True)]

    # Predictive CLV.
    notes: list[str] = []
    figures_model: dict[str, Any] = {}
    pred: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]] | None = None
    if args.predictive:
        try:
            pred = _predict(a, buyer, revenue, margin, s)
        except InputError as exc:
            notes.append(f"未做预测:{exc.zh} / No prediction: {exc.en}")
    if pred is None:  # NaN = no prediction; allocated only then (five million-row fills cost ~0.05 s)
        none = np.full(n, np.nan)
        pred = (none, none, none, none, none, {})
    pred_clv, pred_rev, purchases, p_alive, spend, figures_model = pred

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
    is_new = a["is_new"].astype(bool) if n else np.zeros(0, bool)
    new_all = int(is_new.sum())
    spend_total = sum(spend_by_channel.values()) if spend_by_channel else None
    cac_all = _div(spend_total, new_all) if spend_total is not None else None

    buyers_n = int(buyer.sum())
    has_pred = bool(np.isfinite(pred_clv).any())
    if args.by == "customer":
        cols, rows = _customer_rows(
            tr,
            a,
            segs,
            buyer,
            revenue,
            margin,
            margin_12m,
            r_all,
            d,
            purchases,
            p_alive,
            spend,
            pred_rev,
            pred_clv,
            args.limit,
        )
        chart = Chart(
            kind="scatter",
            x="historical_clv",
            y="predicted_clv" if has_pred else "clv_formula",
            color="acquisition_channel",
            title_zh="客户历史与预测 CLV",
            title_en="Historical and predicted CLV per customer",
        )
    else:
        seg_buyers = by_seg(buyer)
        seg_new = by_seg(is_new)
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
        seg_cust = by_seg(np.ones(n))
        seg_rev, seg_margin = by_seg(revenue), by_seg(margin)
        fin = np.isfinite(pred_clv)
        seg_pclv = by_seg(np.where(fin, pred_clv, 0.0))
        seg_purch = by_seg(np.where(fin, purchases, 0.0))
        seg_pn = by_seg(fin)
        rows = []
        for i, name in enumerate(segs):
            row: list[Any] = [
                name,
                int(seg_cust[i]),
                int(seg_buyers[i]),
                float(seg_rev[i]),
                float(seg_margin[i]),
                _div(seg_margin[i], seg_buyers[i]),
                seg_m[i],
                seg_r[i],
                seg_formula[i],
                float(seg_purch[i]) if seg_pn[i] else None,
                float(seg_pclv[i]) if seg_pn[i] else None,
                _div(seg_pclv[i], seg_pn[i]),
            ]
            if dim == "acquisition_channel":
                sp = spend_by_channel.get(name) if not customer_filtered else None
                # A channel without spend rows spent 0 (referrals), unless there is no spend data at all.
                sp = 0.0 if sp is None and spend_by_channel else sp
                cac = _div(sp, seg_new[i]) if sp is not None else None
                row += [
                    int(seg_new[i]),
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
        "revenue": float(revenue.sum()),
        "historical_clv_total": float(margin.sum()),
        "historical_clv_mean": _div(margin.sum(), buyers_n),
        "annual_margin_m": m_all,
        "retention_r": r_all,
        "discount_rate_d": d,
        "clv_formula": clv_formula_all,
        **figures_model,
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


def _predict(
    a: dict[str, np.ndarray], buyer: np.ndarray, revenue: np.ndarray, margin: np.ndarray, s: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Fit on a deterministic sample of buyers, predict for every buyer; NaN for customers who never bought."""
    from tools import _lifetime_models as lm  # scipy loads only when a prediction is made (cold start)

    n = len(buyer)
    idx = np.flatnonzero(buyer)
    x, t_x, T, mbar = (np.asarray(a[c][idx], dtype=float) for c in ("x", "t_x", "T", "mbar"))
    repeaters = int((x > 0).sum())
    if repeaters < int(PARAMS["min_repeat_customers"]["value"]):
        raise InputError(
            f"窗口内只有 {repeaters} 位客户有复购,不足以拟合模型(至少 {PARAMS['min_repeat_customers']['value']} 位)。",
            f"Only {repeaters} customers have repeat purchases in the window; the models need at least "
            f"{PARAMS['min_repeat_customers']['value']}.",
        )
    size = int(s["fit_sample"])
    if idx.size > size:
        # Smallest md5 key of customer_id: the same customers on every run, whatever the row order, and on
        # every engine (DuckDB's hash() has no equal on Spark).
        h = a["h"][idx]
        sample = np.argpartition(h, size - 1)[:size]
    else:
        sample = np.arange(idx.size)
    bg = lm.fit_bgnbd(x[sample], t_x[sample], T[sample])
    rep = sample[(x[sample] > 0) & (mbar[sample] > 0)]
    gg = lm.fit_gamma_gamma(x[rep], mbar[rep])
    exp_spend = lm.conditional_expected_spend(gg, x, mbar)
    rev_b, mar_b = revenue[idx], margin[idx]
    overall_rate = float(mar_b.sum() / rev_b.sum()) if rev_b.sum() else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(rev_b > 0, mar_b / rev_b, overall_rate)
    value_rev, purchases, alive = lm.predict(
        bg, x, t_x, T, exp_spend, months=int(s["horizon_months"]), monthly_discount=float(s["monthly_discount"])
    )
    out = [np.full(n, np.nan) for _ in range(5)]
    out[0][idx] = value_rev * rate
    out[1][idx] = value_rev
    out[2][idx] = purchases
    out[3][idx] = alive
    out[4][idx] = exp_spend
    figures = {
        "bgnbd": {key: bg.as_dict()[key] for key in ("r", "alpha", "a", "b", "log_likelihood", "n")},
        "gamma_gamma": {key: gg.as_dict()[key] for key in ("p", "q", "gamma", "log_likelihood", "n")},
        "fit_customers": int(sample.size),
        "predicted_customers": int(idx.size),
        "expected_purchases_total": float(purchases.sum()),
        "predicted_revenue_total": float(value_rev.sum()),
        "predicted_clv_total": float(out[0][idx].sum()),
        "predicted_clv_mean": float(out[0][idx].mean()),
    }
    return out[0], out[1], out[2], out[3], out[4], figures


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
    tr: Trace,
    a: dict[str, np.ndarray],
    segs: list[str],
    buyer: np.ndarray,
    revenue: np.ndarray,
    margin: np.ndarray,
    margin_12m: np.ndarray,
    r_all: float | None,
    d: float,
    purchases: np.ndarray,
    p_alive: np.ndarray,
    spend: np.ndarray,
    pred_rev: np.ndarray,
    pred_clv: np.ndarray,
    limit: int,
) -> tuple[list[str], list[list[Any]]]:
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
        rows.append(
            [
                str(a["customer_id"][i]),
                names[str(a["customer_id"][i])],
                segs[int(a["k"][i])],
                float(revenue[i]),
                float(margin[i]),
                float(margin_12m[i]),
                float(margin_12m[i]) * factor if factor is not None else None,
                int(a["x"][i]) if b else None,
                float(a["t_x"][i]) if b else None,
                float(a["T"][i]) if b else None,
                float(a["mbar"][i]) if b and a["x"][i] > 0 else None,
                num(p_alive[i]),
                num(purchases[i]),
                num(spend[i]),
                num(pred_rev[i]),
                num(pred_clv[i]),
            ]
        )
    return cols, rows
