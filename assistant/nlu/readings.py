"""The likeliest readings of a question the assistant did not understand, by meaning, across languages.

A clarification used to offer the same six questions whatever was asked. Here the question is compared by a
sentence encoder (``knowledge.encoder``: multilingual, so "who are our biggest spenders" lands near
"今年销售额前十的客户") with questions the assistant does answer: the bilingual catalogue ``readings.yaml`` and the
phrasings the team confirmed (the example bank). The closest few are offered in the asker's language — a
catalogue pair matches by either half and offers the asker's half; a confirmed phrasing is offered as confirmed,
in its own language, when it is the asker's.

Only offered, never acted on: measured on paraphrases and near-misses, the encoder's cosine does not separate a
question that means the same from one that asks something else (0.45–0.83 against 0.26–0.74), so it cannot
rewrite a question by itself; it can put the likely readings first and let the person choose.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from assistant.core.lang import detect_language

TABLE = Path(__file__).with_name("readings.yaml")
OFFERED = 3
MIN_COSINE = 0.25  # below this nothing in the catalogue is near: the general suggestions stay

Embed = Callable[[list[str]], np.ndarray]  # texts → unit vectors, one row each


@dataclass(frozen=True)
class Reading:
    """What is offered, by language, and the texts a question is compared with."""

    offer: dict[str, str]  # language → the question to offer ("zh", "en"); a confirmed phrasing has one
    match: tuple[str, ...]  # a pair's two halves; a confirmed phrasing's question as asked and its phrasing


def confirmed(question: str, rewrite: str) -> Reading:
    """A phrasing the team confirmed: near what was asked or the phrasing itself, offered as the phrasing."""
    return Reading({detect_language(rewrite): rewrite}, (question, rewrite))


@cache
def catalogue() -> tuple[Reading, ...]:
    pairs = yaml.safe_load(TABLE.read_text("utf-8"))
    return tuple(Reading({str(k): str(v) for k, v in p.items()}, tuple(str(v) for v in p.values())) for p in pairs)


class Readings:
    """Ranks readings against questions with ``embed``: ``extra()`` (read on every call: the confirmed phrasings
    change while the server runs) before ``base`` (the catalogue). Vectors are computed on first use."""

    def __init__(
        self, embed: Embed, extra: Callable[[], Sequence[Reading]] = tuple, base: Sequence[Reading] | None = None
    ) -> None:
        self._embed, self._extra = embed, extra
        self._base = catalogue() if base is None else tuple(base)
        self._lock = threading.Lock()
        self._vectors: dict[tuple[str, ...], np.ndarray] = {}

    def _matrix(self, readings: Sequence[Reading]) -> tuple[np.ndarray, list[int]]:
        """One row per text of every reading, and the reading each row belongs to."""
        texts = [t for r in readings for t in r.match]
        owner = [i for i, r in enumerate(readings) for _ in r.match]
        key = tuple(texts)
        with self._lock:
            found = self._vectors.get(key)
            if found is None:
                found = self._embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
                if len(self._vectors) > 8:
                    self._vectors.clear()  # the confirmed phrasings changed several times: keep memory bounded
                self._vectors[key] = found
        return found, owner

    def likeliest(self, question: str, lang: str | None = None, k: int = OFFERED) -> list[str]:
        """Up to ``k`` questions the assistant answers, closest in meaning first, in the asker's language."""
        lang = lang or detect_language(question)
        readings = [*self._extra(), *self._base]
        matrix, owner = self._matrix(readings)
        if not len(owner):
            return []
        scores = matrix @ self._embed([question])[0]
        best: dict[int, float] = {}
        for row, i in enumerate(owner):  # a reading counts by its closest text
            best[i] = max(best.get(i, -1.0), float(scores[row]))
        out: list[str] = []
        for i, score in sorted(best.items(), key=lambda x: -x[1]):
            text = readings[i].offer.get(lang)
            if score < MIN_COSINE or len(out) == k:
                break
            if text and text not in out:
                out.append(text)
        return out
