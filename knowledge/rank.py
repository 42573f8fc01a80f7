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

import numpy as np


class BM25:
    """Okapi BM25 over pre-tokenised documents. Each term's postings hold document ids and the
    length-normalised term-frequency part, precomputed, so a query is a few numpy additions."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        lengths = np.asarray([len(d) for d in docs], dtype=np.float64)
        avgdl = float(lengths.mean()) if self.n else 0.0
        raw: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                ids, tfs = raw[term]
                ids.append(i)
                tfs.append(tf)
        norm = k1 * (1 - b + b * lengths / (avgdl or 1.0))
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.idf: dict[str, float] = {}
        for term, (ids, tfs) in raw.items():
            ida = np.asarray(ids, dtype=np.int64)
            tfa = np.asarray(tfs, dtype=np.float64)
            self.postings[term] = (ida, tfa * (k1 + 1) / (tfa + norm[ida]))
            self.idf[term] = math.log(1 + (self.n - len(ids) + 0.5) / (len(ids) + 0.5))

    def search(self, query: dict[str, float], n: int = 50) -> list[tuple[int, float]]:
        """Top ``n`` (document index, score) for weighted query terms; documents with no term are left out."""
        scores = np.zeros(self.n)
        hit = False
        for term, qw in query.items():
            post = self.postings.get(term)
            if post is None:
                continue
            ids, part = post
            scores[ids] += self.idf[term] * qw * part  # ids are unique within one term's postings
            hit = True
        if not hit:
            return []
        nz = np.flatnonzero(scores > 0)
        if len(nz) > n:
            nz = nz[np.argpartition(-scores[nz], n - 1)[:n]]
        order = sorted(nz.tolist(), key=lambda i: (-scores[i], i))
        return [(i, float(scores[i])) for i in order]


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
