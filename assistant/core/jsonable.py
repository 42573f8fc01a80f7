"""Values as JSON: the one conversion every answer, tool result and prompt uses."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any


def to_jsonable(v: Any) -> Any:
    """Dicts, lists, Decimals, dates and non-finite floats as plain JSON values.

    >>> to_jsonable({"a": Decimal("1.5"), "d": dt.date(2026, 1, 2), "x": float("nan"), 3: (1, 2)})
    {'a': 1.5, 'd': '2026-01-02', 'x': None, '3': [1, 2]}
    """
    if isinstance(v, dict):
        return {str(k): to_jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_jsonable(x) for x in v]
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v
