"""Where the import's time goes: the same import as ``bench_import`` (the transactions preset on the cached log), run
in this process with every statement timed, at 500,000 and 10 million lines (quick mode: 2,000).

Per size: the import's wall and CPU time (user + system of this process, DuckDB's threads included), the cores this
process may use, and

- ``one_thread_seconds``: the wall time of the statements that used about one core (CPU < 1.25 × wall); on these
  more cores do not help (DuckDB runs them on one thread: a window over every row in file order and the insert
  after it, the primary keys built at COMMIT);
- ``between_statements_seconds``: the wall time outside any statement (Python, reading results);
- ``cpu_bound_seconds``: CPU / cores, the least wall time the import could take if every step kept every core
  busy; against ``bench_import``'s plain load it bounds the best ratio this much work can reach;
- ``steps``: the statements taking the most wall time (their SQL's start, wall, CPU, cores used).

The figures explain ``bench_import``'s ratio; its target is there.
"""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.commands.benchmarks import BenchContext, load

SHOWN = 12  # statements listed per size
ONE_CORE = 1.25  # a statement whose CPU is below this many times its wall time used about one core


class _Timed:
    """A DuckDB connection whose ``execute`` records each statement's wall and CPU time."""

    def __init__(self, con: Any, log: list[tuple[str, float, float]]) -> None:
        self._con = con
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        t0, c0 = time.perf_counter(), BenchContext.cpu_seconds()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            self._log.append((" ".join(sql.split()), time.perf_counter() - t0, BenchContext.cpu_seconds() - c0))


@contextmanager
def _timed_import(log: list[tuple[str, float, float]]) -> Any:
    """The importer's connections, timed, for the duration of the block."""
    from assistant.warehouse.importer import core

    connect = core.connect
    core.connect = lambda *a, **k: _Timed(connect(*a, **k), log)  # type: ignore[assignment]
    try:
        yield core
    finally:
        core.connect = connect  # type: ignore[assignment]


def measure(log_path: Path, db: Path) -> dict[str, Any]:
    from assistant.warehouse.importer.models import ImportOptions

    log: list[tuple[str, float, float]] = []
    opts = ImportOptions(preset="transactions", date_order="mdy")
    with _timed_import(log) as core:
        t0, c0 = time.perf_counter(), BenchContext.cpu_seconds()
        core.import_files([log_path], opts, db=db)
        wall, cpu = time.perf_counter() - t0, BenchContext.cpu_seconds() - c0
    cores = len(os.sched_getaffinity(0))
    one_thread = sum(w for _, w, c in log if c < ONE_CORE * w)
    top = sorted(log, key=lambda x: -x[1])[:SHOWN]
    return {
        "wall": round(wall, 3),
        "cpu": round(cpu, 3),
        "cores": cores,
        "statements": len(log),
        "one_thread_seconds": round(one_thread, 3),
        "between_statements_seconds": round(wall - sum(w for _, w, _ in log), 3),
        "cpu_bound_seconds": round(cpu / cores, 3),
        "steps": [
            {"sql": sql[:110], "wall": round(w, 3), "cpu": round(c, 3), "cores_used": round(c / w, 2) if w else None}
            for sql, w, c in top
        ],
    }


def run(ctx: BenchContext) -> dict[str, Any]:
    bi = load("import")  # its cached log and sizes
    out: dict[str, Any] = {"load_before": os.getloadavg(), "sizes": {}}
    for lines in bi.LINES["quick" if ctx.quick else "full"]:
        log_path = bi.cached_log(ctx.cache_dir, lines)
        with tempfile.TemporaryDirectory(dir=ctx.cache_dir) as tmp:
            out["sizes"][str(lines)] = measure(log_path, Path(tmp) / "imported.duckdb")
    out["load_after"] = os.getloadavg()
    return out
