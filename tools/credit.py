"""Customer credit score: a weighted 0–100 score from payment behaviour, credit use, tenure and volume; grades A–E.

Methodology: customer *credit* analysis (of the six aspects of customer analysis: who the customers are, what
they are worth, how satisfied, how loyal, how profitable, how creditworthy): before granting terms or raising a
limit, score how the customer has paid, how much of its limit it uses and how long and how much it has traded.

Definitions (shared with the methodology documents; weights, scales and grades in tools/tables/credit.yaml):

- Score = 100 × Σ weight × factor, each factor scaled 0–1 (1 = best) on a fixed scale, so a customer's score
  does not depend on the other customers: on-time payment share 0.30, average days late 0.20 (fewer better),
  overdue unpaid amount relative to the credit limit 0.20 (less better), credit-limit utilisation 0.15 (less
  better), tenure 0.10, order volume 0.05.
- Evaluated at ``as_of`` over the invoices issued up to the period end (from its start when one is given).
  Assessed invoices: paid by ``as_of``, or unpaid and past due; a payment dated after ``as_of`` counts as not yet
  made (no look-ahead). Days late = paid − due (or ``as_of`` − due while unpaid), never below 0.
- Overdue amount = unpaid invoices past their due date; utilisation = all unpaid invoices / credit limit.
- Tenure = days since the signup date; volume = completed orders in the 365 days up to ``as_of``.
- Grades: A ≥ 85, B ≥ 70, C ≥ 55, D ≥ 40, E < 40 (on the score rounded to 2 decimals).
- Only customers with at least one invoice in the window are rated; the others are counted as unrated.

Category and channel filters keep the invoices of orders with a line in that category or channel and the
orders counted for volume.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

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

TABLE = load("credit")
WEIGHTS: dict[str, dict[str, Any]] = TABLE["weights"]
SCALES: dict[str, dict[str, Any]] = TABLE["scales"]
GRADES: list[dict[str, Any]] = TABLE["grades"]
DEFAULTS: dict[str, Any] = TABLE["defaults"]
DIMENSIONS: dict[str, dict[str, str]] = TABLE["dimensions"]
BY_OPTIONS = ("grade", "customer", *DIMENSIONS)
FACTORS = tuple(WEIGHTS)  # on_time, days_late, overdue, utilisation, tenure, volume


def _check_table() -> None:
    if abs(sum(w["value"] for w in WEIGHTS.values()) - 1) > 1e-9:
        raise ValueError("credit.yaml: weights must sum to 1")
    mins = [g["min"] for g in GRADES]
    if mins != sorted(mins, reverse=True) or mins[-1] != 0:
        raise ValueError("credit.yaml: grades must be listed best first and the last must start at 0")


_check_table()


class CreditArgs(CommonFilters):
    """客户信用评分参数 / customer credit score parameters."""

    by: str = Field(
        DEFAULTS["by"],
        description=f"分组:{'、'.join(BY_OPTIONS)};grade 按信用等级(默认),customer 为每个客户一行(含各因子得分) / "
        f"group by one of {', '.join(BY_OPTIONS)}; grade (default) or customer (one row each, with its factor breakdown)",
    )
    weights: dict[str, float] | None = Field(
        None,
        description='覆盖部分权重,如 {"on_time": 0.4, "tenure": 0.0};合计必须为 1。因子:'
        + "、".join(f"{k}({v['zh']},默认 {v['value']})" for k, v in WEIGHTS.items())
        + ' / override weights, e.g. {"on_time": 0.4, "tenure": 0.0}; they must sum to 1. Factors: '
        + ", ".join(f"{k} ({v['en']}, default {v['value']})" for k, v in WEIGHTS.items()),
    )
    days_late_cap: float | None = Field(
        None,
        description=f"平均逾期天数达到此值时该项为 0,默认 {SCALES['days_late_cap']['value']} / average days late at which "
        f"that factor reaches 0, default {SCALES['days_late_cap']['value']}",
    )
    limit: int = Field(
        DEFAULTS["limit"],
        description=f"by=customer 时最多返回的行数(分数最低者在前),默认 {DEFAULTS['limit']} / by=customer: at most this "
        f"many rows, lowest score first, default {DEFAULTS['limit']}",
    )

    _by = one_of("by", BY_OPTIONS)

    _limit = at_least("limit", 1)


def weights_used(args: CreditArgs) -> dict[str, float]:
    """The table's weights with the arguments' overrides; each ≥ 0 and together 1."""
    out = {k: float(v["value"]) for k, v in WEIGHTS.items()}
    for k, v in (args.weights or {}).items():
        if k not in out:
            raise InputError(
                f"未知的信用因子 {k!r};可用:{'、'.join(FACTORS)}。",
                f"Unknown credit factor {k!r}; use one of {', '.join(FACTORS)}.",
            )
        if not v >= 0:
            raise InputError(f"权重 {k} 不能为负数,收到 {v}。", f"Weight {k} cannot be negative, got {v}.")
        out[k] = float(v)
    total = sum(out.values())
    if abs(total - 1) > 1e-6:
        raise InputError(
            f"权重合计必须为 1,现在是 {total:g}(使用的权重:{out});请调整覆盖的权重。",
            f"The weights must sum to 1, they sum to {total:g} (weights used: {out}); adjust the overrides.",
        )
    return out


@register(
    "credit",
    "客户信用评分:按付款表现、额度占用、合作时长与订单量加权打分(0–100),分 A–E 五级,并给出逾期金额",
    "Customer credit score: weighted 0–100 score from payment behaviour, credit-limit use, tenure and order volume; "
    "grades A–E and overdue amounts",
    CreditArgs,
    examples=("哪些客户的信用等级是 E?", "各大区的逾期金额是多少?", "Which customers have poor credit?"),
)
def credit(con: Con, args: CreditArgs) -> ToolResult:
    w = weights_used(args)
    cap = float(SCALES["days_late_cap"]["value"] if args.days_late_cap is None else args.days_late_cap)
    if not cap > 0:
        raise InputError(
            f"days_late_cap 必须大于 0(天),收到 {args.days_late_cap};默认 {SCALES['days_late_cap']['value']}。",
            f"days_late_cap must be above 0 (days), got {args.days_late_cap}; the default is {SCALES['days_late_cap']['value']}.",
        )
    # f_lines over all history to the period end: the period restricts invoices by issue date (below), while the
    # order volume always looks at the 365 days up to as_of.
    scope = resolve_scope(con, args.model_copy(update={"start": None}))
    as_of = scope.as_of
    if args.start and args.start > scope.end:
        resolve_scope(con, args)  # raises the shared "start after end" error
    params: dict[str, Any] = {
        **scope.params,
        "as_of": as_of,
        "vol_from": as_of - dt.timedelta(days=int(SCALES["volume_window_days"]["value"])),
        "cap": cap,
        "ratio_cap": float(SCALES["ratio_cap"]["value"]),
        "tenure_full": float(SCALES["tenure_full_days"]["value"]),
        "vol_full": float(SCALES["volume_full_orders"]["value"]),
        "neutral": float(SCALES["neutral"]["value"]),
        "no_limit": float(SCALES["no_limit"]["value"]),
        **{f"w_{k}": v for k, v in w.items()},
    }
    # No customer semi-join on the invoices: the join from f_customers (raw, below) keeps customers in scope.
    inv_where = ["i.issue_date <= $f_end"]
    if args.start:
        params["i_start"] = args.start
        inv_where.append("i.issue_date >= $i_start")
    if args.category or args.channel:
        inv_where.append("i.order_id IN (SELECT order_id FROM f_lines)")
    if args.category:  # a category lives on the lines: count the orders that have a line in it
        vol_sql = """SELECT customer_id, count(DISTINCT order_id) AS orders_12m
    FROM f_lines
    WHERE status = 'completed' AND order_date > $vol_from AND order_date <= $as_of
    GROUP BY customer_id"""
    else:  # same orders as f_lines would give, without joining ten million lines
        vol_sql = f"""SELECT o.customer_id, count(*) AS orders_12m
    FROM orders o
    WHERE o.status = 'completed' AND o.order_date > $vol_from AND o.order_date <= $as_of AND o.order_date <= $f_end
      {"AND list_contains($f_channel, o.channel)" if args.channel else ""}
    GROUP BY o.customer_id"""
    grade_case = "CASE " + " ".join(f"WHEN score >= $g_{i} THEN $gn_{i}" for i in range(len(GRADES))) + " END"
    for i, g in enumerate(GRADES):
        params[f"g_{i}"] = float(g["min"])
        params[f"gn_{i}"] = g["grade"]

    head = f"""WITH {scope.ctes(products=False)},
