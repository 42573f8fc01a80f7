"""The bilingual glossary (knowledge/glossary/*.yaml) and query expansion with it.

Entries look like ``- {zh: [流失, 客户流失], en: [churn, attrition]}``. A query that
names any term of an entry gains every other term of that entry, in both languages,
so an English question reaches Chinese text and the other way round.

>>> g = [Entry(zh=("流失", "客户流失"), en=("churn", "attrition"))]
>>> expand("How do we reduce churn?", g)
['流失', '客户流失', 'attrition']
>>> expand("客户流失怎么算", g)
['churn', 'attrition']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from knowledge.stem import stem

GLOSSARY_DIR = Path(__file__).parent / "glossary"


@dataclass(frozen=True)
class Entry:
    zh: tuple[str, ...]
    en: tuple[str, ...]


def _terms(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(str(v).strip() for v in value if str(v).strip())


def parse_glossary(data: object) -> list[Entry]:
    """Entries from one YAML document (a list, or a mapping with an ``entries``/``terms`` list)."""
    if isinstance(data, dict):
        data = data.get("entries") or data.get("terms") or []
    out = []
    for item in data if isinstance(data, list) else []:
        if isinstance(item, dict):
            e = Entry(_terms(item.get("zh")), _terms(item.get("en")))
            if e.zh or e.en:
                out.append(e)
    return out


@cache
def load_glossary(folder: Path = GLOSSARY_DIR) -> tuple[Entry, ...]:
    """Every entry of every ``*.yaml`` in the glossary folder (empty while none exists)."""
    out: list[Entry] = []
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        with path.open(encoding="utf-8") as fh:
            out.extend(parse_glossary(yaml.safe_load(fh)))
    return tuple(out)


def _en_pattern(term: str) -> re.Pattern[str]:
    # word boundaries, and a plural/-ed/-ing tail: "churned" names churn
    return re.compile(r"(?<![a-z0-9])" + re.escape(term.lower()) + r"(s|es|ed|d|ing)?(?![a-z0-9])")


@cache
def _compiled(entries: tuple[Entry, ...]) -> list[tuple[Entry, list[re.Pattern[str]]]]:
    return [(e, [_en_pattern(t) for t in e.en]) for e in entries]


def expand(query: str, entries: tuple[Entry, ...] | list[Entry] | None = None) -> list[str]:
    """Terms to add to ``query``: the other terms of every glossary entry the query names."""
    entries = tuple(entries) if entries is not None else load_glossary()
    low = query.lower()
    added: list[str] = []
    for entry, pats in _compiled(entries):
        named_zh = {t for t in entry.zh if t in query}
        named_en = {t for t, p in zip(entry.en, pats, strict=True) if p.search(low)}
        if not (named_zh or named_en):
            continue
        for t in (*entry.zh, *entry.en):
            if t not in named_zh and t not in named_en and t not in added and t.lower() not in low:
                added.append(t)
    return added


def to_chinese(query: str, entries: tuple[Entry, ...] | list[Entry] | None = None) -> str:
    """``query`` with every English glossary term it names replaced by its entry's first Chinese term (the
    longest term first where two overlap); the rest of the sentence is kept, in lower case.

    >>> g = [Entry(zh=("流失",), en=("churn", "churn rate")), Entry(zh=("留存",), en=("retention",))]
    >>> to_chinese("How is Churn Rate related to retention?", g)
    'how is 流失 related to 留存?'
    """
    entries = tuple(entries) if entries is not None else load_glossary()
    low = query.lower()
    spans = [
        (m.start(), m.end(), entry.zh[0])
        for entry, pats in _compiled(entries)
        if entry.zh
        for p in pats
        for m in p.finditer(low)
    ]
    taken: list[tuple[int, int, str]] = []
    for a, b, zh in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if all(b <= x or a >= y for x, y, _ in taken):
            taken.append((a, b, zh))
    for a, b, zh in sorted(taken, reverse=True):
        low = low[:a] + zh + low[b:]
    return low


def _en_words(text: str) -> list[str]:
    return [stem(w) for w in re.findall(r"[a-z0-9]+", text.lower())]


@cache
def _concept_index(
    entries: tuple[Entry, ...],
) -> tuple[dict[str, list[tuple[str, int]]], dict[tuple[str, ...], set[int]], int]:
    """zh terms keyed by their first two characters; en terms as tuples of stemmed words."""
    zh: dict[str, list[tuple[str, int]]] = {}
    en: dict[tuple[str, ...], set[int]] = {}
    for i, e in enumerate(entries):
        for t in e.zh:
            if len(t) >= 2:
                zh.setdefault(t[:2], []).append((t, i))
        for t in e.en:
            words = tuple(_en_words(t))
            if words:
                en.setdefault(words, set()).add(i)
    return zh, en, max((len(k) for k in en), default=0)


def concepts(text: str, entries: tuple[Entry, ...] | None = None) -> list[str]:
    """Concept tokens (``§<entry>``) for every glossary entry named in ``text``, in either language.

    Documents and queries both get them, so 流失, churn and attrition meet on one token.

    >>> g = (Entry(zh=("流失",), en=("churn", "attrition")), Entry(zh=("留存",), en=("retention",)))
    >>> concepts("Attrition and churned accounts", g), concepts("客户流失与留存", g)
    (['§0'], ['§0', '§1'])
    """
    entries = entries if entries is not None else load_glossary()
    zh, en, longest = _concept_index(entries)
    found: set[int] = set()
    for bigram in {text[i : i + 2] for i in range(len(text) - 1)} & zh.keys():
        found.update(i for t, i in zh[bigram] if i not in found and t in text)
    words = _en_words(text)
    for n in range(1, longest + 1):
        for j in range(len(words) - n + 1):
            hit = en.get(tuple(words[j : j + n]))
            if hit:
                found |= hit
    return [f"§{i}" for i in sorted(found)]
