"""Keyword ranking (BM25 with weighted query terms) and reciprocal-rank fusion.

>>> bm = BM25([["流失", "客户"], ["满意度", "客户"], ["流失", "流失", "预警"]])
>>> [i for i, _ in bm.search({"流失": 1.0})]
[2, 0]
>>> rrf([["a", "b", "c"], ["c", "a"]], k=60)[0][0]
'a'
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence


class BM25:
    """Okapi BM25 over pre-tokenised documents, with an inverted index (fast for thousands of chunks)."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths = [len(d) for d in docs]
        self.avgdl = (sum(self.lengths) / self.n) if self.n else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                self.postings[term].append((i, tf))
        self.idf = {t: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def search(self, query: dict[str, float], n: int = 50) -> list[tuple[int, float]]:
        """Top ``n`` (document index, score) for weighted query terms; documents with no term are left out."""
        scores: dict[int, float] = defaultdict(float)
        k1, b, avgdl = self.k1, self.b, self.avgdl or 1.0
        for term, qw in query.items():
            post = self.postings.get(term)
            if not post:
                continue
            idf = self.idf[term] * qw
            for i, tf in post:
                scores[i] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * self.lengths[i] / avgdl))
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def rrf(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion: score(d) = Σ w_i / (k + rank_i(d)), ranks from 1; best first, ties by id."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = defaultdict(float)
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] += w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
