"""The vector-index interface, and an in-memory implementation (the fake for tests).

>>> from knowledge.embed import HashingEmbedder
>>> ix = MemoryVectorIndex(HashingEmbedder(dims=512))
>>> ix.add(["a", "b"], ["客户流失预警", "净推荐值计算"], [{"doc_key": "x", "language": "zh"}] * 2)
>>> [i for i, _ in ix.query("流失", 1)]
['a']
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from knowledge.embed import Embedder


class VectorIndex(Protocol):
    """Stores chunk vectors by id; ``query`` returns (id, cosine similarity), best first."""

    embedder: Embedder

    def add(self, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]) -> None: ...

    def delete_doc(self, doc_key: str) -> None: ...

    def query(self, text: str, n: int, language: str | None = None) -> list[tuple[str, float]]: ...

    def query_vector(self, vec: np.ndarray, n: int, language: str | None = None) -> list[tuple[str, float]]: ...

    def count(self) -> int: ...

    def reset(self) -> None: ...


class MemoryVectorIndex:
    """Brute-force cosine over a numpy matrix; nothing persisted."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._ids: list[str] = []
        self._meta: list[dict[str, Any]] = []
        self._vecs: list[np.ndarray] = []
        self.embedded = 0  # texts embedded so far (tests count re-embedding with it)

    def add(self, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]) -> None:
        if not ids:
            return
        vecs = self.embedder.embed(texts)
        self.embedded += len(texts)
        for i, m, v in zip(ids, metadatas, vecs, strict=True):
            if i in self._ids:
                k = self._ids.index(i)
                self._meta[k], self._vecs[k] = m, v
            else:
                self._ids.append(i)
                self._meta.append(m)
                self._vecs.append(v)

    def delete_doc(self, doc_key: str) -> None:
        keep = [k for k, m in enumerate(self._meta) if m.get("doc_key") != doc_key]
        self._ids = [self._ids[k] for k in keep]
        self._meta = [self._meta[k] for k in keep]
        self._vecs = [self._vecs[k] for k in keep]

    def query(self, text: str, n: int, language: str | None = None) -> list[tuple[str, float]]:
        return self.query_vector(self.embedder.embed([text])[0], n, language)

    def query_vector(self, q: np.ndarray, n: int, language: str | None = None) -> list[tuple[str, float]]:
        if not self._ids:
            return []
        sims = np.vstack(self._vecs) @ q
        order = np.argsort(-sims, kind="stable")
        out = []
        for k in order:
            if language and self._meta[k].get("language") != language:
                continue
            out.append((self._ids[k], float(sims[k])))
            if len(out) >= n:
                break
        return out

    def count(self) -> int:
        return len(self._ids)

    def reset(self) -> None:
        self._ids, self._meta, self._vecs = [], [], []
