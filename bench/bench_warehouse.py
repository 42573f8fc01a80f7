"""Sample generation: wall time and peak memory (of the generating process) at the demo size and at scale."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from assistant.commands.benchmarks import SIZES, BenchContext


def run(ctx: BenchContext) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in dict.fromkeys([ctx.size("default"), ctx.size("large")]):
            spec = SIZES[size]
            db = Path(tmp) / f"{size}.duckdb"
            cmd = [
                sys.executable,
                "-m",
                "assistant",
                "data",
                "generate",
                "--db",
                str(db),
                "--customers",
                str(spec["customers"]),
                "--lines-per-customer",
                str(spec["lines_per_customer"]),
            ]
            m = ctx.run_process(cmd)
            con = duckdb.connect(str(db), read_only=True)
            m["customers"] = con.execute("SELECT count(*) FROM customers").fetchone()[0]
            m["order_lines"] = con.execute("SELECT count(*) FROM order_items").fetchone()[0]
            con.close()
            m["file_mib"] = round(db.stat().st_size / 2**20, 1)
            out[f"generate_{size}"] = m
            db.unlink()
    return out
