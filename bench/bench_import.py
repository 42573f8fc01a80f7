"""Import of a large transaction log (the `transactions` preset): wall time and the importer's peak memory.

The CSV is written by DuckDB itself (no pandas), in the UCI Online Retail layout with US-style
dates, float customer ids, cancellations, returns and lines without a customer, so every cleaning
rule runs. Full size: 10 million lines; quick mode: 2,000.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from assistant.commands.benchmarks import BenchContext

LINES = {"quick": 2_000, "full": 10_000_000}


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
        FROM (SELECT i, i // 4 AS inv FROM range({lines}) t(i))
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    con.close()


def run(ctx: BenchContext) -> dict[str, Any]:
    lines = LINES["quick" if ctx.quick else "full"]
    out: dict[str, Any] = {"lines": lines}
    with tempfile.TemporaryDirectory(dir=ctx.cache_dir if ctx.cache_dir.exists() else None) as tmp:
        log = Path(tmp) / "transactions.csv"
        secs, _ = ctx.timed(lambda: write_log(log, lines))
        out["csv_mib"] = round(log.stat().st_size / 2**20, 1)
        out["write_csv_seconds"] = round(secs, 2)
        db = Path(tmp) / "imported.duckdb"
        cmd = [
            sys.executable,
            "-m",
            "assistant",
            "data",
            "import",
            str(log),
            "--preset",
            "transactions",
            "--date-order",
            "mdy",
        ]
        m = ctx.run_process([*cmd, "--db", str(db)])
        out["import"] = m
        out["lines_per_second"] = round(lines / m["seconds"]) if m["seconds"] else None
        con = duckdb.connect(str(db), read_only=True)
        out["rows"] = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("customers", "products", "orders", "order_items")
        }
        con.close()
    return out