inv AS (
    SELECT i.customer_id, i.amount::DOUBLE AS amount, i.due_date,
           CASE WHEN i.paid_date <= $as_of THEN i.paid_date END AS paid  -- paid after as_of: not yet paid
    FROM invoices i
    WHERE {" AND ".join(inv_where)}
),
pay AS (
    SELECT customer_id,
           count(*) AS invoices,
           count(*) FILTER (WHERE paid IS NOT NULL OR due_date < $as_of) AS assessed_invoices,
           count(*) FILTER (WHERE paid IS NOT NULL AND paid <= due_date) AS on_time_invoices,
           avg(greatest(date_diff('day', due_date, coalesce(paid, $as_of)), 0))
               FILTER (WHERE paid IS NOT NULL OR due_date < $as_of) AS avg_days_late,
           coalesce(sum(amount) FILTER (WHERE paid IS NULL AND due_date < $as_of), 0) AS overdue_amount,
           coalesce(sum(amount) FILTER (WHERE paid IS NULL), 0) AS unpaid_amount
    FROM inv
    GROUP BY customer_id
),
vol AS (
    {vol_sql}
),
raw AS (
    SELECT c.customer_id, c.name, c.region, c.city, c.industry, c.size, c.rep_id, c.acquisition_channel,
           c.credit_limit::DOUBLE AS credit_limit,
           p.invoices, p.assessed_invoices,
           CASE WHEN p.assessed_invoices > 0 THEN p.on_time_invoices / p.assessed_invoices END AS on_time_share,
           p.avg_days_late, p.overdue_amount, p.unpaid_amount,
           CASE WHEN c.credit_limit > 0 THEN p.unpaid_amount / c.credit_limit END AS utilisation,
           greatest(date_diff('day', c.signup_date, $as_of), 0) AS tenure_days,
           coalesce(v.orders_12m, 0) AS orders_12m
    FROM f_customers c
    JOIN pay p ON p.customer_id = c.customer_id
    LEFT JOIN vol v ON v.customer_id = c.customer_id
),
factors AS (
    SELECT r.*,
           coalesce(on_time_share, $neutral) AS f_on_time,
           CASE WHEN avg_days_late IS NULL THEN $neutral ELSE 1 - least(avg_days_late / $cap, 1) END AS f_days_late,
           CASE WHEN credit_limit > 0 THEN 1 - least(overdue_amount / (credit_limit * $ratio_cap), 1)
                WHEN overdue_amount > 0 THEN $no_limit ELSE 1 END AS f_overdue,
           CASE WHEN credit_limit > 0 THEN 1 - least(unpaid_amount / (credit_limit * $ratio_cap), 1)
                WHEN unpaid_amount > 0 THEN $no_limit ELSE 1 END AS f_utilisation,
           least(tenure_days / $tenure_full, 1) AS f_tenure,
           least(orders_12m / $vol_full, 1) AS f_volume
    FROM raw r
),
scored AS (
    SELECT f.*,
           round(100 * ($w_on_time * f_on_time + $w_days_late * f_days_late + $w_overdue * f_overdue
                        + $w_utilisation * f_utilisation + $w_tenure * f_tenure + $w_volume * f_volume), 2) AS score
    FROM factors f
),
graded AS (
    SELECT s.*, {grade_case} AS grade FROM scored s
)"""
    tr = Trace(con)
    labels = {f"g{lang}_{i}": g[key] for i, g in enumerate(GRADES) for lang, key in (("z", "zh"), ("e", "en"))}
    label_zh = "CASE grade " + " ".join(f"WHEN $gn_{i} THEN $gz_{i}" for i in range(len(GRADES))) + " END"
    label_en = "CASE grade " + " ".join(f"WHEN $gn_{i} THEN $ge_{i}" for i in range(len(GRADES))) + " END"
    # Totals ride along with the table (window sums, or the () grouping set), so the invoices are read once.
    stats = [
        ("customers", "1"),
        ("score_sum", "score"),
        ("credit_limit", "coalesce(credit_limit, 0)"),
        ("unpaid_amount", "unpaid_amount"),
        ("overdue_amount", "overdue_amount"),
        ("customers_overdue", "CASE WHEN overdue_amount > 0 THEN 1 ELSE 0 END"),
        *[(f"n_{g['grade']}", f"CASE WHEN grade = $gn_{i} THEN 1 ELSE 0 END") for i, g in enumerate(GRADES)],
    ]
    in_scope_sql = "(SELECT count(*) FROM f_customers) AS in_scope"
    tot: dict[str, Any] | None = None
    in_scope: int | None = None
    if args.by == "customer":
        window = ",\n       ".join(f"coalesce(sum({e}) OVER (), 0) AS tot_{n}" for n, e in stats)
        cols, rows = tr.query(
            f"""{head}
