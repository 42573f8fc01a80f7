"""Near-duplicate passages: character-shingle Jaccard, with MinHash bands to find candidates fast.

>>> a = "客户满意度是衡量客户对企业产品或服务满意程度的重要指标,通常通过问卷调查获取。"
>>> round(jaccard(shingles(a), shingles(a + "的")), 2) >= 0.8
True
>>> d = Deduper(); d.is_duplicate(a), d.is_duplicate(a[:-1] + "!"), d.is_duplicate("完全不同的另一段话,讲的是信用分析。")
(False, True, False)
"""

from __future__ import annotations

import re
import zlib

import numpy as np

from knowledge.text import rules

_WS = re.compile(r"\s+")
_PRIME = (1 << 61) - 1


def shingles(text: str, k: int | None = None) -> set[str]:
    """Character k-shingles of the text with whitespace removed and letters lowercased."""
    k = k or int(rules()["dedupe"]["shingle"])
    s = _WS.sub("", text.lower())
    if len(s) <= k:
        return {s} if s else set()
    return {s[i : i + k] for i in range(len(s) - k + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class Deduper:
    """Remembers the passages it has accepted; ``is_duplicate`` says whether a new one is too close to any."""

    def __init__(self, threshold: float | None = None, bands: int | None = None, rows: int | None = None) -> None:
        cfg = rules()["dedupe"]
        self.threshold = float(threshold if threshold is not None else cfg["threshold"])
        self.bands = int(bands or cfg["bands"])
        self.rows = int(rows or cfg["rows"])
        rng = np.random.default_rng(20261123)  # fixed: signatures must agree between runs
        n = self.bands * self.rows
        self._a = rng.integers(1, _PRIME, size=n, dtype=np.uint64)
        self._b = rng.integers(0, _PRIME, size=n, dtype=np.uint64)
        self._buckets: dict[tuple[int, bytes], list[int]] = {}
        self._sigs: list[np.ndarray] = []  # signatures only: 8 bytes x bands x rows per passage

    def _signature(self, sh: set[str]) -> np.ndarray:
        hs = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in sh), dtype=np.uint64, count=len(sh))
        # (a*x + b) mod 2^64 (wrapping) is a cheap hash family for 32-bit inputs
        return (np.outer(hs, self._a) + self._b).min(axis=0)

    def is_duplicate(self, text: str) -> bool:
        """True when ``text`` is a near-duplicate of an accepted passage; otherwise accept it and return False.

        Candidates share a band; the Jaccard similarity is then estimated by signature agreement.
        """
        sh = shingles(text)
        if not sh:
            return True
        sig = self._signature(sh)
        keys = [(b, sig[b * self.rows : (b + 1) * self.rows].tobytes()) for b in range(self.bands)]
        candidates = {i for key in keys for i in self._buckets.get(key, ())}
        if any(float((self._sigs[i] == sig).mean()) >= self.threshold for i in candidates):
            return True
        idx = len(self._sigs)
        self._sigs.append(sig)
        for key in keys:
            self._buckets.setdefault(key, []).append(idx)
        return False
