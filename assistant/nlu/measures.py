"""The measure a question asks for, read from its parts (measures.yaml): object, qualifiers and quantity.

"逾期没回款的钱" names no metric synonym whole, but it names two qualifiers (overdue, unpaid) and a quantity
(money); the frame whose qualifiers are all named and whose quantity agrees is the overdue amount
(``read_measure``). A plain measure (no qualifier) is read this way only to correct the synonyms, when the
question names its object and quantity outright and they fit another measure better (``check_measure``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assistant.nlu.phrase import phrase_pattern

HERE = Path(__file__).parent
QUAL_WEIGHT, OBJECT_WEIGHT, QTY_WEIGHT, QTY_CONFLICT, KIND_WEIGHT = 3, 2, 2, -3, 1


@dataclass(frozen=True)
class Part:
    kind: str  # qualifier, object, quantity
    key: str
    start: int
    end: int


@dataclass(frozen=True)
class Frame:
    metric: str
    object: str
    quals: tuple[str, ...]
    qtys: tuple[str, ...]  # the quantities it gives (an average of amounts names both)
    object_required: bool = False
    qty_required: bool = False  # its first quantity must be named
    all_qtys_required: bool = False  # every quantity it gives must be named ("平均每家买了多少钱": avg and amount)


@dataclass(frozen=True)
class MeasureReading:
    """The measure read from the parts, its score, and the spans of the words that named it."""

    metric: str
    object: str
    score: int
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class MeasureTable:
    words: tuple[tuple[str, re.Pattern[str], str, str], ...]  # phrase, pattern, kind, key; longest first
    patterns: tuple[tuple[str, re.Pattern[str], str, str], ...]  # regular expressions, same shape
    frames: tuple[Frame, ...]
    objects: dict[str, str]  # metric → its object
    companions: dict[str, str]  # metric → the one shown beside it when the question names no quantity


@cache
def raw_table() -> dict[str, Any]:
    """measures.yaml as written, read once (the measure, share, score and exclusion readers all use it)."""
    return dict(yaml.safe_load((HERE / "measures.yaml").read_text(encoding="utf-8")))


@cache
def table() -> MeasureTable:
    raw = raw_table()
    words = []
    for kind, groups in raw["parts"].items():
        for key, langs in groups.items():
            for lang in ("zh", "en"):
                for phrase in langs.get(lang, []):
                    words.append((str(phrase), re.compile(phrase_pattern(str(phrase))), kind, key))
    words.sort(key=lambda w: -len(w[0]))
    patterns = [
        (str(rx), re.compile(str(rx), re.IGNORECASE), kind, key)
        for kind, groups in raw.get("patterns", {}).items()
        for key, rxs in groups.items()
        for rx in rxs
    ]
    frames, objects = [], {}
    for metric, specs in raw["frames"].items():
        for spec in specs:
            frames.append(
                Frame(
                    metric,
                    spec["object"],
                    tuple(spec.get("quals", [])),
                    tuple(q for q in (spec.get("qty"), *spec.get("qtys", [])) if q),
                    spec.get("object_required", False),
                    spec.get("qty_required", False),
                    spec.get("all_qtys_required", False),
                )
            )
            objects[metric] = spec["object"]
    return MeasureTable(tuple(words), tuple(patterns), tuple(frames), objects, dict(raw.get("companions", {})))


WHICH_FEW = re.compile(r"哪几\s*(?:家|个|位|款|类|种|条|张|笔)?")
WHICH_ONES = re.compile(r"哪几|哪些|谁|\b(?:which|who)\b")  # asks which things, not how many or how much


def find_parts(q: str, skip: list[tuple[int, int]] | None = None) -> list[Part]:
    """Every part word in ``q``, patterns first, then longest first, never overlapping one another or ``skip``."""
    low = q.lower()
    # "哪几家", "哪几个": asks which ones, not how many
    taken = (
        list(skip or []) + [m.span() for m in excluded().finditer(low)] + [m.span() for m in WHICH_FEW.finditer(low)]
    )
    out: list[Part] = []
    for _phrase, rx, kind, key in (*table().patterns, *table().words):
        for m in rx.finditer(low):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            out.append(Part(kind, key, m.start(), m.end()))
    return sorted(out, key=lambda p: p.start)


def _score(frame: Frame, quals: set[str], objects: set[str], qtys: set[str]) -> int | None:
    if not set(frame.quals) <= quals or (frame.object_required and frame.object not in objects):
        return None
    matched = len(set(frame.qtys) & qtys)
    if frame.qty_required and (not frame.qtys or frame.qtys[0] not in qtys):
        return None
    if frame.all_qtys_required and not set(frame.qtys) <= qtys:
        return None
    # a kind of ticket ("咨询", "投诉") says which tickets, a filter, more than which measure: it weighs less
    kinds = sum(1 for q in frame.quals if q in kind_filters())
    quals_score = QUAL_WEIGHT * (len(frame.quals) - kinds) + KIND_WEIGHT * kinds
    score = quals_score + (OBJECT_WEIGHT if frame.object in objects else 0) + QTY_WEIGHT * matched
    if qtys and frame.qtys and not matched:
        score += QTY_CONFLICT  # asked for money, the frame counts (or the other way round)
    return score


def read_measure(q: str, skip: list[tuple[int, int]] | None = None) -> MeasureReading | None:
    """The qualified measure ``q`` asks for, or None when it names no qualifier or no frame fits unambiguously."""
    parts = find_parts(q, skip)
    quals = {p.key for p in parts if p.kind == "qualifier"}
    if not quals:
        return None
    objects = {p.key for p in parts if p.kind == "object"}
    qtys = {p.key for p in parts if p.kind == "quantity"}
    scored = [
        (s, f) for f in table().frames if f.quals and (s := _score(f, quals, objects, qtys)) is not None and s > 0
    ]
    if not scored:
        return None
    scored.sort(key=lambda sf: -sf[0])
    best_score, best = scored[0]
    tied = [f for s, f in scored if s == best_score]
    specific = [f for f in tied if f.object_required]
    if len({f.metric for f in tied}) > 1 and len({f.object for f in tied}) == 1 and 0 < len(specific) < len(tied):
        # "逾期发票的金额" against "逾期金额": of equal readings of one object, one that needs the object named is the
        # more specific (objects differing are told apart below, by the thing counted), unless the words say the
        # money is still owed ("过期没付的发票一共多少钱": what is owed, the general reading)
        tied = [f for f in tied if f not in specific] if owing().search(q) else specific
        best = tied[0]
    if len({f.metric for f in tied}) > 1:
        # "还没付钱的发票有几张": of two quantities named, the one with a question word is asked for
        asked = {p.key for p in parts if p.kind == "quantity" and asking().search(q.lower(), p.start, p.end)}
        if asked and 0 < len(narrowed := [f for f in tied if asked & set(f.qtys)]) < len(tied):
            tied = narrowed
            best = tied[0]
    if len({f.metric for f in tied}) > 1 and not qtys and WHICH_ONES.search(q.lower()):
        # "哪几家客户打了6分或更低的推荐分": which ones, no quantity named: the things themselves (a count), not their
        # rate (with no "哪几" a tie is left to the synonyms: "逾期款" is money)
        counts = [f for f in tied if "count" in f.qtys]
        if len({f.metric for f in counts}) == 1:
            tied = counts
            best = tied[0]
    if len({f.metric for f in tied}) > 1:
        # "我的客户里有几张发票逾期没付": the thing counted is the object right after the quantity word
        counted = _counted_object(parts)
        tied = [f for f in tied if f.object == counted]
        if len({f.metric for f in tied}) != 1:
            return None  # two measures fit equally well: leave it to the synonyms rather than guess
        best = tied[0]
    named = _counted_qualifier(parts, best)
    if named is not None:
        return _reading(named, best_score, parts)
    return _reading(best, best_score, parts)


def _counted_qualifier(parts: list[Part], best: Frame) -> Frame | None:
    """ "how many complaints did my customers file": the count word names the things counted (complaints), though
    the customers are named too; the frame of that qualifier alone counts them. None otherwise."""
    if best.object != "customer":
        return None
    qty = [p for p in parts if p.kind == "quantity" and p.key == "count"]
    after = [p for p in parts if qty and p.start >= qty[0].end]
    if not after or after[0].kind != "qualifier" or after[0].start - qty[0].end > 1:
        return None
    key = after[0].key
    return next((f for f in table().frames if f.quals == (key,) and f.object != "customer" and "count" in f.qtys), None)


def _counted_object(parts: list[Part]) -> str | None:
    """The object named first after the first quantity word ("几张发票": invoice), if any."""
    qty = [p.start for p in parts if p.kind == "quantity"]
    after = [p for p in parts if p.kind == "object" and qty and p.start > min(qty)]
    return min(after, key=lambda p: p.start).key if after else None


def _reading(frame: Frame, score: int, parts: list[Part]) -> MeasureReading:
    used = {"qualifier": set(frame.quals), "object": {frame.object}, "quantity": set(frame.qtys)}
    spans = tuple((p.start, p.end) for p in parts if p.key in used.get(p.kind, set()))
    return MeasureReading(frame.metric, frame.object, score, spans)


def check_measure(q: str, metrics: list[str], skip: list[tuple[int, int]] | None = None) -> MeasureReading | None:
    """A plain measure (no qualifier) whose object and quantity the question names outright, when it fits them
    better than the measure the synonyms gave for that object (or they gave none): "多少成交单" counts orders;
    "平均每一单成交金额" is the average order value, though "成交金额" alone reads as revenue. None otherwise."""
    parts = find_parts(q, skip)
    if any(p.kind == "qualifier" for p in parts):
        return None  # read_measure's case
    objects = {p.key for p in parts if p.kind == "object"}
    qtys = {p.key for p in parts if p.kind == "quantity"}
    if not objects or not qtys:
        return None
    if len(objects) > 1:
        # "我的客户下了多少成交单": the thing counted is the object right after the quantity word
        counted = _counted_object(parts)
        if counted is None:
            return None
        objects = {counted}
    by_metric: dict[str, int] = {}
    for f in table().frames:
        if not f.quals and f.object in objects and (s := _score(f, set(), objects, qtys)) is not None:
            by_metric[f.metric] = max(s, by_metric.get(f.metric, s))
    if not by_metric:
        return None
    best_metric, best_score = max(by_metric.items(), key=lambda kv: kv[1])
    if sum(1 for s in by_metric.values() if s == best_score) > 1 or best_metric in metrics:
        return None
    rivals = [m for m in metrics if object_of(m) == object_of(best_metric)]
    if (metrics and not rivals) or any(by_metric.get(m, -99) >= best_score for m in rivals):
        return None  # the synonyms named another thing, or their measure fits as well
    frame = next(f for f in table().frames if f.metric == best_metric and not f.quals)
    return _reading(frame, best_score, parts)


def measures_of_quantity(quantity: str) -> frozenset[str]:
    """The metrics one of whose frames gives ``quantity`` ("duration": the resolution time, days since the last order)."""
    return frozenset(f.metric for f in table().frames if quantity in f.qtys)


@cache
def customers_who() -> dict[str, str]:
    """Measure of things customers do → the metric counting the customers who did it (measures.yaml `customers_who`)."""
    return dict(raw_table()["customers_who"])


def object_of(metric: str) -> str | None:
    """The thing a metric counts or sums (order, invoice, ticket, survey, customer …)."""
    return table().objects.get(metric)


def with_companions(metrics: list[str], q: str, skip: list[tuple[int, int]] | None = None) -> list[str]:
    """``metrics`` with each one's companion after it ("CSAT": the share satisfied and the mean score), unless the
    question names a quantity (a rate or an average) and so says which of the two it means."""
    comp = table().companions
    if not any(m in comp for m in metrics):
        return metrics
    named = {p.key for p in find_parts(q, skip) if p.kind == "quantity" and p.key in ("rate", "avg")}
    if named:
        if len(named) > 1:
            return metrics
        # "CSAT 最高?看平均分": of a measure and its companion, the one that gives the quantity named
        giving = measures_of_quantity(named.pop())
        for m, c in comp.items():
            keep = next((x for x in (m, c) if x in giving), None)
            if keep is not None and (m in metrics or c in metrics):
                metrics = list(dict.fromkeys(keep if x in (m, c) else x for x in metrics))
        return metrics
    out: list[str] = []
    for m in metrics:
        out.append(m)
        if m in comp and comp[m] not in metrics:
            out.append(comp[m])
    return out


@cache
def excluded() -> re.Pattern[str]:
    """What a question leaves out ("not counting returns", "不含退货"): measures.yaml `excluded`."""
    return re.compile(raw_table()["excluded"], re.IGNORECASE)


@cache
def owing() -> re.Pattern[str]:
    """The words that say money is still owed ("没付", "欠", "owe"): measures.yaml `owing`."""
    return re.compile(raw_table()["owing"], re.IGNORECASE)


@cache
def asking() -> re.Pattern[str]:
    """The words that ask for a quantity ("几", "多少", "how many"): measures.yaml `asking`."""
    return re.compile(raw_table()["asking"], re.IGNORECASE)


@cache
def kind_filters() -> dict[str, dict[str, str]]:
    """Qualifier → the filter it is on the measures of its object ("complaint" → ticket_kind complaint)."""
    return {k: dict(v) for k, v in raw_table().get("kind_filters", {}).items()}
