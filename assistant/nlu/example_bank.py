"""Examples of phrasings the team has confirmed: "when people here say X, they mean Y".

An example is a question as a user asked it and the phrasing it should be read as (a correction a manager
accepted, ``assistant.warehouse.feedback``). A new question is matched against the examples with its named
things replaced by their kinds — regions, cities, reps, products, customers (``Entity``), periods and
numbers — so "华东这礼拜该给谁打电话" matches an example taught as "这礼拜该给谁打电话", and the
example's own values in the rewrite are replaced by the new question's ("华南上个月…" taught, "华北今年…"
asked → the rewrite with 华北 and 今年).

Matching is deliberately strict: the same language, the same kinds of named things (the new question may add
filters, which are put in front of the rewrite), and character bigrams of the masked texts nearly equal
(Dice >= ``MIN_SIMILARITY``). A match that cannot carry one of the question's values into the rewrite is no
match: the question is then read as it is, never with a value silently dropped.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.core.lang import detect_language

MIN_SIMILARITY = 0.86  # Dice on masked character bigrams; "上个月销售额" vs "这个月销售额" masks both periods
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
DROP = re.compile(r"[\s\W_]+", re.UNICODE)  # punctuation and spaces do not change what a question means


@dataclass(frozen=True)
class Span:
    """A named thing in a question: its kind (region, rep, period, number …) and the words used."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Example:
    id: str
    question: str
    rewrite: str


@dataclass(frozen=True)
class Match:
    example: Example
    rewrite: str  # the example's phrasing with the new question's values
    similarity: float


Finder = Callable[[str], Sequence[Span]]


def _spans(text: str, finder: Finder | None) -> list[Span]:
    found = list(finder(text)) if finder else []
    taken = [(s.start, s.end) for s in found]
    for m in NUMBER.finditer(text):
        if not any(a < m.end() and m.start() < b for a, b in taken):
            found.append(Span("number", m.start(), m.end(), m.group(0)))
    # longest first, then left to right, without overlaps
    out: list[Span] = []
    for s in sorted(found, key=lambda s: (s.start, -(s.end - s.start))):
        if all(s.start >= o.end or s.end <= o.start for o in out):
            out.append(s)
    return sorted(out, key=lambda s: s.start)


def _masked(text: str, spans: list[Span]) -> str:
    """The text with each named thing as one placeholder character per kind, spaces and punctuation dropped."""
    parts, pos = [], 0
    for s in spans:
        parts.append(DROP.sub("", text[pos : s.start].lower()))
        parts.append(_token(s.kind))
        pos = s.end
    parts.append(DROP.sub("", text[pos:].lower()))
    return "".join(parts)


_TOKENS: dict[str, str] = {}


def _token(kind: str) -> str:
    # a private-use character per kind: one "letter" in the bigrams, never typed by anyone
    return _TOKENS.setdefault(kind, chr(0xE000 + len(_TOKENS)))


def _bigrams(s: str) -> Counter[str]:
    return Counter(s[i : i + 2] for i in range(len(s) - 1)) if len(s) > 1 else Counter([s])


def similarity(a: str, b: str) -> float:
    """Dice coefficient of two masked texts' character bigrams (1.0 = the same)."""
    if a == b:
        return 1.0
    ga, gb = _bigrams(a), _bigrams(b)
    total = sum(ga.values()) + sum(gb.values())
    return 2 * sum((ga & gb).values()) / total if total else 0.0


@dataclass(frozen=True)
class _Entry:
    example: Example
    masked: str
    spans: tuple[Span, ...]


class ExampleBank:
    """Confirmed phrasings from ``source``, shared by every assistant of a server. ``version`` moves whenever
    the examples may have changed (an accepted or withdrawn correction); matchers reload then."""

    def __init__(self, source: Callable[[], list[Example]], version: Callable[[], object] | None = None) -> None:
        self._source, self._version = source, version

    def examples(self) -> list[Example]:
        return self._source()

    def version(self) -> object:
        return self._version() if self._version else object()  # no version: read the examples every time

    def matcher(self, finder: Finder | None = None) -> Matcher:
        """A matcher for one assistant, whose finder knows the named things of its warehouse."""
        return Matcher(self, finder)


class Matcher:
    """Matches questions against a bank's examples, masked with one finder; thread-safe."""

    def __init__(self, bank: ExampleBank, finder: Finder | None) -> None:
        self.bank, self.finder = bank, finder
        self._seen: object = object()
        self._entries: dict[str, list[_Entry]] = {}
        self._lock = threading.Lock()

    def _load(self) -> dict[str, list[_Entry]]:
        v = self.bank.version()
        with self._lock:
            if v == self._seen:
                return self._entries
            entries: dict[str, list[_Entry]] = {}
            for ex in self.bank.examples():
                q = unicodedata.normalize("NFKC", ex.question).strip()
                spans = _spans(q, self.finder)
                entries.setdefault(_lang(q, spans), []).append(_Entry(ex, _masked(q, spans), tuple(spans)))
            self._entries, self._seen = entries, v
            return entries

    def match(self, question: str) -> Match | None:
        """The closest confirmed phrasing for ``question``, with the question's values carried into it."""
        loaded = self._load()
        if not loaded:
            return None  # no examples yet: nothing to read in the question
        question = unicodedata.normalize("NFKC", question).strip()
        spans = _spans(question, self.finder)
        entries = loaded.get(_lang(question, spans), [])
        if not entries:
            return None
        masked = _masked(question, spans)
        best: tuple[float, _Entry] | None = None
        for e in entries:  # ties go to the later example: a newer correction wins
            sim = similarity(masked, e.masked)
            if sim >= MIN_SIMILARITY and (best is None or sim >= best[0]):
                best = (sim, e)
        if best is None:
            return None
        rewrite = _carry(best[1], spans)
        return Match(best[1].example, rewrite, round(best[0], 3)) if rewrite is not None else None


def _lang(text: str, spans: list[Span]) -> str:
    # named things (a Chinese region in an English question) do not decide the language
    return detect_language(text, [(s.start, s.end) for s in spans if s.kind != "number"])


def _carry(entry: _Entry, spans: list[Span]) -> str | None:
    """The example's rewrite with the new question's values in place of the example's; extra filters in front.

    None when a value of the question has no place: its kind is in the example but the example's value does
    not appear in the rewrite."""
    rewrite = unicodedata.normalize("NFKC", entry.example.rewrite)
    pending = list(spans)
    for old in entry.spans:
        new = next((s for s in pending if s.kind == old.kind), None)
        if new is None:
            return None  # the example names a kind of thing the question does not: a different question
        pending.remove(new)
        if new.text == old.text:
            continue
        if old.text not in rewrite:
            return None
        rewrite = rewrite.replace(old.text, new.text, 1)
    extra = [s.text for s in pending if s.text not in rewrite]
    if extra:
        sep = "" if detect_language(rewrite) == "zh" else " "
        rewrite = sep.join(extra) + (" " if sep else "") + rewrite
    return rewrite
