"""Spark local mode (local[2]) beside DuckDB: every analysis tool on the same warehouse, same arguments.

The warehouse is exported to Parquet (``data export``'s writer) and read by one Spark session; its start, the
table registration and the ``order_totals`` job are timed apart from the tools. On the sample DuckDB is timed
best of 3, Spark best of 2 after the first (cold) run. The 10M-line warehouse (1M customers) runs every tool
once on each engine, only with ``ASSISTANT_BENCH_SPARK_LARGE=1`` (the run takes most of an hour on 2 cores);
a Spark statement still running after ``LARGE_BUDGET_S`` is cancelled and reported as over budget. The Spark
settings are the engine's defaults (a 1 GB local driver) unless ``ASSISTANT_SPARK_CONF`` says otherwise.

Quick mode (the test suite) checks the DuckDB side and the export only: a second JVM beside the parity suite's
would starve a 2-core machine. Without pyspark or Java the Spark figures say why they are missing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import duckdb

from assistant.capabilities import load_all
from assistant.commands.benchmarks import BenchContext
from assistant.warehouse.parquet_export import export_parquet

# One call per tool, the arguments a user sends most (the parity suite covers the other views).
CASES: dict[str, dict[str, Any]] = {
    "attention": {},
    "boston_matrix": {},
    "change_drivers": {"start": "2025-01-01", "end": "2025-12-31"},
    "churn_retention": {},
    "clv": {},
    "credit": {},
    "cross_sell": {},
    "customer_types": {},
    "loyalty": {},
    "metric_query": {"metrics": ["revenue"], "by": ["region"]},
    "product_distribution": {},
    "profitability": {},
    "rfm": {},
    "satisfaction": {},
    "tiers": {},
    "sql_query": {"sql": "SELECT region, count(*) AS customers FROM customers GROUP BY region"},
}
LARGE_CASES = tuple(CASES)
LARGE_BUDGET_S = 900.0  # per tool on Spark at 10M lines; past it the statement is cancelled


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark not installed (pip install '.[spark]')"
    if shutil.which("java") is None:
        return "java not found (apt-get install openjdk-17-jre-headless)"
    return None


def _time_tools(
    ctx: BenchContext, db: Path, engine: Any, names: tuple[str, ...], *, large: bool = False
) -> dict[str, Any]:
    specs = load_all()
    con = duckdb.connect(str(db), read_only=True)
    out: dict[str, Any] = {}
    try:
        for name in names:
            spec, args = specs[name], CASES[name]
            row: dict[str, Any] = {}
            over = False
            try:
                duck, _ = ctx.timed(lambda spec=spec, args=args: spec.run(con, args), repeat=1 if large else 3)
                row["duckdb_seconds"] = round(duck, 3)
                if engine is not None and large:
                    # One run: at 10M lines a run is minutes, and the first run's extra (JIT, caches) is small.
                    timer = threading.Timer(LARGE_BUDGET_S, engine.interrupt)
                    timer.start()
                    try:
                        warm, _ = ctx.timed(lambda spec=spec, args=args: spec.run(engine, args))
                    finally:
                        over = not timer.is_alive()
                        timer.cancel()
                    row["spark_seconds"] = round(warm, 3)
                    row["spark_over_duckdb"] = round(warm / duck, 1) if duck > 0 else None
                elif engine is not None:
                    cold, _ = ctx.timed(lambda spec=spec, args=args: spec.run(engine, args))
                    warm, _ = ctx.timed(lambda spec=spec, args=args: spec.run(engine, args), repeat=2)
                    row |= {"spark_cold_seconds": round(cold, 3), "spark_seconds": round(warm, 3)}
                    row["spark_over_duckdb"] = round(warm / duck, 1) if duck > 0 else None
            except Exception as exc:  # one broken tool is reported, the others are still measured
                row["error"] = f"{type(exc).__name__}: {exc}"[:300]
                if large and engine is not None and over:
                    row["error"] = f"over the {LARGE_BUDGET_S:.0f} s budget: cancelled"
            out[name] = row
    finally:
        con.close()
    return out


def _one_size(ctx: BenchContext, size: str, names: tuple[str, ...], missing: str | None) -> dict[str, Any]:
    db = ctx.warehouse(size)
    folder = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    try:
        con = duckdb.connect(str(db), read_only=True)
        try:
            t0 = time.perf_counter()
            rows = export_parquet(con, folder)
            export_s = time.perf_counter() - t0
        finally:
            con.close()
        out: dict[str, Any] = {
            "warehouse": db.name,
            "order_lines": rows.get("order_items"),
            "parquet_export_seconds": round(export_s, 3),
            "parquet_mib": round(sum(p.stat().st_size for p in folder.iterdir()) / 2**20, 1),
        }
        if missing or ctx.quick:
            out["spark"] = missing or "skipped in quick mode"
            out["tools"] = _time_tools(ctx, db, None, names)
            return out
        from assistant.warehouse.spark_engine import LOCAL_CONF, SparkEngine, extra_conf, session_conf, start_session

        t0 = time.perf_counter()
        spark = start_session("local[2]")
        out["spark_session_start_seconds"] = round(time.perf_counter() - t0, 3)
        out["spark_conf"] = {**LOCAL_CONF, **session_conf(), **extra_conf()}
        try:
            t0 = time.perf_counter()
            engine = SparkEngine(spark).load_parquet(folder)
            out["spark_tables_seconds"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            engine.rows("SELECT count(*) AS n FROM order_totals")  # the cached job runs on first use
            out["spark_order_totals_job_seconds"] = round(time.perf_counter() - t0, 3)
            out["tools"] = _time_tools(ctx, db, engine, names, large=size == "large")
        finally:
            spark.stop()
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(ctx: BenchContext) -> dict[str, Any]:
    missing = _spark_missing()
    out: dict[str, Any] = {"master": "local[2]", "default": _one_size(ctx, "default", tuple(CASES), missing)}
    if os.environ.get("ASSISTANT_BENCH_SPARK_LARGE") == "1" and not ctx.quick:
        out["large"] = _one_size(ctx, "large", LARGE_CASES, missing)
    else:
        out["large"] = "not run: set ASSISTANT_BENCH_SPARK_LARGE=1 (10M lines; most of an hour on 2 cores)"
    return out
