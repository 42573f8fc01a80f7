"""The multilingual sentence encoder (``knowledge.encoder``) as an :class:`knowledge.embed.Embedder`.

It is the default whenever the package is installed; the hashing embedder is the fallback. Its vectors
capture meaning rather than shared words, so the index stores several per section (``multi_view``): the
section's text, its heading, and each of its typical questions; a section scores as its closest view.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from knowledge import encoder, vector_cache


class SentenceEmbedder:
    name = "assistant-use-m3"
    version = 1  # bump when what is embedded changes
    multi_view = True  # the index embeds a section's heading and typical questions apart from its text

    def __init__(self) -> None:
        self.package_version = encoder.package_version() or "unknown"
        self.dims = encoder.DIMS

    def signature(self) -> dict[str, Any]:
        # the package version is part of it: new weights mean new vectors, so the index is rebuilt, not mixed
        return {"name": self.name, "version": self.version, "package": self.package_version, "dims": self.dims}

    def embed(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if len(texts) < 2:  # a question: the cache holds our texts, and reading it would only add its load
            return encoder.get_encoder().encode(texts)
        # a build: our own texts' vectors come from the shipped cache (knowledge/vector_cache.py), only the rest is
        # encoded, and the encoder is not even loaded when nothing is missing
        return vector_cache.encode(
            texts, lambda rest: encoder.get_encoder().encode(rest), vector_cache.shipped(self.package_version)
        )
