"""The manager's review against one RFM run, and the CLI's cold start, on the large warehouse (1M customers, ~10M
order lines), opened read-only.

- ``rfm`` and ``business_review``: the tools in this process, default arguments (the review: this quarter), one
  of each in turn per round, best of ``REPEAT`` rounds for wall and for CPU (user+sys of this process, DuckDB's
  threads included: the steadier figure on a shared machine). ``review_vs_rfm`` is the ratio of the best walls,
  ``review_vs_rfm_cpu`` of the best CPUs. With free cores RFM's one large statement runs on both DuckDB threads
  while the review's many smaller ones use them less, so its wall ratio is above its CPU ratio on a quiet machine.
- ``tool_rfm_process``: ``python -m assistant tool rfm`` as a whole process (start-up, imports, the query,
  printing), best of ``REPEAT``; ``tool_help_process``: start-up alone.

Targets (issue 18): the review ≤ 2× one RFM run; ``tool rfm`` ≤ 2 s as a process.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import duckdb

from assistant.capabilities import load_all
from assistant.commands.benchmarks import BenchContext

REPEAT = 3
TARGETS = {"review_vs_rfm": 2.0, "tool_rfm_process_seconds": 2.0}


def measure(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, dict[str, Any]]:
    """Each function once per round, in turn, for ``repeat`` rounds: on a shared machine the load changes from one
    second to the next, so the two figures of a ratio are taken side by side rather than one batch after the other."""
    walls: dict[str, list[float]] = {name: [] for name in fns}
    cpus: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0, c0 = time.perf_counter(), BenchContext.cpu_seconds()
            fn()
            walls[name].append(round(time.perf_counter() - t0, 3))
            cpus[name].append(round(BenchContext.cpu_seconds() - c0, 3))
    return {name: {"wall": min(walls[name]), "cpu": min(cpus[name]), "walls": walls[name]} for name in fns}


def run(ctx: BenchContext) -> dict[str, Any]:
    path = ctx.warehouse("large")
    load_before = os.getloadavg()  # the machine is shared: how busy it was, before and after
    repeat = 1 if ctx.quick else REPEAT
    registry = load_all()
    con = duckdb.connect(str(path), read_only=True)
    try:
        # One review first: the order totals' full fingerprint is checked once per process, not per review.
        sql_statements = len(registry["business_review"].run(con, {}).sql)
        got = measure(
            {
                "rfm": lambda: registry["rfm"].run(con, {}),
                "business_review": lambda: registry["business_review"].run(con, {}),
            },
            repeat,
        )
        rfm, review = got["rfm"], got["business_review"]
    finally:
        con.close()
    cli = [sys.executable, "-m", "assistant"]
    procs = [ctx.run_process([*cli, "tool", "rfm", "--db", str(path)]) for _ in range(repeat)]
    helps = [ctx.run_process([*cli, "tool", "--help"]) for _ in range(repeat)]
    best = min(procs, key=lambda m: m["seconds"])
    out = {
        "warehouse": path.name,
        "repeat": repeat,
        "targets": TARGETS,
        "rfm": rfm,
        "business_review": review,
        "review_statements": sql_statements,
        "review_vs_rfm": round(review["wall"] / max(rfm["wall"], 1e-6), 2),
        "review_vs_rfm_cpu": round(review["cpu"] / max(rfm["cpu"], 1e-6), 2),
        "tool_rfm_process": {**best, "runs": [m["seconds"] for m in procs]},
        "tool_help_process_seconds": min(m["seconds"] for m in helps),
        "load_before": load_before,
        "load_after": os.getloadavg(),
    }
    out["over_target"] = [
        k
        for k, bad in (
            ("review_vs_rfm", out["review_vs_rfm"] > TARGETS["review_vs_rfm"]),
            ("tool_rfm_process_seconds", best["seconds"] > TARGETS["tool_rfm_process_seconds"]),
        )
        if bad
    ]
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(BenchContext(quick="--quick" in sys.argv)), indent=2, default=str))  # noqa: T201
