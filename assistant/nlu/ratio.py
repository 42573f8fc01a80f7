"""A share read as two frames: a part (a qualifier over a population) over its whole (the population).

"今年的订单里退货单占几个点" is the orders of this year (the whole: every order placed) and, among them, the
returned ones (the part: the whole's object and qualifiers plus "returned"); "of the invoices that have been paid,
what share were paid late" is paid invoices over paid invoices paid late. Where the question names the whole
(``share_sides`` in measures.yaml) splits it; each side's object and qualifiers are read with the measure parts,
and ``populations`` gives the metric that counts each side. Ticket kinds are filters on tickets (``kind_filters``):
"投诉工单里已经解决的占多少" is resolved tickets over tickets, both among complaints.

The router adds what only it knows: the filters and "my customers" named on the part's side only, which the whole
leaves out ("我的客户今年的销售额占整个华东区的多少").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from assistant.nlu.measures import Part, find_parts, raw_table
from assistant.nlu.phrase import phrase_pattern

HERE = Path(__file__).parent
QUESTION_WORD_RE = re.compile(r"多大|多少|几|什么|百分之?\S{0,3}|多|总|")


@dataclass(frozen=True)
class Population:
    object: str
    quals: frozenset[str]
    metric: str


@dataclass(frozen=True)
class RatioTable:
    sides: tuple[re.Pattern[str], ...]
    populations: tuple[Population, ...]
    kind_filters: dict[str, dict[str, str]]
    neutral: frozenset[str]
    extra: tuple[tuple[re.Pattern[str], str, str], ...]  # ratio-only words: pattern, kind, key; longest first


@dataclass(frozen=True)
class RatioReading:
    """The two sides of a share. ``part``/``whole`` are None when neither side names a population: the share is
    then of the question's own measure, told apart by the filters on each side (the router's part)."""

    whole_spans: tuple[tuple[int, int], ...]
    part: str | None = None
    whole: str | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)  # on both sides (a kind of ticket)
    part_filters: dict[str, list[str]] = field(default_factory=dict)  # on the part only

    def in_whole(self, start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e in self.whole_spans)


@cache
def table() -> RatioTable:
    raw = raw_table()
    extra = [
        (str(w), kind, key)
        for kind, groups in raw.get("ratio_parts", {}).items()
        for key, langs in groups.items()
        for lang in ("zh", "en")
        for w in langs.get(lang, [])
    ]
    extra.sort(key=lambda w: -len(w[0]))
    return RatioTable(
        tuple(re.compile(str(rx), re.IGNORECASE) for rx in raw.get("share_sides", [])),
        tuple(Population(p["object"], frozenset(p.get("quals", [])), p["metric"]) for p in raw.get("populations", [])),
        {k: dict(v) for k, v in raw.get("kind_filters", {}).items()},
        frozenset(raw.get("population_neutral", [])),
        tuple((re.compile(phrase_pattern(w)), kind, key) for w, kind, key in extra),
    )


def whole_spans(q: str) -> list[tuple[int, int]]:
    """Where the question names the whole of its share."""
    out: list[tuple[int, int]] = []
    for rx in table().sides:
        for m in rx.finditer(q):
            s, e = m.span("whole")
            if QUESTION_WORD_RE.fullmatch(q[s:e].strip()):
                continue  # "占多大比例": the question, not a whole
            if e > s and not any(a <= s and e <= b for a, b in out):
                out.append((s, e))
    return sorted(out)


def _parts(q: str, skip: list[tuple[int, int]]) -> list[Part]:
    """The measure parts with the ratio-only words, the longer word winning where two overlap (a ratio-only word
    on a tie: "buyers" are the customers who bought)."""
    low = q.lower()
    out = find_parts(q, skip)
    for rx, kind, key in table().extra:
        for m in rx.finditer(low):
            s, e = m.start(), m.end()
            if any(s < b and a < e for a, b in skip):
                continue
            clash = [p for p in out if s < p.end and p.start < e]
            if all(p.end - p.start <= e - s for p in clash):
                out = [p for p in out if p not in clash] + [Part(kind, key, s, e)]
    return sorted(out, key=lambda p: p.start)


def _population(obj: str, quals: set[str]) -> str | None:
    want = frozenset(quals) - table().neutral
    return next((p.metric for p in table().populations if p.object == obj and p.quals == want), None)


def _object(named: list[str], quals: set[str]) -> str | None:
    """The object counted: the one named first (the whole's before the part's), else the only one whose
    populations know every qualifier named."""
    known = {p.object for p in table().populations}
    quals = set(quals) - table().neutral  # "所有订单": all of them, which names no kind of thing
    for o in named:
        if o in known:
            return o
    fits = [
        o for o in sorted(known) if all(any(p.object == o and q in p.quals for p in table().populations) for q in quals)
    ]
    return fits[0] if len(fits) == 1 and quals else None


def read_ratio(q: str, skip: list[tuple[int, int]] | None = None) -> RatioReading | None:
    """The share ``q`` asks for as a part over a whole, or None when it names no whole."""
    spans = whole_spans(q)
    if not spans:
        return None
    parts = _parts(q, list(skip or []))
    inside = lambda p: any(s <= p.start and p.end <= e for s, e in spans)  # noqa: E731
    whole = [p for p in parts if inside(p)]
    part = [p for p in parts if not inside(p)]
    objects = [p.key for p in whole if p.kind == "object"] + [p.key for p in part if p.kind == "object"]
    wq = {p.key for p in whole if p.kind == "qualifier"}
    pq = {p.key for p in part if p.kind == "qualifier"}
    obj = _object(objects, wq | pq)
    reading = RatioReading(tuple(spans))
    if obj is None:
        return reading
    kinds = table().kind_filters if obj == "ticket" else {}
    filters: dict[str, list[str]] = {}
    for key in wq & set(kinds):
        for f, v in kinds[key].items():
            filters.setdefault(f, []).append(v)
    part_filters: dict[str, list[str]] = {}
    first_kind = next((p.key for p in part if p.kind == "qualifier" and p.key in kinds and p.key not in wq), None)
    if first_kind:  # "tickets that are complaints (vs inquiries)": the kind named first
        part_filters = {f: [v] for f, v in kinds[first_kind].items()}
    wq, pq = wq - set(kinds), pq - set(kinds)
    den = _population(obj, wq)
    num = _population(obj, wq | pq)
    if den is None or num is None:
        return reading
    return RatioReading(tuple(spans), num, den, filters, part_filters)
