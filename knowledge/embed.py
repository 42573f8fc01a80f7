"""Embedding backends behind one small interface, and their Chroma adapters.

The default, :class:`HashingEmbedder`, is ours and offline: hashed CJK character
1–3-grams, jieba/English word tokens and English character trigrams, with
sublinear term frequency, L2-normalised. It is deterministic across processes
(CRC32, not Python's salted ``hash``).

>>> e = HashingEmbedder(dims=256)
>>> v = e.embed(["客户流失率", "customer churn"])
>>> v.shape, round(float((v[0] ** 2).sum()), 6)
((2, 256), 1.0)
>>> bool((e.embed(["客户流失率"]) == v[:1]).all())
True
"""

from __future__ import annotations

import math
import os
import re
import zlib
from collections import Counter
from typing import Any, Protocol

import numpy as np

from knowledge import text as T


class Embedder(Protocol):
    """Turns texts into unit vectors. ``signature()`` changes whenever vectors would change."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def signature(self) -> dict[str, Any]: ...


_EN_TOKEN = re.compile(r"[a-z0-9]+")


class HashingEmbedder:
    """Offline feature hashing of character n-grams and words (see module docstring)."""

    name = "assistant-hashing"
    version = 1

    def __init__(self, dims: int | None = None, weights: dict[str, float] | None = None) -> None:
        cfg = T.rules()["embedding"]
        self.dims = int(dims or cfg["dims"])
        self.weights = {**cfg["weights"], **(weights or {})}

    def signature(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "dims": self.dims, "weights": self.weights}

    def features(self, text: str) -> Counter[str]:
        """Feature → weighted count, before hashing (prefixed by kind so kinds never collide)."""
        feats: Counter[str] = Counter()
        w = self.weights
        for tok in T.tokens(text):
            feats["w:" + tok] += w["word"]
        grams = T.char_ngrams(text)
        for n, kind in ((1, "cjk1"), (2, "cjk2"), (3, "cjk3")):
            for g in grams[n]:
                if g not in T.stopwords() or n > 1:
                    feats[f"c{n}:{g}"] += w[kind]
        for word in _EN_TOKEN.findall(text.lower()):
            if len(word) > 3:
                padded = f"<{word}>"
                for i in range(len(padded) - 2):
                    feats["e3:" + padded[i : i + 3]] += w["en3"]
        return feats

    def embed_one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dims, dtype=np.float32)
        for feat, weight in self.features(text).items():
            h = zlib.crc32(feat.encode("utf-8"))
            vec[h % self.dims] += (1.0 + math.log(weight)) if weight >= 1 else weight
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.vstack([self.embed_one(t) for t in texts])


def default_embedder() -> Embedder:
    """The configured backend. ``ASSISTANT_EMBEDDINGS``: unset/``auto`` → the multilingual sentence encoder
    when its package is installed, else hashing; ``hashing``; ``sentence``; ``openai`` (an OpenAI-compatible
    endpoint)."""
    choice = os.environ.get("ASSISTANT_EMBEDDINGS", "auto").strip().lower()
    if choice in ("", "auto", "default", "local"):
        from knowledge import encoder

        return sentence_embedder() if encoder.available() else HashingEmbedder()
    if choice == "hashing":
        return HashingEmbedder()
    if choice in ("sentence", "use"):
        from knowledge import encoder

        if not encoder.available():
            from assistant.core.errors import ConfigError

            raise ConfigError(
                f"ASSISTANT_EMBEDDINGS={choice} 需要安装 {encoder.PACKAGE}。",
                f"ASSISTANT_EMBEDDINGS={choice} needs the {encoder.PACKAGE} package installed.",
            )
        return sentence_embedder()
    if choice == "openai":
        from knowledge.embed_openai import OpenAIEmbedder

        return OpenAIEmbedder.from_env()
    from assistant.core.errors import ConfigError

    raise ConfigError(
        f"ASSISTANT_EMBEDDINGS={choice!r} 无法识别:请用 auto(默认)、sentence、hashing(离线)或 openai。",
        f"ASSISTANT_EMBEDDINGS={choice!r} is not known: use auto (default), sentence, hashing (offline) or openai.",
    )


def sentence_embedder() -> Embedder:
    from knowledge.embed_sentence import SentenceEmbedder

    return SentenceEmbedder()


def embedder_from_signature(sig: dict[str, Any]) -> Embedder:
    """Rebuild the embedder a collection was made with (for Chroma's ``build_from_config``)."""
    if sig.get("name") == HashingEmbedder.name:
        return HashingEmbedder(dims=int(sig["dims"]), weights=dict(sig.get("weights") or {}))
    if sig.get("name") == "assistant-use-m3":
        return sentence_embedder()  # a different package version makes plan() rebuild the index
    if sig.get("name") == "assistant-openai":
        from knowledge.embed_openai import OpenAIEmbedder

        return OpenAIEmbedder.from_env(model=sig.get("model"), base_url=sig.get("base_url"))
    raise ValueError(f"unknown embedder signature {sig!r}")
