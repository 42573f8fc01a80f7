"""Thresholds, weights, segment rules and labels, as YAML: one source of truth for code and docs.

>>> isinstance(load("_example"), dict)
True
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
# libyaml's parser when PyYAML was built with it: the same mappings, ~8x faster (every command that loads the tools
# reads these tables at start-up); the pure-Python one otherwise.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load(name: str) -> dict[str, Any]:
    """Load ``tools/tables/<name>.yaml`` (cached; treat the result as read-only)."""
    with (HERE / f"{name}.yaml").open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_LOADER)  # noqa: S506 (a safe loader)
    if not isinstance(data, dict):
        raise ValueError(f"tools/tables/{name}.yaml must hold a mapping")
    return data
