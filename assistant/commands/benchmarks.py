"""Benchmark runner: discovers ``bench/bench_*.py`` and writes JSON results.

Each benchmark module defines ``run(ctx: BenchContext) -> dict``. Results go to
``bench/results/<name>.json`` and are printed together. ``quick`` mode uses tiny
sizes so the test suite can check that every benchmark still runs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from assistant.core.config import DATA_DIR, ROOT

BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
T = TypeVar("T")

# Sizes: the default demo sample and the scale target (1M customers, ~10M order lines).
SIZES: dict[str, dict[str, int]] = {
    "default": {"customers": 2_000, "lines_per_customer": 25},
    "large": {"customers": 1_000_000, "lines_per_customer": 10},
    "quick": {"customers": 200, "lines_per_customer": 10},
}


@dataclass
class BenchContext:
    quick: bool = False
    cache_dir: Path = DATA_DIR / "bench"

    def size(self, name: str) -> str:
        """The size actually used: everything shrinks to 'quick' in quick mode."""
        return "quick" if self.quick else name

    def warehouse(self, size: str = "default", seed: int = 42) -> Path:
        """A generated warehouse of that size, built once and cached under data/bench/."""
        size = self.size(size)
        spec = SIZES[size]
        path = self.cache_dir / f"{size}-{spec['customers']}-{spec['lines_per_customer']}-s{seed}.duckdb"
        if not path.exists():
            from assistant.warehouse.generate import GenerateOptions, generate

            tmp = path.with_suffix(".tmp.duckdb")
            tmp.unlink(missing_ok=True)
            generate(tmp, GenerateOptions(seed=seed, **spec))
            tmp.rename(path)
        return path

    @staticmethod
    def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
        """Best wall time in seconds over ``repeat`` runs, and the last result."""
        best = float("inf")
        out: Any = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            out = fn()
            best = min(best, time.perf_counter() - t0)
        return best, out

    @staticmethod
    def run_process(cmd: Sequence[str], env: dict[str, str] | None = None) -> dict[str, float]:
        """Run a command in a child process; its wall time and its own peak RSS (MiB).

        Its output is discarded: ``bench`` prints its JSON on stdout, which a child's report would corrupt.
        """
        t0 = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603
            list(cmd), env={**os.environ, **(env or {})}, cwd=ROOT, stdout=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(proc.pid, 0)
        secs = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"benchmark command failed: {' '.join(cmd)}")
        return {"seconds": round(secs, 3), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}

    @staticmethod
    def cpu_seconds() -> float:
        """User + system CPU seconds of this process so far, DuckDB's worker threads included."""
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    @staticmethod
    def peak_rss_mib() -> float:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def discover() -> dict[str, Path]:
    return {p.stem.removeprefix("bench_"): p for p in sorted(BENCH_DIR.glob("bench_*.py"))}


def load(name: str) -> Any:
    """The module of benchmark ``name`` (bench/bench_<name>.py: files, not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH_DIR / f"bench_{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(
    only: Sequence[str] = (), quick: bool = False, write: bool = True, cache_dir: Path | None = None
) -> dict[str, Any]:
    ctx = BenchContext(quick=quick, cache_dir=cache_dir or DATA_DIR / "bench")
    out: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "quick": quick,
        "results": {},
    }
    for name in discover():
        if only and name not in only:
            continue
        mod = load(name)
        t0 = time.perf_counter()
        result = mod.run(ctx)
        result["_total_seconds"] = round(time.perf_counter() - t0, 3)
        out["results"][name] = result
        if write:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            suffix = "-quick" if quick else ""
            (RESULTS_DIR / f"{name}{suffix}.json").write_text(
                json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
        print(f"[bench] {name}: {result['_total_seconds']} s", file=sys.stderr)  # noqa: T201
    return out
