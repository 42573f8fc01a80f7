"""Phrase tables the router reads: intents (intents.yaml) and the semantic layer's metric and
dimension synonyms (tools/tables/metrics.yaml), compiled once into matchers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assistant.nlu.entities import name_words
from assistant.nlu.phrase import phrase_pattern
from tools.tables import load as load_table


def normalize(text: str) -> str:
    """NFKC folds full-width letters, digits and punctuation ("ＲＦＭ", "？") into their usual forms."""
    return unicodedata.normalize("NFKC", text).strip()


def _within_one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns a into b."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def correct(text: str) -> str:
    """Fix common typos before matching: the table's Chinese homophones ("消售" → "销售") and English words
    within one edit of a word the phrase tables know ("revnue" → "revenue", "custmers" → "customers").
    Short words (under 5 letters) are left alone: too many real words are one edit apart."""
    t = tables()
    for wrong, right in t.corrections.items():
        text = text.replace(wrong, right)

    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        low = w.lower()
        if len(low) < 5 or low in t.vocabulary:
            return w
        by_len = t.vocabulary_by_length
        for n in (len(low), len(low) - 1, len(low) + 1):
            for cand in by_len.get(n, ()):
                if _within_one_edit(low, cand):
                    return cand
        return w

    return re.sub(r"[A-Za-z]+", fix, text)


@dataclass(frozen=True)
class Match:
    kind: str  # metric, dim, intent
    key: str
    start: int
    end: int
    weight: int = 1

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass
class PhraseSet:
    """phrase -> list of (kind, key, weight); finds every occurrence."""

    entries: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    compiled: dict[str, re.Pattern[str]] = field(default_factory=dict)

    def add(self, phrase: str, kind: str, key: str, weight: int = 1) -> None:
        p = normalize(str(phrase)).lower()
        if p:
            self.entries.setdefault(p, []).append((kind, key, weight))
            self.compiled.setdefault(p, re.compile(phrase_pattern(p)))

    def find(self, text: str) -> list[Match]:
        """Every phrase at every position (overlaps included), so a resolver can pick the longest."""
        low = text.lower()
        out: list[Match] = []
        for phrase, rx in self.compiled.items():
            for m in rx.finditer(low):
                for kind, key, weight in self.entries[phrase]:
                    out.append(Match(kind, key, m.start(), m.end(), weight))
        return out

    def contains(self, text: str) -> bool:
        low = text.lower()
        return any(rx.search(low) for rx in self.compiled.values())


def longest_non_overlapping(matches: list[Match], taken: list[tuple[int, int]] | None = None) -> list[Match]:
    """Keep the longest matches first; a shorter one inside a longer one ("销售" in "销售额") is dropped."""
    spans = list(taken or [])
    kept: list[Match] = []
    # equal lengths: the later one, as compounds end in their head ("每个销售团队" is a team, not a rep)
    for m in sorted(matches, key=lambda m: (-m.length, -m.end)):
        if any(m.start < e and s < m.end for s, e in spans):
            # same span, other meaning: keep it too (a phrase can name an intent and a metric)
            if any(k.start == m.start and k.end == m.end for k in kept):
                kept.append(m)
            continue
        kept.append(m)
        spans.append((m.start, m.end))
    return sorted(kept, key=lambda m: m.start)


@dataclass(frozen=True)
class Mod:
    intent: str
    when: PhraseSet
    args: dict[str, Any]


@dataclass
class Tables:
    intents: dict[str, dict[str, Any]]
    topics: PhraseSet  # intent phrases, metric and dimension synonyms
    mods: list[Mod]
    cues: dict[str, PhraseSet]  # explain, mine, per_customer, ascending, unsupported, follow_up, …
    metrics: dict[str, Any]
    dimensions: dict[str, Any]
    corrections: dict[str, str] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()  # English words of every phrase (for typo correction)
    vocabulary_by_length: dict[int, tuple[str, ...]] = field(default_factory=dict)
    metric_extra: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the router's own metric synonyms
    metric_weak: frozenset[str] = frozenset()  # metric words that yield to any other metric word


CUES = (
    "explain",
    "mine",
    "per_customer",
    "ascending",
    "follow_up",
    "forecast",
    "restrict",
    "clear_filters",
    "concept",
)


@cache
def tables() -> Tables:
    raw = yaml.safe_load(Path(__file__).with_name("intents.yaml").read_text(encoding="utf-8"))
    topics = PhraseSet()
    mods: list[Mod] = []
    for name, spec in raw["intents"].items():
        for p in spec.get("strong", []):
            topics.add(p, "intent", name, 3)
        for p in spec.get("weak", []):
            topics.add(p, "intent", name, 1)
        for mod in spec.get("mods", []):
            ps = PhraseSet()
            for p in mod["when"]:
                ps.add(p, "mod", name)
            mods.append(Mod(name, ps, dict(mod["args"])))
    sem = load_table("metrics")
    extra_m = raw.get("metric_synonyms", {})
    extra_d = raw.get("dimension_synonyms", {})
    for mid, m in sem["metrics"].items():
        for lang in ("zh", "en"):
            for p in [m.get(lang, ""), *m.get("synonyms", {}).get(lang, []), *extra_m.get(mid, {}).get(lang, [])]:
                if p:
                    topics.add(p, "metric", mid, 2)
    for did, d in sem["dimensions"].items():
        for lang in ("zh", "en"):
            for p in [d.get(lang, ""), *d.get("synonyms", {}).get(lang, []), *extra_d.get(did, {}).get(lang, [])]:
                if p:
                    topics.add(p, "dim", did, 1)
    cues: dict[str, PhraseSet] = {}
    for cue in CUES:
        ps = PhraseSet()
        for lang in ("zh", "en"):
            for p in raw.get(cue, {}).get(lang, []):
                ps.add(p, "cue", cue)
        cues[cue] = ps
    words = {w for ps in (topics, *cues.values()) for p in ps.entries for w in re.findall(r"[a-z]+", p)}
    # Names of regions, industries, channels… are words too: "North China" must not become "worth China".
    vocabulary = frozenset(words | COMMON_WORDS | name_words())
    by_len: dict[int, list[str]] = {}
    for w in sorted(words):
        if len(w) >= 5:
            by_len.setdefault(len(w), []).append(w)
    return Tables(
        raw["intents"],
        topics,
        mods,
        cues,
        sem["metrics"],
        sem["dimensions"],
        {str(k): str(v) for k, v in raw.get("corrections", {}).items()},
        vocabulary,
        {k: tuple(v) for k, v in by_len.items()},
        {k: tuple(str(p) for lang in ("zh", "en") for p in v.get(lang, [])) for k, v in extra_m.items()},
        frozenset(str(w).lower() for w in raw.get("metric_weak_words", [])),
    )


# Everyday English words that must not be "corrected" into a table word one edit away.
COMMON_WORDS = frozenset(
    """about above after again against their there these those which while would could should where whose
    today quarter month week year years months weeks days since until every other first second third
    fourth fifth last least most more less total number numbers show shows tell give list much many
    customer customers stores store right still money from with what when will your ours they them
    buying bought spend spent great small large medium share shares sales terms across worse shipping
    absolute brought slowest fastest quickest longest""".split()
)
