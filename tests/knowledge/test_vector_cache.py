"""The shipped encoder vectors of our texts (knowledge/vector_cache.py, written by cache_vectors.py): current, used."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import cache_vectors as CV
from knowledge import encoder
from knowledge import vector_cache as VC

needs_encoder = pytest.mark.skipif(not encoder.available(), reason="the sentence encoder is not installed")


@needs_encoder
def test_the_cache_holds_every_text_of_ours_for_the_installed_encoder() -> None:
    cache = VC.VectorCache.read()
    assert cache is not None, f"no {VC.CACHE_PATH}: run python -m knowledge.cache_vectors"
    assert cache.package == encoder.package_version()
    missing = CV.stale(cache, cache.package)
    assert missing == [], f"{len(missing)} texts not cached: run python -m knowledge.cache_vectors ({missing[:2]})"


@needs_encoder
def test_cached_vectors_are_the_encoders() -> None:
    cache = VC.VectorCache.read()
    assert cache is not None
    texts = CV.our_texts()
    sample = texts[:: max(1, len(texts) // 16)]
    cached = np.vstack([cache.get(t) for t in sample])  # type: ignore[misc]
    fresh = encoder.get_encoder().encode(sample)
    assert float(np.abs(cached - fresh).max()) < 1e-3  # float16: about 3e-5 off


def test_only_the_texts_the_cache_lacks_are_encoded(tmp_path: Path) -> None:
    cache = VC.VectorCache([VC.text_key("a"), VC.text_key("c")], np.eye(3, dtype=np.float32)[:2], "9.9")
    asked: list[list[str]] = []

    def fake(texts: list[str]) -> np.ndarray:
        asked.append(texts)
        return np.full((len(texts), 3), 0.5, dtype=np.float32)

    out = VC.encode(["a", "b", "c", "d"], fake, cache)
    assert asked == [["b", "d"]]
    assert out.tolist() == [[1, 0, 0], [0.5] * 3, [0, 1, 0], [0.5] * 3]
    assert VC.encode(["a"], fake, None).tolist() == [[0.5] * 3]


def test_another_encoder_version_does_not_use_the_file(tmp_path: Path) -> None:
    path = tmp_path / "v.npz"
    VC.VectorCache([VC.text_key("a")], np.ones((1, 3), dtype=np.float32), "1.0").write(path)
    assert VC.shipped("1.0", path) is not None
    assert VC.shipped("2.0", path) is None
    assert CV.stale(VC.shipped("1.0", path), "2.0") == CV.our_texts()