SELECT customer_id, name, credit_limit, invoices, assessed_invoices, on_time_share, avg_days_late,
       overdue_amount, unpaid_amount, utilisation, tenure_days, orders_12m,
       f_on_time, f_days_late, f_overdue, f_utilisation, f_tenure, f_volume,
       score, grade, {label_zh} AS grade_zh, {label_en} AS grade_en,
       {in_scope_sql}, {window}
FROM graded
ORDER BY score, customer_id
LIMIT $limit""",
            {**params, **labels, "limit": args.limit},
        )
        extra = 1 + len(stats)
        if rows:
            in_scope = rows[0][-extra]
            tot = dict(zip([n for n, _ in stats], rows[0][-len(stats) :], strict=True))
        cols, rows = cols[:-extra], [r[:-extra] for r in rows]
        chart = Chart(
            kind="bar",
            x="customer_id",
            y="score",
            color="grade",
            title_zh="客户信用分",
            title_en="Credit score per customer",
        )
    else:
        key = "grade" if args.by == "grade" else f"coalesce({DIMENSIONS[args.by]['column']}::VARCHAR, '(未知)')"
        aggs = ",\n       ".join(f"coalesce(sum({e}), 0) AS {n}" for n, e in stats)
        gcols, got = tr.query(
            f"""{head}
