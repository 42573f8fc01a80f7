"""Every benchmark still runs (quick mode: tiny sizes, nothing measured) and returns JSON-able figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.commands import benchmarks as bench


@pytest.mark.parametrize("name", sorted(bench.discover()))
def test_benchmark_runs_quick(name: str, tmp_path: Path) -> None:
    out = bench.run([name], quick=True, write=False, cache_dir=tmp_path)
    result = out["results"][name]
    assert result["_total_seconds"] >= 0
    json.dumps(result, default=str)
    assert len(result) > 1, "a benchmark must report at least one figure"
