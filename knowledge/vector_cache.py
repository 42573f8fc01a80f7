"""The sentence encoder's vectors of our own texts, shipped as data: a build encodes only what changed.

Building the index of the shipped documents encodes about 3,000 texts (each section's text, heading and typical
questions, and the labelled questions of knowledge/asked/): most of a build's time. Those texts are ours, so their
vectors ship in ``knowledge/vectors/use-m3.npz``, keyed by a hash of each text and stamped with the encoder package's
version; :func:`encode` takes a text's vector from there and encodes only the texts it does not hold (a document
edited since, a user's page). A different package version means the file is not used at all (its vectors would be
another model's). Stored as float16: cosines move by about 4e-5, the file is half the size.

Rebuild after editing a document, its typical questions or a labelled question (a test fails until then) with
``knowledge.cache_vectors``, which knows which texts are ours (this module only reads the file: the index reads it).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

CACHE_PATH = Path(__file__).resolve().parent / "vectors" / "use-m3.npz"
FORMAT = 1  # bump when the key or the layout changes

_lock = threading.Lock()
_loaded: dict[Path, VectorCache | None] = {}


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class VectorCache:
    def __init__(self, keys: list[str], vectors: np.ndarray, package: str) -> None:
        self.package = package
        self.vectors = np.asarray(vectors, dtype=np.float16)
        self.row = {k: i for i, k in enumerate(keys)}

    @classmethod
    def read(cls, path: Path = CACHE_PATH) -> VectorCache | None:
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as z:
            if int(z["format"]) != FORMAT:
                return None
            return cls(z["keys"].tolist(), z["vectors"], str(z["package"]))

    def write(self, path: Path = CACHE_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.row, key=self.row.__getitem__)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(
            tmp,
            format=np.asarray(FORMAT),
            package=np.asarray(self.package),
            keys=np.asarray(keys),
            vectors=self.vectors,
        )
        tmp.replace(path)

    def get(self, text: str) -> np.ndarray | None:
        i = self.row.get(text_key(text))
        return None if i is None else self.vectors[i].astype(np.float32)


def shipped(package: str, path: Path = CACHE_PATH) -> VectorCache | None:
    """The shipped cache when it was made with this encoder version (read once per process), else None."""
    with _lock:
        if path not in _loaded:
            _loaded[path] = VectorCache.read(path)
        cache = _loaded[path]
    return cache if cache is not None and cache.package == package else None


def encode(texts: list[str], encode_fn: Callable[[list[str]], np.ndarray], cache: VectorCache | None) -> np.ndarray:
    """One unit row per text: the cache's where it holds the text, ``encode_fn`` (once, in one batch) for the rest."""
    found = [cache.get(t) if cache is not None else None for t in texts]
    missing = [i for i, v in enumerate(found) if v is None]
    fresh = encode_fn([texts[i] for i in missing]) if missing else None
    rows: list[np.ndarray] = []
    j = 0
    for v in found:
        if v is None:
            assert fresh is not None
            rows.append(np.asarray(fresh[j], dtype=np.float32))
            j += 1
        else:
            rows.append(v)
    return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
