"""The analysis tools at scale: wall and CPU seconds per tool and view on the large warehouse (1M customers,
~10M order lines), opened read-only.

CPU time is user+sys of this process (``getrusage(RUSAGE_SELF)``), which counts DuckDB's worker threads too; on a
shared machine it is the steadier figure (wall time grows with other people's load, CPU time much less). Each
view runs ``REPEAT`` times; the best wall and the best CPU are kept. Target (issue 4): every tool ≤ 2 s wall.

Also runnable by hand for a subset while profiling:
``python bench/bench_tools_scale.py [--quick] [tool[:view] ...]``.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import duckdb

from assistant.commands.benchmarks import BenchContext
from tools import load_all

TARGET_SECONDS = 2.0
REPEAT = 2

# The main views of each tool this benchmark owns (rfm, customer_types and tiers are measured by bench_tools).
VIEWS: dict[str, dict[str, dict[str, Any]]] = {
    "profitability": {
        "default": {},
        "by_customer": {"by": "customer"},
        "loss_only": {"by": "customer", "loss_only": True},
    },
    "clv": {"default": {}, "by_customer": {"by": "customer"}, "historical": {"predictive": False}},
    "credit": {"default": {}, "by_customer": {"by": "customer"}},
    "boston_matrix": {"category": {}, "product": {"level": "product"}},
    "satisfaction": {
        "summary": {},
        "by_region": {"view": "by", "dimension": "region"},
        "trend": {"view": "trend"},
        "extremes": {"view": "extremes"},
    },
    "attention": {
        "summary": {},
        "by_category": {"view": "by", "dimension": "category"},
        "backlog": {"view": "backlog"},
        "contacts": {"view": "contacts"},
    },
    "churn_retention": {"churn": {}, "cohort": {"view": "cohort"}, "at_risk": {"view": "at_risk"}},
    "loyalty": {"band": {}, "by_customer": {"by": "customer"}},
    "product_distribution": {"region": {}, "month": {"dimension": "month"}},
    "cross_sell": {
        "pairs": {},
        "customer": {"view": "customer", "customer_id": "$first_customer"},
        "upsell": {"view": "upsell", "customer_id": "$first_customer"},
    },
    "metric_query": {
        "revenue_by_region": {"metrics": ["revenue"], "by": ["region"]},
        "revenue_by_month": {"metrics": ["revenue"], "by": ["month"]},
    },
    "change_drivers": {
        "customer_group": {},
        "by_customer": {"by": "customer"},
        "by_category": {"by": "category"},
        "by_rep_orders": {"by": "rep", "metric": "orders"},
        "price_volume_mix": {"by": "price_volume_mix"},
        "gross_profit_year": {"metric": "gross_profit", "period_grain": "year"},
    },
}


def measure(
    con: duckdb.DuckDBPyConnection, only: list[str] | None = None, repeat: int = REPEAT
) -> dict[str, dict[str, Any]]:
    """Best wall and CPU seconds per tool and view; errors are reported, not raised."""
    registry = load_all()
    first = con.execute("SELECT min(customer_id) FROM customers").fetchone()[0]
    out: dict[str, dict[str, Any]] = {}
    for name, views in VIEWS.items():
        for label, raw in views.items():
            if only and name not in only and f"{name}:{label}" not in only:
                continue
            args = {k: first if v == "$first_customer" else v for k, v in raw.items()}
            best_wall = best_cpu = float("inf")
            entry: dict[str, Any] = {}
            try:
                for _ in range(repeat):
                    c0, t0 = BenchContext.cpu_seconds(), time.perf_counter()
                    res = registry[name].run(con, args)
                    best_wall = min(best_wall, time.perf_counter() - t0)
                    best_cpu = min(best_cpu, BenchContext.cpu_seconds() - c0)
                entry = {"wall": round(best_wall, 3), "cpu": round(best_cpu, 3), "rows": len(res.rows)}
            except Exception as exc:  # a broken view is reported, the others still get measured
                entry = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            out.setdefault(name, {})[label] = entry
            print(f"[tools_scale] {name}/{label}: {entry}", file=sys.stderr)  # noqa: T201
    return out


def over_target(result: dict[str, dict[str, Any]]) -> list[str]:
    return [
        f"{name}/{label}: " + ("error" if "error" in r else f"{r['wall']} s")
        for name, views in result.items()
        for label, r in views.items()
        if "error" in r or r["wall"] > TARGET_SECONDS
    ]


def run(ctx: BenchContext) -> dict[str, Any]:
    path = ctx.warehouse("large")
    con = duckdb.connect(str(path), read_only=True)
    try:
        customers, lines = con.execute(
            "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM order_items)"
        ).fetchone()
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        tools = measure(con, repeat=1 if ctx.quick else REPEAT)
    finally:
        con.close()
    return {
        "warehouse": path.name,
        "customers": customers,
        "order_lines": lines,
        "duckdb_threads": threads,
        "repeat": 1 if ctx.quick else REPEAT,
        "target_seconds": TARGET_SECONDS,
        "tools": tools,
        "over_target": over_target(tools),
    }


if __name__ == "__main__":
    argv = sys.argv[1:]
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("--")]
    ctx = BenchContext(quick=quick)
    con = duckdb.connect(str(ctx.warehouse("large")), read_only=True)
    for tool, views in measure(con, only=names or None).items():
        for label, r in views.items():
            print(f"{tool:22s} {label:18s} {r}")  # noqa: T201
