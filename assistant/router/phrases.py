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

from tools.tables import load as load_table


def normalize(text: str) -> str:
    """NFKC folds full-width letters, digits and punctuation ("ＲＦＭ", "？") into their usual forms."""
    return unicodedata.normalize("NFKC", text).strip()


def phrase_pattern(phrase: str) -> str:
    esc = re.escape(phrase.lower())
    if phrase.isascii() and re.match(r"\w", phrase):
        return rf"(?<![a-z0-9]){esc}(?![a-z0-9])"
    return esc


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
    for m in sorted(matches, key=lambda m: (-m.length, m.start)):
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
    cues: dict[str, PhraseSet]  # explain, mine, per_customer, ascending, unsupported, follow_up
    metrics: dict[str, Any]
    dimensions: dict[str, Any]


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
    for mid, m in sem["metrics"].items():
        for lang in ("zh", "en"):
            for p in [m.get(lang, ""), *m.get("synonyms", {}).get(lang, [])]:
                if p:
                    topics.add(p, "metric", mid, 2)
    for did, d in sem["dimensions"].items():
        for lang in ("zh", "en"):
            for p in [d.get(lang, ""), *d.get("synonyms", {}).get(lang, [])]:
                if p:
                    topics.add(p, "dim", did, 1)
    cues: dict[str, PhraseSet] = {}
    for cue in ("explain", "mine", "per_customer", "ascending", "unsupported", "follow_up"):
        ps = PhraseSet()
        for lang in ("zh", "en"):
            for p in raw[cue].get(lang, []):
                ps.add(p, "cue", cue)
        cues[cue] = ps
    return Tables(raw["intents"], topics, mods, cues, sem["metrics"], sem["dimensions"])
