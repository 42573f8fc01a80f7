"""Semantic layer and SQL guard: latency of typical metric queries (compile + run) on the default sample and
on the large warehouse (1M customers, ~10M order lines), and the guard's parse/check time."""

from __future__ import annotations

import statistics
import time
from typing import Any

import duckdb

from assistant.commands.benchmarks import BenchContext
from assistant.warehouse.sql_guard import check_sql, guarded_query

# Typical questions, as metric_query specs (the period is filled in from the data's last order date).
QUERIES: dict[str, dict[str, Any]] = {
    "revenue_total": {"metrics": ["revenue"]},
    "top10_customers_east_this_year": {
        "metrics": ["revenue"],
        "by": ["customer"],
        "region": "华东",
        "top": 10,
        "_year": True,
    },
    "category_revenue_gross_profit": {"metrics": ["revenue", "gross_profit"], "by": ["category"], "_year": True},
    "new_customers_by_month": {"metrics": ["new_customers"], "by": ["month"], "_year": True},
    "rep_inactive_90_days": {
        "metrics": ["days_since_last_order"],
        "by": ["customer"],
        "having": [{"metric": "days_since_last_order", "op": ">", "value": 90}],
        "_rep": True,
    },
    "multi_fact_by_region": {"metrics": ["revenue", "complaints", "nps", "contacts"], "by": ["region"], "_year": True},
    "revenue_by_region_vs_last_year": {
        "metrics": ["revenue", "orders"],
        "by": ["region"],
        "compare": "same_period_last_year",
        "_year": True,
    },
}

GUARD_SQL = (
    "WITH r AS (SELECT c.region, sum(oi.amount) AS rev FROM orders o JOIN order_items oi USING (order_id) "
    "JOIN customers c USING (customer_id) WHERE o.status = 'completed' GROUP BY 1) "
    "SELECT region, rev, rank() OVER (ORDER BY rev DESC) FROM r ORDER BY 3"
)


def _spec(con: duckdb.DuckDBPyConnection, raw: dict[str, Any]) -> dict[str, Any]:
    spec = {k: v for k, v in raw.items() if not k.startswith("_")}
    as_of = con.execute("SELECT max(order_date) FROM orders").fetchone()[0]
    spec["as_of"] = as_of
    if raw.get("_year"):
        spec["start"] = as_of.replace(month=1, day=1)
    if raw.get("_rep"):
        spec["rep_id"] = con.execute("SELECT rep_id FROM customers WHERE rep_id IS NOT NULL LIMIT 1").fetchone()[0]
    return spec


def _latencies(con: duckdb.DuckDBPyConnection, repeat: int) -> dict[str, Any]:
    from tools.metric_query import MetricQueryArgs, metric_query

    out: dict[str, Any] = {}
    all_ms: list[float] = []
    for name, raw in QUERIES.items():
        args = MetricQueryArgs.model_validate(_spec(con, raw))
        times = []
        rows = 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            res = metric_query(con, args)
            times.append((time.perf_counter() - t0) * 1000)
            rows = len(res.rows)
        all_ms += times
        out[name] = {"ms_median": round(statistics.median(times), 1), "rows": rows}
    all_ms.sort()
    out["_p50_ms"] = round(statistics.median(all_ms), 1)
    out["_p95_ms"] = round(all_ms[min(len(all_ms) - 1, int(0.95 * len(all_ms)))], 1)
    return out


def run(ctx: BenchContext) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in dict.fromkeys(["default", "large"]):
        path = ctx.warehouse(size)
        con = duckdb.connect(str(path), read_only=True)
        con.execute("SET enable_progress_bar = false")
        try:
            out[f"metric_query_{ctx.size(size)}"] = _latencies(con, repeat=1 if ctx.quick or size == "large" else 5)
        finally:
            con.close()
        secs, res = ctx.timed(
            lambda p=path: guarded_query(p, GUARD_SQL, limit=100, timeout_s=60), repeat=1 if ctx.quick else 3
        )
        out[f"guarded_query_{ctx.size(size)}"] = {"ms": round(secs * 1000, 1), "rows": len(res.rows)}
    secs, _ = ctx.timed(lambda: [check_sql(GUARD_SQL) for _ in range(100)])
    out["check_sql_ms_each"] = round(secs * 10, 3)
    out["peak_rss_mib"] = ctx.peak_rss_mib()
    return out
