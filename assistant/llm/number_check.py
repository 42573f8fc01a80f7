"""Check that every number in the model's narrative comes from the tool results (or the question).

Formatting is allowed: thousands separators, full-width digits, 万/亿/k/M/million, percentages of ratios,
rounding or truncating to the precision shown. Arithmetic is not: a sum, a difference or a ratio the model
worked out itself is not in any result, so it is reported as untraceable.

>>> untraceable("销售额 123.5万,占 12.3%,共 3 家", [{"revenue": 1234567.0, "share": 0.1234, "rows": 3}])
[]
>>> untraceable("Revenue grew to 1.5 million", [{"revenue": 1234567.0}])
['1.5 million']
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# A number (with thousands separators or not), then an optional scale or percent sign.
NUMBER_RE = re.compile(
    r"(?<![\d.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(\s*(?:%|个百分点|百分点|万亿|千万|百万|亿|万|千|(?:thousand|million|billion|bn|pp)\b|[kKMB]\b))?",
)
SCALES = {
    "": 1.0,
    "千": 1e3,
    "万": 1e4,
    "亿": 1e8,
    "万亿": 1e12,
    "百万": 1e6,
    "千万": 1e7,
    "thousand": 1e3,
    "k": 1e3,
    "K": 1e3,
    "million": 1e6,
    "M": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "B": 1e9,
}
PERCENT = {"%", "个百分点", "百分点", "pp"}
DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
MAX_ORDINAL = 50  # list numbering "1. … 2. …" is allowed up to the number of rows shown


@dataclass(frozen=True)
class Mention:
    """A number as written: its text, value, decimals shown and unit."""

    text: str
    value: float
    decimals: int
    unit: str


def _normalize(text: str) -> str:
    # Full-width digits and signs (１２３，４５６％) read like ASCII ones.
    return unicodedata.normalize("NFKC", text)


def mentions(text: str) -> list[Mention]:
    """The numbers written in ``text``."""
    out = []
    for m in NUMBER_RE.finditer(_normalize(text)):
        digits, unit = m.group(1), (m.group(2) or "").strip()
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        out.append(Mention(m.group(0).strip(), float(digits.replace(",", "")), decimals, unit))
    return out


class Sources:
    """The numbers a narrative may use: every figure and cell of the tool results, and the question's own."""

    def __init__(self) -> None:
        self.values: set[float] = set()
        self.strings: set[str] = set()

    def add(self, obj: Any) -> None:
        if isinstance(obj, bool) or obj is None:
            return
        if isinstance(obj, (int, float, Decimal)):
            v = float(obj)
            if math.isfinite(v):
                self.values.add(abs(v))
        elif isinstance(obj, (dt.date, dt.datetime)):
            self.add(obj.isoformat())
        elif isinstance(obj, str):
            self._add_text(obj)
        elif isinstance(obj, dict):
            for v in obj.values():
                self.add(v)
        elif isinstance(obj, (list, tuple, set)):
            for v in obj:
                self.add(v)
        elif hasattr(obj, "model_dump"):
            self.add(obj.model_dump())

    def _add_text(self, s: str) -> None:
        s = _normalize(s)
        if any(ch.isdigit() for ch in s) and len(s) >= 2:
            self.strings.add(s)  # ids, names and dates are removed verbatim before numbers are read
        for mention in mentions(s):
            self.values.add(mention.value * SCALES.get(mention.unit, 1.0))
            self.values.add(mention.value)
        for y, mo, d in DATE_RE.findall(s):
            self.values.update({float(y), float(mo), float(d), float((int(mo) - 1) // 3 + 1)})

    def allow_ordinals(self, n: int) -> None:
        self.values.update(float(i) for i in range(1, min(n, MAX_ORDINAL) + 1))

    def traces(self, m: Mention) -> bool:
        if m.unit in PERCENT:
            # 12.3% may be the ratio 0.123 or the percentage 12.3.
            return any(_shows(m, c) for v in self.values for c in (v, v * 100))
        scale = SCALES.get(m.unit, 1.0)
        return any(_shows(m, v / scale) for v in self.values)


def _shows(m: Mention, value: float) -> bool:
    """``value`` rounded (half up) or truncated to the decimals shown is the number written."""
    step = 10.0**m.decimals
    eps = 1e-9 * max(1.0, value)
    rounded = math.floor(value * step + 0.5) / step
    truncated = math.floor(value * step + 1e-9) / step
    return abs(m.value - rounded) <= eps or abs(m.value - truncated) <= eps


def untraceable(text: str, results: Iterable[Any], question: str = "", ordinals: int = 0) -> list[str]:
    """The numbers in ``text`` that none of ``results`` (nor the question) contains, as written."""
    src = Sources()
    for r in results:
        src.add(r)
    src.add(question)
    src.allow_ordinals(ordinals)
    body = _normalize(text)
    for s in sorted(src.strings, key=len, reverse=True):
        body = body.replace(s, " ")
    return [m.text for m in mentions(body) if not src.traces(m)]
