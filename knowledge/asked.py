"""Labelled questions as a ranker: a new question's nearest asked questions vote for their sections.

Users ask in their own words, not the documents'; ``knowledge/asked/<source>.yaml`` holds colloquial questions
our evaluation sets were written with, each labelled with the one section (doc id, anchor) that answers it. Their
sentence-encoder vectors are stored with the index (``asked.npz``); a question's ``k`` nearest (cosine, either
language: the encoder reads both, and the zh and en versions of a section share their anchor) vote for their
sections (the ``k`` nearest cosine^power, or with ``sharpness`` every question, softly), and the leading sections
gain in proportion to their share of the votes, last (knowledge/index.py ``_asked_votes``, rules.yaml ``asked``).

An evaluation set must never be measured with its own questions in the bank: ``hold_out`` names the sources
(file stems) left out, so ``KnowledgeBase(path, hold_out={"eval_fresh6"})`` measures that set leave-one-set-out.

``knowledge/written/<doc id>.yaml`` holds questions we wrote ourselves from the documents alone, in both languages
(``anchor: [question, ...]``), the way users ask: a problem or its remedy, a segment described by its properties,
worked-example numbers, why it matters, a mixed-language query. They are a second bank, voting on their own
(``load_written``, source ``written``: never from an evaluation set, so never held out but by name).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from assistant.core.errors import InputError
from assistant.core.lang import detect_language

ASKED_DIR = Path(__file__).resolve().parent / "asked"
WRITTEN_DIR = Path(__file__).resolve().parent / "written"
WRITTEN = "written"  # the source name of every written question (hold_out={"written"} leaves the bank out)
FIELDS = ("q", "lang", "doc", "section")


@dataclass(frozen=True)
class Asked:
    q: str
    lang: str
    doc: str
    section: str
    source: str  # the file it comes from (its stem): what an evaluation holds out


def asked_files(folder: Path = ASKED_DIR) -> list[Path]:
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def load_asked(folder: Path = ASKED_DIR) -> list[Asked]:
    """Every labelled question, in file order; a malformed row stops with an error naming the file."""
    out: list[Asked] = []
    for p in asked_files(folder):
        rows = yaml.safe_load(p.read_text(encoding="utf-8")) or []
        for row in rows if isinstance(rows, list) else [rows]:
            if not isinstance(row, dict) or set(row) != set(FIELDS) or not all(isinstance(row[f], str) for f in FIELDS):
                raise InputError(
                    f"{p.name}: 每行应为 q, lang, doc, section 四个字符串:{row!r}",
                    f"{p.name}: each row needs the strings q, lang, doc, section: {row!r}",
                )
            out.append(Asked(row["q"].strip(), row["lang"], row["doc"], row["section"], p.stem))
    return out


def load_written(folder: Path = WRITTEN_DIR) -> list[Asked]:
    """Our written questions (``<doc id>.yaml``: ``anchor: [question, ...]``, either language), in file order; a
    malformed file stops with an error naming it."""
    out: list[Asked] = []
    for p in asked_files(folder):
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        for anchor, qs in data.items() if isinstance(data, dict) else [(None, None)]:
            if not isinstance(anchor, str) or not isinstance(qs, list) or not all(isinstance(q, str) for q in qs):
                raise InputError(
                    f"{p.name}: 应为 章节锚点: [问题, ...]:{anchor!r}",
                    f"{p.name}: expected anchor: [question, ...]: {anchor!r}",
                )
            out += [Asked(q.strip(), detect_language(q), p.stem, anchor, WRITTEN) for q in qs]
    return out


def asked_digest(folder: Path = ASKED_DIR, written: Path = WRITTEN_DIR) -> str:
    """Changes when any labelled or written question does (part of the index's pipeline signature: the banks are
    re-encoded)."""
    h = hashlib.sha256()
    for p in asked_files(folder) + asked_files(written):
        h.update(p.parent.name.encode() + p.name.encode() + p.read_bytes())
    return h.hexdigest()[:16]


class Bank:
    """The labelled questions' unit vectors and labels, searched by brute force (about 800 rows: tens of µs)."""

    def __init__(self, vectors: np.ndarray, labels: list[tuple[str, str]], sources: list[str]) -> None:
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.labels = labels
        self.sources = np.asarray(sources)
        # each row's label as an index into the distinct labels: the sharp votes sum by label in numpy
        self.keys = sorted(set(labels))
        at = {key: i for i, key in enumerate(self.keys)}
        self.label_ids = np.asarray([at[key] for key in labels], dtype=np.int64)

    @classmethod
    def read(cls, path: Path) -> Bank | None:
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as z:
            docs, secs, srcs = (z[k].tolist() for k in ("docs", "sections", "sources"))
            return cls(z["vectors"], list(zip(docs, secs, strict=True)), srcs)

    def write(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(
            tmp,
            vectors=self.vectors,
            docs=np.asarray([d for d, _ in self.labels]),
            sections=np.asarray([s for _, s in self.labels]),
            sources=self.sources,
        )
        tmp.replace(path)

    def mask(self, hold_out: frozenset[str]) -> np.ndarray | None:
        """Rows to keep when ``hold_out`` sources are left out (None: all)."""
        return ~np.isin(self.sources, sorted(hold_out)) if hold_out else None

    def vote(
        self, qv: np.ndarray, k: int, keep: np.ndarray | None = None, power: float = 1.0, sharpness: float = 0.0
    ) -> list[tuple[tuple[str, str], float]]:
        """(doc id, anchor) → the summed cosine^power of the ``k`` nearest questions labelled with it, best first.

        ``sharpness`` > 0: every question votes instead, exp(sharpness x (cosine - the nearest's cosine)), so a
        section counts as its closest questions, softly (sharpness 20: 0.05 of cosine farther is e^-1 of a vote)."""
        if not len(self.labels) or k <= 0:
            return []
        sims = self.vectors @ np.asarray(qv, dtype=np.float32)
        if keep is not None:
            sims = np.where(keep, sims, -np.inf)
        n = int(np.isfinite(sims).sum())
        if n <= 0:
            return []
        votes: dict[tuple[str, str], float] = {}
        if sharpness > 0:
            w = np.exp(sharpness * (sims - float(sims.max())))  # held-out rows: exp(-inf) = 0
            sums = np.bincount(self.label_ids, weights=np.where(w > 1e-6, w, 0.0), minlength=len(self.keys))
            votes = {self.keys[i]: float(sums[i]) for i in np.flatnonzero(sums)}
            return sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        k = min(k, n)
        top = np.argpartition(-sims, k - 1)[:k]
        for i in top[np.argsort(-sims[top], kind="stable")]:
            votes[self.labels[i]] = votes.get(self.labels[i], 0.0) + max(float(sims[i]), 0.0) ** power
        return sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
