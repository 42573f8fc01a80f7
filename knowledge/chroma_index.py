"""The vector index in a Chroma PersistentClient collection, with our embedding function registered.

Chroma's own default embedding downloads a model at first use and fails offline, so
the collection is created with :class:`ChromaEmbedding`, registered under its name:
a persisted collection reopens with the same embedder (``build_from_config``).
Telemetry is off: the product runs offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import known_embedding_functions, register_embedding_function

from knowledge.embed import Embedder, embedder_from_signature

COLLECTION = "knowledge"


class ChromaEmbedding(EmbeddingFunction[Documents]):
    """Adapter: any :class:`knowledge.embed.Embedder` as a Chroma embedding function."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return [np.asarray(v, dtype=np.float32) for v in self.embedder.embed(list(input))]

    @staticmethod
    def name() -> str:
        return "assistant-knowledge"

    def get_config(self) -> dict[str, Any]:
        return dict(self.embedder.signature())

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbedding:
        return ChromaEmbedding(embedder_from_signature(config))

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]


if ChromaEmbedding.name() not in known_embedding_functions:
    register_embedding_function(ChromaEmbedding)


class ChromaVectorIndex:
    def __init__(self, path: Path, embedder: Embedder) -> None:
        import chromadb
        from chromadb.config import Settings

        self.embedder = embedder
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(path=str(self.path), settings=Settings(anonymized_telemetry=False))
        self._ef = ChromaEmbedding(embedder)
        self._col = self._open()
        self._count: int | None = None  # cached between writes: count() costs as much as a small query
        self._max_batch = max(1, int(self._client.get_max_batch_size()))

    def _open(self) -> Any:
        return self._client.get_or_create_collection(
            COLLECTION, embedding_function=self._ef, configuration={"hnsw": {"space": "cosine"}}
        )

    def add(self, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]) -> None:
        self._count = None
        step = min(self._max_batch, 512)
        for i in range(0, len(ids), step):
            vecs = self.embedder.embed(texts[i : i + step])
            # no documents: chunks.json keeps the texts, and Chroma would index them for full-text search (~1 s a build)
            self._col.upsert(
                ids=ids[i : i + step],
                metadatas=metadatas[i : i + step],
                embeddings=[np.asarray(v, dtype=np.float32) for v in vecs],
            )

    def delete_doc(self, doc_key: str) -> None:
        self._count = None
        self._col.delete(where={"doc_key": doc_key})

    def query(self, text: str, n: int, language: str | None = None) -> list[tuple[str, float]]:
        return self.query_vector(self.embedder.embed([text])[0], n, language)

    def query_vector(self, vec: np.ndarray, n: int, language: str | None = None) -> list[tuple[str, float]]:
        total = self.count()
        if not total:
            return []
        res = self._col.query(
            query_embeddings=[np.asarray(vec, dtype=np.float32)],
            n_results=min(n, total),
            where={"language": language} if language else None,
            include=["distances"],
        )
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def count(self) -> int:
        if self._count is None:
            self._count = int(self._col.count())
        return self._count

    def reset(self) -> None:
        self._count = None
        self._client.delete_collection(COLLECTION)
        self._col = self._open()
