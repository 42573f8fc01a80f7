"""A survey score named with a value: "推荐意愿打了0分", "a CSAT of 1 last quarter", "CES打5分及以上".

The responses that gave it are a filter on survey measures (``survey_score`` in the metric layer, "nps=0",
"ces>=5"): "哪些客户打了0分" lists the customers with such a response, "打5分及以上的比例" is their share of the
responses that gave that score. Words and patterns are in measures.yaml (``score_conditions``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.nlu.measures import raw_table
from assistant.nlu.numbers import parse_int
from assistant.nlu.phrase import phrase_pattern

HERE = Path(__file__).parent


@dataclass(frozen=True)
class ScoreCondition:
    field: str  # nps, csat, ces
    op: str
    value: int
    start: int
    end: int

    @property
    def spec(self) -> str:
        """The metric layer's form: "nps=0", "ces>=5"."""
        return f"{self.field}{self.op}{self.value}"


@cache
def _table() -> tuple[list[tuple[re.Pattern[str], str]], list[re.Pattern[str]], dict[str, str]]:
    raw = raw_table()["score_conditions"]
    fields = [
        (re.compile(phrase_pattern(str(w))), key)
        for key, langs in raw["fields"].items()
        for lang in ("zh", "en")
        for w in langs.get(lang, [])
    ]
    values = [re.compile(str(rx), re.IGNORECASE) for rx in raw["values"]]
    cmp = {str(w).lower(): op for op, words in raw["cmp"].items() for w in words}
    return fields, values, cmp


def read_score(q: str) -> ScoreCondition | None:
    """The score condition ``q`` names, the score being the one named nearest the value; None without both."""
    fields, values, cmp = _table()
    low = q.lower()
    named = [(m.start(), m.end(), key) for rx, key in fields for m in rx.finditer(low)]
    if not named:
        return None
    for rx in values:
        m = rx.search(q)
        if not m:
            continue
        raw = m.group("n").lower()
        n = parse_int(raw)  # digits, Chinese numerals or English words ("zero", "five")
        if n is None:
            continue
        op = cmp.get((m.group("cmp") or "").lower(), "=")
        nearest = min(named, key=lambda f: min(abs(f[0] - m.start()), abs(f[1] - m.start())))
        return ScoreCondition(nearest[2], op, n, m.start(), m.end())
    return None