SELECT GROUPING(seg) AS is_total, seg, {in_scope_sql}, {aggs}
FROM (SELECT *, {key} AS seg FROM graded)
GROUP BY GROUPING SETS ((seg), ())""",
            params,
        )
        recs = [dict(zip(gcols, r, strict=True)) for r in got]
        total = next((r for r in recs if r["is_total"]), None)
        if total is not None:
            in_scope = total["in_scope"]
            tot = {n: total[n] for n, _ in stats}
        groups = {r["seg"]: r for r in recs if not r["is_total"]}
        rated_all = tot["customers"] if tot else 0
        if args.by == "grade":
            cols = ["grade", "grade_zh", "grade_en", "customers", "share", "mean_score", "credit_limit"]
            cols += ["unpaid_amount", "overdue_amount", "customers_overdue", "treatment_zh", "treatment_en"]
            rows = []
            for g in GRADES:  # every grade, best first, empty ones too
                r = groups.get(g["grade"])
                n_ = r["customers"] if r else 0
                rows.append([
                    g["grade"], g["zh"], g["en"], n_, n_ / rated_all if rated_all else None,
                    r["score_sum"] / n_ if r and n_ else None, r["credit_limit"] if r else 0.0,
                    r["unpaid_amount"] if r else 0.0, r["overdue_amount"] if r else 0.0,
                    r["customers_overdue"] if r else 0, g["treatment_zh"], g["treatment_en"],
                ])  # fmt: skip
            chart = Chart(
                kind="bar", x="grade", y="customers", title_zh="各信用等级客户数", title_en="Customers by credit grade"
            )
        else:
            dim = args.by
            worst = [f"n_{g['grade']}" for g in GRADES[-2:]]
            cols = [dim, "customers", "mean_score", "low_grade_share", "unpaid_amount", "overdue_amount"]
            cols += [f"n_{g['grade']}" for g in GRADES]
            rows = [
                [seg, r["customers"], r["score_sum"] / r["customers"], sum(r[w] for w in worst) / r["customers"],
                 r["unpaid_amount"], r["overdue_amount"], *[r[f"n_{g['grade']}"] for g in GRADES]]
                for seg, r in groups.items()
            ]  # fmt: skip
            rows.sort(key=lambda r: (r[2], str(r[0])))
            chart = Chart(
                kind="bar",
                x=dim,
                y="mean_score",
                title_zh=f"按{DIMENSIONS[dim]['zh']}的平均信用分",
                title_en=f"Mean credit score by {DIMENSIONS[dim]['en']}",
            )
    if tot is None or in_scope is None:  # no row to carry the totals: ask for them alone
        aggs = ", ".join(f"coalesce(sum({e}), 0) AS {n}" for n, e in stats)
        tcols, trows = tr.query(f"{head}\nSELECT {in_scope_sql}, {aggs} FROM graded", params)
        t0 = dict(zip(tcols, trows[0], strict=True))
        in_scope = t0.pop("in_scope")
        tot = t0
    rated = int(tot["customers"])
    mean_score = tot["score_sum"] / rated if rated else None
    overdue, unpaid, n_overdue = tot["overdue_amount"], tot["unpaid_amount"], tot["customers_overdue"]
    grade_counts = [int(tot[f"n_{g['grade']}"]) for g in GRADES]

    figures: dict[str, Any] = {
        "customers_in_scope": in_scope,
        "customers_rated": rated,
        "customers_unrated": in_scope - rated,
        "mean_score": mean_score,
        "grade_counts": {g["grade"]: n for g, n in zip(GRADES, grade_counts, strict=True)},
        "overdue_amount": overdue,
        "unpaid_amount": unpaid,
        "overdue_share_of_unpaid": overdue / unpaid if unpaid else None,
        "customers_overdue": n_overdue,
    }
    definitions = [
        Definition(
            name="score",
            zh="信用分 = 100 × Σ 权重 × 因子得分(各因子 0–1,1 为最好)",
            en="Credit score = 100 × Σ weight × factor (each factor 0–1, 1 best)",
            value=w,
        ),
        *[Definition(name=f"weight_{k}", zh=WEIGHTS[k]["zh"], en=WEIGHTS[k]["en"], value=v) for k, v in w.items()],
        *[
            Definition(name=k, zh=s["zh"], en=s["en"], value=cap if k == "days_late_cap" else s["value"])
            for k, s in SCALES.items()
        ],
        *[
            Definition(
                name=f"grade_{g['grade']}",
                zh=f"{g['grade']} {g['zh']}:信用分 ≥ {g['min']}",
                en=f"{g['grade']} {g['en']}: score ≥ {g['min']}",
                value=g["min"],
            )
            for g in GRADES
        ],
        Definition(
            name="assessed_invoice",
            zh="已评估发票:截至 as_of 已付款,或未付且已过到期日;as_of 之后的付款视为未付",
            en="Assessed invoice: paid by as_of, or unpaid and past due; a payment after as_of counts as unpaid",
            value="paid_date <= as_of OR (paid_date IS NULL OR paid_date > as_of) AND due_date < as_of",
        ),
        Definition(
            name="overdue_amount",
            zh="逾期金额:截至 as_of 未付且已过到期日的发票金额",
            en="Overdue amount: invoices unpaid at as_of and past their due date",
            value="sum(amount) where unpaid and due_date < as_of",
        ),
    ]
    notes: list[str] = []
    if in_scope - rated:
        notes.append(
            f"{in_scope - rated} 位客户在期间内没有发票,未评级。 / {in_scope - rated} customers have no invoice in the window and are not rated."
        )
    return ToolResult(
        as_of=as_of,
        figures=figures,
        columns=cols,
        rows=rows,
        definitions=definitions,
        sql=tr.sql,
        chart=chart,
        notes=notes,
    )
