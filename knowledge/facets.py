"""Facets: what a question asks for, and what it describes, read before ranking; the same table marks sections.

Two kinds of facet, both read by one bilingual table (``rules.yaml`` ``rerank.intents`` and
``rerank.properties``: generic cue words, no subject words):

- **kinds**: what the question asks for — a definition (what), a cause or a reason (why), a computation (how),
  a remedy or an action (actions), an example, the weights of a score's parts (weights), how one part is scaled or
  where its threshold lies (scale). A section has the kinds its anchor names (the generic sections every document
  of ours has), the kinds its heading's cue words name (in either language version: 亏损客户:为什么大客户也会亏钱
  → why), and those its document declares in the front matter (``facets: {anchor: [kind, ...]}``).
- **properties**: a description by levels — growth high/low, share (how much it sells) high/low — as a question
  describes a thing it does not name (卖得好但不怎么涨了: share high, growth low). A section carries the properties
  its document declares for it (``facets: {cash-cow: [growth low, share high]}``), as the document's own text
  defines that segment.

Negation and its kin are longer cues that cover the plain one (不怎么涨 covers 涨; *stopped growing* covers
*growing*): of overlapping matches of one dimension only the longest counts.

>>> sorted(kinds_of("亏损客户:为什么大客户也会亏钱"))
['why']
>>> sorted(properties_of("卖得好的老产品但已经不怎么涨了").items())
[('growth', 'low'), ('share', 'high')]
>>> sorted(properties_of("a new line growing fast but it still sells little").items())
[('growth', 'high'), ('share', 'low')]
>>> agreement({"growth": "low", "share": "high"}, {"growth": "high", "share": "high"})
0.0
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from knowledge.rule_table import rules


@cache
def _kind_patterns() -> dict[str, re.Pattern[str]]:
    table = rules()["rerank"]["intents"]
    return {k: re.compile("|".join(p["zh"] + p["en"]), re.I) for k, p in table.items()}


@cache
def _property_patterns() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    out: list[tuple[str, str, re.Pattern[str]]] = []
    for dim, levels in rules()["rerank"]["properties"].items():
        for level, cues in levels.items():
            out.append((str(dim), str(level), re.compile("|".join(cues["zh"] + cues["en"]), re.I)))
    return tuple(out)


def kinds_of(text: str) -> frozenset[str]:
    """The kinds of answer the text asks for (or, for a heading, offers)."""
    return frozenset(k for k, pat in _kind_patterns().items() if pat.search(text))


def properties_of(text: str) -> dict[str, str]:
    """Dimension → level the text describes (growth → low). Of overlapping matches within a dimension the longest
    counts (a negation covers what it negates); a dimension described both ways is left out."""
    found: list[tuple[int, int, str, str]] = []
    for dim, level, pat in _property_patterns():
        found += [(m.start(), m.end(), dim, level) for m in pat.finditer(text) if m.end() > m.start()]
    kept: dict[str, set[str]] = {}
    for s, e, dim, level in found:
        covered = any(d == dim and s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, d, _ in found)
        if not covered:
            kept.setdefault(dim, set()).add(level)
    return {dim: next(iter(levels)) for dim, levels in kept.items() if len(levels) == 1}


def declared(items: Iterable[str]) -> tuple[frozenset[str], dict[str, str]]:
    """A section's front-matter facets: kinds (``why``) and properties (``growth low``)."""
    kinds: set[str] = set()
    props: dict[str, str] = {}
    for item in items:
        parts = str(item).split()
        if len(parts) == 2:
            props[parts[0]] = parts[1]
        elif parts:
            kinds.add(parts[0])
    return frozenset(kinds), props


def check_declared(items: Iterable[str], where: str) -> list[str]:
    """What is wrong with a section's declared facets (unknown kinds, dimensions or levels): [] when nothing."""
    table = rules()["rerank"]
    kinds, props = declared(items)
    bad = [f"{where}: unknown kind {k!r}" for k in sorted(kinds - set(table["intents"]))]
    for dim, level in props.items():
        if level not in (table["properties"].get(dim) or {}):
            bad.append(f"{where}: unknown property {dim} {level}")
    return bad


def agreement(asked: dict[str, str], has: dict[str, str]) -> float:
    """How far a section's properties agree with the question's, in [-1, 1]: each dimension the question
    describes counts +1 when the section has the same level, -1 when the other, 0 when it has none."""
    if not asked or not has:
        return 0.0
    return sum((1.0 if has[d] == v else -1.0) for d, v in asked.items() if d in has) / len(asked)
