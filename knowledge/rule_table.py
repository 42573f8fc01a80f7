"""knowledge/rules.yaml, read once: the tables every stage of retrieval reads (tokens, ranking, facets).

Its own module so that modules ``knowledge.text`` depends on (``facets`` through ``ourdocs``) can read the rules
without importing ``text`` back.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

RULES = Path(__file__).parent / "rules.yaml"


@cache
def rules() -> dict[str, Any]:
    """knowledge/rules.yaml (cached; read-only)."""
    with RULES.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)
