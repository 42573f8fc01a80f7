"""Import of a large transaction log (the `transactions` preset) against DuckDB's own plain load of the same file.

The CSV is written by DuckDB itself (no pandas), in the UCI Online Retail layout with US-style
dates, float customer ids, cancellations, returns and lines without a customer, so every cleaning
rule runs. It is deterministic and cached under data/bench/ (``transactions-<lines>.csv``).

Two sizes: about the real UCI log (500,000 lines) and the scale target (10 million); quick mode: 2,000.
For each, two whole processes on the same file, best of ``REPEAT`` (one at 10M):

- ``plain``: ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` into a new DuckDB file, auto-detected;
- ``import``: ``python -m assistant data import --preset transactions`` (full validation, four tables,
  derived totals, the swap into place).

``ratio`` = import / plain wall time (target ≤ 3), ``cpu_ratio`` the same for CPU time (user + system, steadier
on a shared machine); the import's peak RSS shows the memory stays bounded. ``cpu_bound_ratio`` = the import's CPU
time spread over the cores this process may use, against the plain wall time: the least ``ratio`` this much work
could reach if every step kept every core busy (``bench_import_steps`` shows where the time goes).
Write a log by hand: ``python bench/bench_import.py 500000`` (prints its path).
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from assistant.commands.benchmarks import BenchContext
from assistant.core.config import DATA_DIR

LINES = {"quick": (2_000,), "full": (500_000, 10_000_000)}
REPEAT = {500_000: 3, 10_000_000: 1, 2_000: 1}
TARGET_RATIO = 3.0


def write_log(path: Path, lines: int) -> None:
    """A deterministic transaction log: 4 lines per invoice, 200,000 customers, 5,000 products."""
    con = duckdb.connect()
    con.execute(
        f"""COPY (
        SELECT
          CASE WHEN inv % 50 = 0 THEN 'C' ELSE '' END || (500000 + inv)::VARCHAR AS InvoiceNo,
          'P' || ((i * 7) % 5000)::VARCHAR AS StockCode,
          'ITEM ' || ((i * 7) % 5000)::VARCHAR AS Description,
          CASE WHEN inv % 50 = 0 OR i % 97 = 0 THEN -1 - i % 3 ELSE 1 + i % 9 END AS Quantity,
          strftime(TIMESTAMP '2023-01-01' + to_seconds(inv * 20), '%-m/%-d/%Y %-H:%M') AS InvoiceDate,
          (1 + (i * 13) % 2000) / 100.0 AS UnitPrice,
          CASE WHEN inv % 100 = 7 THEN NULL ELSE ((inv * 7919) % 200000)::VARCHAR || '.0' END AS CustomerID,
          'United Kingdom' AS Country
        FROM (SELECT i, i // 4 AS inv FROM range({int(lines)}) t(i))
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    con.close()


def cached_log(folder: Path, lines: int) -> Path:
    """The log of that many lines under ``folder``, written once (to a temporary name, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"transactions-{lines}.csv"
    if not path.exists():
        tmp = path.with_suffix(".tmp.csv")
        write_log(tmp, lines)
        tmp.rename(path)
    return path


PLAIN_LOAD = (
    "import duckdb, sys; con = duckdb.connect(sys.argv[2]); con.execute('SET enable_progress_bar = false'); "
    "con.execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[1]]); con.close()"
)


def _best(runs: list[dict[str, float]]) -> dict[str, Any]:
    best = min(runs, key=lambda m: m["seconds"])
    return {**best, "runs": [m["seconds"] for m in runs], "cpu_runs": [m["cpu_seconds"] for m in runs]}


def _timed(ctx: BenchContext, cmd: list[str]) -> dict[str, float]:
    """``ctx.run_process`` plus the child's CPU time (user + system): on a shared machine the wall varies with the
    load, the CPU time much less."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = ctx.run_process(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {**out, "cpu_seconds": round(cpu, 3)}


def measure(ctx: BenchContext, log: Path, lines: int, tmp: Path) -> dict[str, Any]:
    repeat = REPEAT.get(lines, 1)
    out: dict[str, Any] = {"lines": lines, "csv_mib": round(log.stat().st_size / 2**20, 1)}
    plain, ours = [], []
    for i in range(repeat):
        plain_db, db = tmp / f"plain-{i}.duckdb", tmp / f"imported-{i}.duckdb"
        plain.append(_timed(ctx, [sys.executable, "-c", PLAIN_LOAD, str(log), str(plain_db)]))
        plain_db.unlink()
        cmd = [sys.executable, "-m", "assistant", "data", "import", str(log), "--preset", "transactions"]
        ours.append(_timed(ctx, [*cmd, "--date-order", "mdy", "--db", str(db)]))
        if i < repeat - 1:
            db.unlink()
    out["plain_read_csv"] = _best(plain)
    out["import"] = _best(ours)
    out["ratio"] = round(out["import"]["seconds"] / out["plain_read_csv"]["seconds"], 2)
    out["cpu_ratio"] = round(min(m["cpu_seconds"] for m in ours) / min(m["cpu_seconds"] for m in plain), 2)
    cores = len(os.sched_getaffinity(0))
    out["cpu_bound_ratio"] = round(min(m["cpu_seconds"] for m in ours) / cores / out["plain_read_csv"]["seconds"], 2)
    out["lines_per_second"] = round(lines / out["import"]["seconds"])
    con = duckdb.connect(str(db), read_only=True)
    out["rows"] = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("customers", "products", "orders", "order_items")
    }
    con.close()
    return out


def run(ctx: BenchContext) -> dict[str, Any]:
    # The machine is shared: its 1/5/15-minute load averages before and after say how far to trust the walls.
    out: dict[str, Any] = {"target_ratio": TARGET_RATIO, "load_before": os.getloadavg(), "sizes": {}}
    for lines in LINES["quick" if ctx.quick else "full"]:
        log = cached_log(ctx.cache_dir, lines)
        with tempfile.TemporaryDirectory(dir=ctx.cache_dir) as tmp:
            out["sizes"][str(lines)] = measure(ctx, log, lines, Path(tmp))
    out["over_target"] = [k for k, v in out["sizes"].items() if v["ratio"] > TARGET_RATIO]
    out["load_after"] = os.getloadavg()
    return out


if __name__ == "__main__":
    print(cached_log(DATA_DIR / "bench", int(sys.argv[1])))  # noqa: T201
