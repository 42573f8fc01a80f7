"""The knowledge index: shipped documents and users' files, chunked, embedded into a vector
index and tokenised for BM25; incremental by content hash; hybrid search fused by rank.

Files under the index folder: ``manifest.json`` (document hashes: read alone by the fast
"nothing changed" check), ``chunks.json`` (chunk texts, metadata and BM25 tokens) and
``chroma/`` (the vector collection); with the sentence encoder ``asked.npz`` and ``written.npz`` (the labelled and
our written questions' vectors, knowledge/asked.py).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.config import ROOT
from assistant.core.errors import InputError
from assistant.core.lang import detect_language
from knowledge import facets as F
from knowledge import text as T
from knowledge.asked import WRITTEN, Bank, asked_digest, load_asked, load_written
from knowledge.dedupe import Deduper
from knowledge.embed import Embedder, default_embedder, embedder_from_signature
from knowledge.glossary import GLOSSARY_DIR, concepts, expand, to_chinese
from knowledge.ingest import SUFFIXES, file_hash, read_document, user_key
from knowledge.models import Chunk, Document, Hit
from knowledge.ourdocs import DOCS_DIR, docs_of_tool, parse_doc, shipped_docs, source_name
from knowledge.questions import load_questions, questions_digest, questions_path
from knowledge.rank import BM25, rrf
from knowledge.split import chunk_text
from knowledge.typos import correct
from knowledge.vector import VectorIndex

FORMAT = 9  # 6: several vectors per section with the sentence encoder (text, heading, questions); 7: sections' facets;
# 8: the labelled questions' vectors (asked.npz, knowledge/asked.py); 9: our written questions' (written.npz)
SNIPPET = 180
_VIEW = re.compile(r"\|(?:h|q\d+)$")  # a view's id is its chunk's id (which ends in :<n>) plus |h or |q<n>


def view_chunk(view_id: str) -> str:
    """The chunk a vector belongs to: ``doc/zh/rfm#how:1|q2`` → ``doc/zh/rfm#how:1``."""
    return _VIEW.sub("", view_id)


def is_semantic(emb: Embedder) -> bool:
    """An embedder of meaning (the sentence encoder): several vectors per section, its own fusion weights."""
    return bool(getattr(emb, "multi_view", False))


def fusion_settings(question_lang: str, semantic: bool) -> tuple[float, int]:
    """The vector ranker's weight and the fusion's rank constant for a question in this language.

    With the sentence encoder they are chosen per language (rules.yaml ``semantic.languages``): on the
    development sets English questions did best with a steep fusion (a ranker's first place counting far more
    than its fifth) and the encoder weighed about like BM25, Chinese ones with the flatter fusion and the encoder
    weighed double, and neither setting suited the other language (see knowledge/README.md)."""
    cfg = T.rules()
    if not semantic:
        return float(cfg["fusion"]["weights"]["vector"]), int(cfg["fusion"]["rrf_k"])
    own = (cfg["semantic"].get("languages") or {}).get(question_lang) or {}
    return (
        float(own.get("vector_weight", cfg["semantic"]["vector_weight"])),
        int(own.get("rrf_k", cfg["fusion"]["rrf_k"])),
    )


def asked_settings(question_lang: str) -> dict[str, Any]:
    """The neighbour votes' settings (rules.yaml ``asked``) for a question in this language: ``asked.languages``
    overrides the shared ones, as ``semantic.languages`` does the fusion's."""
    cfg = T.rules()["asked"]
    return {**cfg, **((cfg.get("languages") or {}).get(question_lang) or {})}


@cache
def _tool_pattern() -> re.Pattern[str]:
    names = sorted(docs_of_tool(), key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z_])(" + "|".join(map(re.escape, names)) + r")(?![A-Za-z_])" if names else r"(?!)")


def _other(lang: str) -> str:
    return "en" if lang == "zh" else "zh"


def pipeline_signature(docs_dir: Path = DOCS_DIR) -> str:
    """Changes when chunking, tokenising or ranking rules or code change (rules.yaml, glossary, sources)."""
    h = hashlib.sha256(f"format={FORMAT}".encode())
    here = Path(T.__file__).parent
    # the rules and the code that turns text into chunks and tokens: a change there re-indexes everything
    for name in (
        "rules.yaml",
        "text.py",
        "stem.py",
        "glossary.py",
        "embed.py",
        "embed_sentence.py",
        "encoder.py",
        "clean.py",
        "split.py",
        "ingest.py",
        "ourdocs.py",
        "questions.py",
        "models.py",
        "index.py",
        "asked.py",
        "vector_cache.py",
        "rule_table.py",
    ):
        h.update((here / name).read_bytes())
    for p in sorted(GLOSSARY_DIR.glob("*.y*ml")) if GLOSSARY_DIR.is_dir() else []:
        h.update(p.name.encode() + p.read_bytes())
    h.update(asked_digest().encode())  # the labelled questions: their vectors are part of the index
    h.update("\n".join(T.doc_terms()).encode())  # jieba's added vocabulary: headings and topics of our documents
    return h.hexdigest()[:16]


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


def doc_hash(path: Path, questions: Path) -> str:
    """A shipped document's content hash: its text and its questions file, so editing either re-indexes it."""
    qd = questions_digest(questions)
    return hashlib.sha256(f"{file_hash(path)}\n{qd}".encode()).hexdigest() if qd else file_hash(path)


def chunk_document(doc: Document, questions: dict[str, list[str]] | None = None) -> list[Chunk]:
    """A document's chunks; a section's typical questions go with its first chunk (the one a section is
    cited from when it is whole, as all of ours are at 2,400 characters): on every chunk they would make
    a long section's pieces compete for the same questions."""
    out: list[Chunk] = []
    questions = questions or {}
    for si, sec in enumerate(doc.sections, start=1):
        # our sections are written to be cited whole; users' pages are cut to size
        size = int(T.rules()["chunk"]["doc_section_max_chars"]) if doc.kind == "doc" else None
        for ci, piece in enumerate(chunk_text(sec.text, target=size, max_chars=size), start=1):
            pos = {"section": si, "chunk": ci, "line": sec.line + 1}
            if sec.page is not None:
                pos["page"] = sec.page
            out.append(
                Chunk(
                    id=f"{doc.key}#{sec.anchor}:{ci}",
                    doc_key=doc.key,
                    doc_id=doc.doc_id,
                    title=doc.title,
                    language=doc.language,
                    source=doc.source,
                    kind=doc.kind,
                    anchor=sec.anchor,
                    heading=sec.heading,
                    text=piece,
                    position=pos,
                    topics=doc.topics,
                    questions=questions.get(sec.anchor, []) if ci == 1 else [],
                    facets=sec.facets,
                )
            )
    return out


def embed_inputs(chunks: list[Chunk], semantic: bool) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """The vectors a build stores for these chunks: ids, texts, metadata (knowledge/vector_cache.py reads the texts)."""
    with_q = bool(T.rules()["embedding"]["questions"])
    ids, texts, vmetas = [], [], []
    views = T.rules()["semantic"]["views"] if semantic else []
    for c in chunks:
        m = {"doc_key": c.doc_key, "doc_id": c.doc_id, "language": c.language, "anchor": c.anchor, "kind": c.kind}
        ids.append(c.id)
        texts.append(c.embed_text(questions=with_q))
        vmetas.append(m)
        # the encoder averages over a text: a long section's vector is blurred, its heading's and each
        # typical question's are sharp, so a question close to any one of them finds the section
        if "heading" in views and c.heading:
            ids.append(c.id + "|h")
            texts.append(f"{c.title}: {c.heading}" if c.heading != c.title else c.title)
            vmetas.append(m)
        if "questions" in views:
            for j, q in enumerate(c.questions, start=1):
                ids.append(f"{c.id}|q{j}")
                texts.append(q)
                vmetas.append(m)
    return ids, texts, vmetas


def head_tokens(c: Chunk) -> list[str]:
    """The section heading alone: a BM25 over headings picks the section a question is about."""
    return T.tokens(c.heading) + concepts(c.heading) if c.heading != c.title else []


def chunk_tokens(c: Chunk) -> list[str]:
    """Section tokens, the heading counting extra (BM25F by repetition). The title is left to the
    document ranker: in every section of a document it would only blur which section is meant."""
    w = T.rules()["bm25"]["fields"]
    toks = head_tokens(c) * int(w["heading"])
    toks += (T.tokens(c.text) + concepts(c.text)) * int(w["body"])
    return toks


def question_tokens(c: Chunk) -> list[str]:
    """The section's typical questions as BM25 tokens (kept apart from its own: rules.yaml weighs them)."""
    text = "\n".join(c.questions)
    return T.tokens(text) + concepts(text) if text else []


def char_grams(text: str) -> list[str]:
    """CJK character unigrams and bigrams (prefixed): they match what jieba cuts differently
    (分几级 / 三级怎么划分) and typos (需球 / 需求)."""
    g = T.char_ngrams(text, (1, 2))
    sw = T.stopwords()
    return ["¹" + c for c in g[1] if c not in sw] + ["²" + b for b in g[2]]


def local_tokens(c: dict[str, Any]) -> list[str]:
    """What the within-document section ranker matches: the section's tokens plus its heading and
    text as character grams (the heading counted as in the section tokens)."""
    w = int(T.rules()["bm25"]["fields"]["heading"])
    head = char_grams(c["heading"]) if c["heading"] != c["title"] else []
    qw = int(T.rules()["rerank"]["question_weight"])
    qs = [*c.get("q_tokens", []), *char_grams("\n".join(c.get("questions", [])))] * qw if qw else []
    return [*c["tokens"], *(head * w), *char_grams(c["text"]), *qs]


@cache
def _intent_patterns() -> dict[str, re.Pattern[str]]:
    table = T.rules()["rerank"]["intents"]
    return {a: re.compile("|".join(p["zh"] + p["en"]), re.I) for a, p in table.items()}


@cache
def _intent_of_anchor() -> dict[str, str]:
    """Anchor → intent for the sections every one of our documents has (what, why, how, actions, example)."""
    return {a: name for name, p in T.rules()["rerank"]["intents"].items() for a in p["anchors"]}


def asks(query: str, intent: str) -> bool:
    """Whether the query asks for that kind of section: what a thing is, why it matters, how it is computed,
    what to do, an example (rules.yaml rerank.intents: generic cue words, no subject words)."""
    pat = _intent_patterns().get(intent)
    return bool(pat and pat.search(query))


def asked_intents(query: str) -> set[str]:
    return {name for name, pat in _intent_patterns().items() if pat.search(query)}


@cache
def _question_words() -> tuple[frozenset[str], re.Pattern[str]]:
    qw = T.rules()["rerank"]["question_words"]
    zh = sorted((str(w) for w in qw["zh"]), key=len, reverse=True)
    return frozenset(str(w).lower() for w in (*qw["zh"], *qw["en"])), re.compile("|".join(map(re.escape, zh)))


def _with_grams(query: str, qw: dict[str, float]) -> dict[str, float]:
    """The query's weighted terms plus its CJK character grams (what the within-document BM25 matches)."""
    out = dict(qw)
    gw = float(T.rules()["rerank"]["char_gram_weight"])
    for g in char_grams(query):
        out[g] = out.get(g, 0.0) + gw
    return out


def content_query(query: str, qw: dict[str, float]) -> dict[str, float]:
    """The query's weighted terms without its question words, plus CJK character grams of what is left:
    which section a question points at is said by its subject words; what it asks (how, why, what to do)
    is the intent table's job, and as plain words 怎么/what would match whichever heading is phrased with them."""
    words, zh = _question_words()
    out = {t: w for t, w in qw.items() if t not in words}
    gw = float(T.rules()["rerank"]["char_gram_weight"])
    for g in char_grams(zh.sub(" ", query)):
        out[g] = out.get(g, 0.0) + gw
    return out


def section_facets(
    chunks: list[dict[str, Any]], twin: dict[str, str]
) -> tuple[dict[str, frozenset[str]], dict[str, dict[str, str]]]:
    """Chunk id → the kinds of answer its section is (knowledge/facets.py) and the properties it describes.

    Kinds: the generic kind its anchor names (our documents' what/why/how/actions/example), those its heading's cue
    words name, in either language version of the section (亏损客户:为什么大客户也会亏钱 → why), or instead
    those its document declares (a heading's cue word can mislead: 并列怎么办 is about ties, not actions). Properties: declared, else those its heading describes (a user's page has no front matter).
    Read when the index is loaded, so a change of the cue table needs no rebuild."""
    of_anchor = _intent_of_anchor()
    by_id = {c["id"]: c for c in chunks}
    own: dict[str, tuple[frozenset[str], dict[str, str]]] = {}
    for c in chunks:
        kinds, props = F.declared(c.get("facets", []))
        head = c["heading"] if c["heading"] != c["title"] else ""
        kinds = kinds or F.kinds_of(head)  # a declaration is the document's word: it replaces what the heading says
        if c["kind"] == "doc" and c["anchor"] in of_anchor:
            kinds |= {of_anchor[c["anchor"]]}
        own[c["id"]] = (kinds, props or F.properties_of(head))
    kinds_out: dict[str, frozenset[str]] = {}
    props_out: dict[str, dict[str, str]] = {}
    for cid, (kinds, props) in own.items():
        other = twin.get(cid)
        if other in by_id:
            kinds = kinds | own[other][0]
            props = props or own[other][1]
        kinds_out[cid], props_out[cid] = kinds, props
    return kinds_out, props_out


class _State:
    """What search needs in memory: chunks, BM25 over their tokens."""

    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        cfg = T.rules()["bm25"]
        self.chunks = chunks
        self.by_id = {c["id"]: i for i, c in enumerate(chunks)}
        qw = int(cfg["fields"]["questions"])
        # a section's typical questions add to what it is found by (BM25F by repetition), and rank on their own
        self.bm25 = BM25(
            [[*c["tokens"], *c.get("q_tokens", []) * qw] for c in chunks], k1=float(cfg["k1"]), b=float(cfg["b"])
        )
        self.questions = BM25([c.get("q_tokens", []) for c in chunks], k1=float(cfg["k1"]), b=float(cfg["b"]))
        self.no_questions = frozenset(c["id"] for c in chunks if not c.get("q_tokens"))
        # a section naming several of our tools (front matter `tools`) summarises the documents that explain them
        refs = _tool_pattern()
        self.breadth = {c["id"]: n for c in chunks if c["kind"] == "doc" and (n := len(set(refs.findall(c["text"]))))}
        # our documents come in zh and en with the same sections: a chunk's twin is the same piece in the other one
        place = {
            (c["doc_id"], c["anchor"], c["position"].get("chunk"), c["language"]): c["id"]
            for c in chunks
            if c["kind"] == "doc"
        }
        self.bank: Bank | None = None
        self.written: Bank | None = None
        self.twin = {
            c["id"]: place[k]
            for c in chunks
            if c["kind"] == "doc"
            and (k := (c["doc_id"], c["anchor"], c["position"].get("chunk"), _other(c["language"]))) in place
        }
        self.head = BM25([c["head_tokens"] for c in chunks], k1=float(cfg["k1"]), b=float(cfg["b"]))
        self.kinds, self.props = section_facets(chunks, self.twin)
        # each document's sections with term weights from that document alone: a word every section
        # of the document uses (its own subject) tells nothing about which section is meant
        members: dict[str, list[int]] = {}
        for i, c in enumerate(chunks):
            members.setdefault(c["doc_key"], []).append(i)
        self.members = members
        self.local: dict[str, BM25] = {}
        self.local_head: dict[str, BM25] = {}
        self.subjects: dict[str, frozenset[str]] = {}
        self._cfg = cfg
        self.written_rows: list[Any] = []  # our written questions (knowledge/written/), set by KnowledgeBase._load
        self._with_written: tuple[BM25, BM25] | None = None

    def with_written(self) -> tuple[BM25, BM25] | None:
        """The section BM25 and the typical-questions BM25 with the words of our written questions added to each
        section's (rules.yaml ``written_terms``, round 5 in knowledge/README.md): all of a section's written questions,
        both languages' (the Chinese ones count through their glossary concept tokens and the English words they
        mix in), on its first chunk, as its typical questions are. Built on first use: only questions in the
        languages ``written_terms`` names read them. None without written questions."""
        if self._with_written is None and self.written_rows:
            by: dict[tuple[str, str], list[str]] = {}
            for r in self.written_rows:
                by.setdefault((r.doc, r.section), []).append(r.q)
            extra = []
            for c in self.chunks:
                qs = (
                    by.get((c["doc_id"], c["anchor"]), [])
                    if c["kind"] == "doc" and c["position"].get("chunk") == 1
                    else []
                )
                text = "\n".join(qs)
                extra.append(T.tokens(text) + concepts(text) if text else [])
            k1, b, qw = float(self._cfg["k1"]), float(self._cfg["b"]), int(self._cfg["fields"]["questions"])
            self._with_written = (
                BM25(
                    [[*c["tokens"], *c.get("q_tokens", []) * qw, *e] for c, e in zip(self.chunks, extra, strict=True)],
                    k1=k1,
                    b=b,
                ),
                BM25([[*c.get("q_tokens", []), *e] for c, e in zip(self.chunks, extra, strict=True)], k1=k1, b=b),
            )
        return self._with_written

    def local_bm25(self, doc_key: str) -> BM25:
        """BM25 over one document's sections, with that document's term weights."""
        bm = self.local.get(doc_key)
        if bm is None:  # built on first use: a query touches only a few documents
            cs = [self.chunks[i] for i in self.members[doc_key]]
            bm = BM25([local_tokens(c) for c in cs], k1=float(self._cfg["k1"]), b=float(self._cfg["b"]))
            self.local[doc_key] = bm
        return bm

    def subject_terms(self, doc_key: str) -> frozenset[str]:
        """Words of the document's title (and their character grams) that no specific section's heading uses:
        they name the document (波士顿矩阵, four customer types), not one of its sections (明星产品, lost)."""
        terms = self.subjects.get(doc_key)
        if terms is None:
            cs = [self.chunks[i] for i in self.members[doc_key]]
            title = cs[0]["title"]
            found = {*T.tokens(title), *concepts(title), *char_grams(title)}
            generic = _intent_of_anchor()
            for c in cs:
                if c["kind"] != "doc" or c["anchor"] not in generic:
                    found -= {*c["head_tokens"], *char_grams(c["heading"])}
            terms = self.subjects[doc_key] = frozenset(found)
        return terms

    def local_head_bm25(self, doc_key: str) -> BM25:
        """BM25 over one document's section headings alone (words and character grams), its own term weights."""
        bm = self.local_head.get(doc_key)
        if bm is None:
            cs = [self.chunks[i] for i in self.members[doc_key]]
            heads = [[*c["head_tokens"], *char_grams(c["heading"])] if c["heading"] != c["title"] else [] for c in cs]
            # b=0: a heading's length says little (短标题 and long ones name one subject each)
            bm = BM25(heads, k1=float(self._cfg["k1"]), b=0.0)
            self.local_head[doc_key] = bm
        return bm


class KnowledgeBase:
    """One index folder. ``vector`` can be any :class:`VectorIndex` (Chroma by default; in-memory in tests)."""

    def __init__(
        self,
        path: Path | str,
        embedder: Embedder | None = None,
        vector: VectorIndex | None = None,
        docs_dir: Path = DOCS_DIR,
        questions_dir: Path | None = None,
        hold_out: frozenset[str] | set[str] | tuple[str, ...] = (),
    ) -> None:
        self.path = Path(path)
        self.docs_dir = docs_dir
        # docs/<lang>/<id>.md has its typical questions in questions/<lang>/<id>.yaml beside docs/
        self.questions_dir = questions_dir or docs_dir.parent / "questions"
        # and the labelled questions asked of its sections in asked/ (knowledge/asked.py; none beside test documents)
        self.asked_dir = docs_dir.parent / "asked"
        # and the questions we wrote from its documents, a second bank (knowledge/asked.py ``load_written``)
        self.written_dir = docs_dir.parent / "written"
        self._embedder = embedder
        self._vector = vector
        self._own_vector = vector is None
        # labelled questions' sources left out of the neighbour bank: an evaluation set is never measured on itself
        self.hold_out = frozenset(hold_out)
        self.bank_path = self.path / "asked.npz"
        self.written_path = self.path / "written.npz"
        self._state: _State | None = None
        self._state_mtime = -1
        self.manifest_path = self.path / "manifest.json"
        self.chunks_path = self.path / "chunks.json"

    # -- storage -------------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        if not self.manifest_path.exists():
            return {}
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _chunks(self) -> list[dict[str, Any]]:
        if not self.chunks_path.exists():
            return []
        return json.loads(self.chunks_path.read_text(encoding="utf-8"))["chunks"]

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with (self.path / ".lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = default_embedder()
        return self._embedder

    def vector(self, embedder: Embedder | None = None) -> VectorIndex:
        if self._vector is None:
            from knowledge.chroma_index import ChromaVectorIndex

            self._vector = ChromaVectorIndex(self.path / "chroma", embedder or self.embedder())
        return self._vector

    # -- what changed ---------------------------------------------------------------------
    def _vector_present(self) -> bool:
        return self._vector is not None or (self.path / "chroma").is_dir()

    def plan(self) -> dict[str, Any]:
        """Hash check only: which shipped documents are new, changed or gone; user files changed or missing."""
        man = self.manifest()
        docs = man.get("docs", {})
        full = (
            not man
            or man.get("pipeline") != pipeline_signature()
            or man.get("embedder") != self.embedder().signature()
            or not self._vector_present()
        )
        by_source = {d["source"]: k for k, d in docs.items() if d["kind"] == "doc"}
        current = {source_name(p): p for p in shipped_docs(self.docs_dir)}
        changed, new = [], []
        hashes: dict[str, str] = {}
        for rel, p in current.items():
            hashes[rel] = doc_hash(p, questions_path(p, self.questions_dir))
            if rel not in by_source:
                new.append(rel)
            elif full or docs[by_source[rel]]["hash"] != hashes[rel]:
                changed.append(rel)
        removed = [k for s, k in by_source.items() if s not in current]
        user_changed, user_missing = [], []
        for d in docs.values():
            if d["kind"] != "user":
                continue
            p = Path(d["source"])
            if not p.is_file():
                user_missing.append(d["source"])
            elif full or file_hash(p) != d["hash"]:
                user_changed.append(d["source"])
        return {
            "full": bool(full),
            "new": new,
            "changed": changed,
            "removed": removed,
            "user_changed": user_changed,
            "user_missing": user_missing,
            "hashes": hashes,
        }

    def status(self) -> dict[str, Any]:
        man = self.manifest()
        plan = self.plan()
        docs = man.get("docs", {})
        stale = plan["new"] + plan["changed"] + plan["removed"] + plan["user_changed"]
        return {
            "index": str(self.path),
            "built": bool(man),
            "embedder": man.get("embedder", {}).get("name"),
            "documents": sum(1 for d in docs.values() if d["kind"] == "doc"),
            "user_documents": sum(1 for d in docs.values() if d["kind"] == "user"),
            "chunks": sum(int(d["chunks"]) for d in docs.values()),
            "languages": dict(Counter(d["language"] for d in docs.values())),
            "stale": sorted(stale),
            "rebuild_needed": plan["full"] and bool(man),
            "missing_sources": plan["user_missing"],
        }

    # -- writing --------------------------------------------------------------------------
    def build(self, force: bool = False) -> dict[str, Any]:
        """Build when missing; otherwise re-index only new, changed and removed documents."""
        t0 = time.perf_counter()
        plan = self.plan()
        if not force and not plan["full"] and not any(plan[k] for k in ("new", "changed", "removed", "user_changed")):
            return {
                "index": str(self.path),
                "changed": 0,
                "embedded_chunks": 0,
                "seconds": round(time.perf_counter() - t0, 3),
            }
        with self._lock():
            return self._apply(plan, force, t0)

    def _apply(self, plan: dict[str, Any], force: bool, t0: float) -> dict[str, Any]:
        full = force or plan["full"]
        man = self.manifest() if not full else {}
        docs: dict[str, Any] = dict(man.get("docs", {})) if man else {}
        old_docs = self.manifest().get("docs", {})
        chunks = {c["id"]: c for c in self._chunks()} if not full else {}
        emb = self.embedder()
        vec = self.vector(emb)
        if full:
            vec.reset()
        todo_docs: list[Document] = []
        hashes: dict[str, str] = {}
        questions: dict[str, dict[str, list[str]]] = {}
        srcs = set(plan["new"] + plan["changed"]) if not full else set(plan["hashes"])
        for rel in sorted(srcs):
            p = ROOT / rel if not Path(rel).is_absolute() else Path(rel)
            doc = parse_doc(p.read_text(encoding="utf-8"), rel)
            anchors = [s.anchor for s in doc.sections]
            questions[doc.key] = load_questions(questions_path(p, self.questions_dir), anchors)
            todo_docs.append(doc)
            hashes[doc.key] = plan["hashes"][rel]
        removed = list(plan["removed"])
        user_srcs = (
            plan["user_changed"]
            if not full
            else [d["source"] for d in old_docs.values() if d["kind"] == "user" and Path(d["source"]).is_file()]
        )
        for src in user_srcs:
            todo_docs.append(read_document(Path(src)))
            hashes[todo_docs[-1].key] = file_hash(Path(src))
        if full:
            # users' files whose source is gone keep their stored chunks: re-embed those
            kept = [
                Chunk(**{k: v for k, v in c.items() if k not in ("tokens", "head_tokens", "q_tokens")})
                for c in self._chunks_of_missing_users(old_docs)
            ]
            for c in kept:  # tokens again too: the rules may be what changed
                chunks[c.id] = _stored(c)
                docs[c.doc_key] = old_docs[c.doc_key]
            self._embed_chunks(vec, kept)
        for key in removed:
            vec.delete_doc(key)
            docs.pop(key, None)
        report = self._index_docs(vec, todo_docs, hashes, docs, chunks, dedupe_users=True, questions=questions)
        chunks = {i: c for i, c in chunks.items() if c["doc_key"] in docs}
        if full or not self.bank_path.exists():
            report["asked"] = self._write_bank(emb)
            report["written"] = self._write_written(emb)
        self._save(docs, chunks, emb)
        report.update(
            {"index": str(self.path), "removed": removed, "full": full, "seconds": round(time.perf_counter() - t0, 3)}
        )
        return report

    def _chunks_of_missing_users(self, old_docs: dict[str, Any]) -> list[dict[str, Any]]:
        missing = {k for k, d in old_docs.items() if d["kind"] == "user" and not Path(d["source"]).is_file()}
        return [c for c in self._chunks() if c["doc_key"] in missing] if missing else []

    def _embed_chunks(self, vec: VectorIndex, chunks: list[Chunk]) -> None:
        vec.add(*embed_inputs(chunks, is_semantic(vec.embedder)))

    def _index_docs(
        self,
        vec: VectorIndex,
        todo: list[Document],
        hashes: dict[str, str],
        docs: dict[str, Any],
        chunks: dict[str, dict[str, Any]],
        dedupe_users: bool,
        questions: dict[str, dict[str, list[str]]] | None = None,
    ) -> dict[str, Any]:
        deduper = Deduper()
        todo_keys = {d.key for d in todo}
        if dedupe_users and any(d.kind == "user" for d in todo):
            for c in chunks.values():  # what is already indexed counts as seen
                if c["kind"] == "user" and c["doc_key"] not in todo_keys:
                    deduper.is_duplicate(c["text"])
        new_chunks: list[Chunk] = []
        dropped = 0
        for doc in todo:
            vec.delete_doc(doc.key)
            for cid in [i for i, c in chunks.items() if c["doc_key"] == doc.key]:
                del chunks[cid]
            kept = []
            for c in chunk_document(doc, (questions or {}).get(doc.key)):
                if doc.kind == "user" and deduper.is_duplicate(c.text):
                    dropped += 1
                    continue
                kept.append(c)
            new_chunks.extend(kept)
            docs[doc.key] = {
                "hash": hashes[doc.key],
                "source": doc.source,
                "kind": doc.kind,
                "title": doc.title,
                "language": doc.language,
                "doc_id": doc.doc_id,
                "chunks": len(kept),
            }
        # the sentence encoder (numpy, which lets go of the GIL) runs beside the BM25 tokenising (jieba, pure Python):
        # on two cores a build of our documents takes about the encoder's time instead of the sum of both. The hashing
        # embedder is pure Python (and uses jieba itself): it runs after, as before
        with ThreadPoolExecutor(max_workers=1) as pool:
            embedding = pool.submit(self._embed_chunks, vec, new_chunks) if is_semantic(vec.embedder) else None
            for c in new_chunks:
                chunks[c.id] = _stored(c)
            if embedding is None:
                self._embed_chunks(vec, new_chunks)
            else:
                embedding.result()
        return {
            "changed": len(todo),
            "documents": [d.key for d in todo],
            "embedded_chunks": len(new_chunks),
            "questions": sum(len(c.questions) for c in new_chunks),
            "duplicates_dropped": dropped,
        }

    def _write_bank(self, emb: Embedder) -> int:
        """The labelled questions' vectors (knowledge/asked.py), with the sentence encoder only: its vectors put a
        question near its paraphrases in either language; word-hashing vectors would only repeat BM25."""
        return self._write_questions(load_asked(self.asked_dir) if is_semantic(emb) else [], emb, self.bank_path)

    def _write_written(self, emb: Embedder) -> int:
        """Our written questions' vectors (knowledge/written/), a bank of their own, with the sentence encoder only."""
        return self._write_questions(load_written(self.written_dir) if is_semantic(emb) else [], emb, self.written_path)

    def _write_questions(self, rows: list[Any], emb: Embedder, path: Path) -> int:
        """A bank of questions' vectors with the section each answers at ``path``; none (and no file) without rows."""
        self.path.mkdir(parents=True, exist_ok=True)
        if not rows:
            path.unlink(missing_ok=True)
            return 0
        vecs = emb.embed([r.q for r in rows])
        Bank(vecs, [(r.doc, r.section) for r in rows], [r.source for r in rows]).write(path)
        return len(rows)

    def _save(self, docs: dict[str, Any], chunks: dict[str, dict[str, Any]], emb: Embedder) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        _write_json(self.chunks_path, {"format": FORMAT, "chunks": list(chunks.values())})
        _write_json(
            self.manifest_path,
            {"format": FORMAT, "pipeline": pipeline_signature(), "embedder": emb.signature(), "docs": docs},
        )
        self._state = None

    def add(self, paths: list[Path | str]) -> dict[str, Any]:
        """Ingest users' files or folders (Markdown, text, HTML, PDF, .docx); a file added again is re-indexed only if it changed."""
        t0 = time.perf_counter()
        files: list[Path] = []
        for p in map(Path, paths):
            # a folder means every supported file under it
            files.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES) if p.is_dir() else [p]
            )
        files = list(dict.fromkeys(f.resolve() for f in files))  # the same file named twice is one file
        if not files:
            raise InputError(
                "没有可添加的文件(支持 .md .txt .html .pdf .docx)。",
                "No files to add (supported: .md .txt .html .pdf .docx).",
            )
        docs_in = [read_document(p) for p in files]  # validate every file before writing anything
        if not self.manifest():
            self.build()
        with self._lock():
            man = self.manifest()
            docs = dict(man.get("docs", {}))
            chunks = {c["id"]: c for c in self._chunks()}
            hashes = {user_key(p): file_hash(p) for p in files}
            # a file already indexed with the same content is left alone
            todo = [d for d in docs_in if docs.get(d.key, {}).get("hash") != hashes[d.key]]
            vec = self.vector(embedder_from_signature(man["embedder"]) if man.get("embedder") else None)
            report = self._index_docs(vec, todo, hashes, docs, chunks, dedupe_users=True)
            report["unchanged"] = len(docs_in) - len(todo)
            if todo:
                self._save(docs, chunks, vec.embedder)
        report.update({"index": str(self.path), "seconds": round(time.perf_counter() - t0, 3)})
        report["files"] = [
            {
                "path": str(p),
                "title": d.title,
                "language": d.language,
                "sections": len(d.sections),
                "chunks": docs[d.key]["chunks"],
                "unchanged": d not in todo,
            }
            for p, d in zip(files, docs_in, strict=True)
        ]
        return report

    # -- reading --------------------------------------------------------------------------
    def _load(self) -> _State:
        mtime = self.chunks_path.stat().st_mtime_ns if self.chunks_path.exists() else -1
        if self._state is None or mtime != self._state_mtime:
            if self._needs_rebuild():
                self.build()
                mtime = self.chunks_path.stat().st_mtime_ns if self.chunks_path.exists() else -1
            if self._state is not None and self._own_vector:
                self._vector = None  # another process wrote the index: reopen the collection too
            self._state = _State(self._chunks())
            self._state.bank = Bank.read(self.bank_path)
            self._state.written = Bank.read(self.written_path)
            if self._state.written is not None:  # their words too (rules.yaml written_terms)
                self._state.written_rows = load_written(self.written_dir)
            self._state_mtime = mtime
            if self._vector is None:
                man = self.manifest()
                self.vector(embedder_from_signature(man["embedder"]) if man.get("embedder") else None)
        return self._state

    def _needs_rebuild(self) -> bool:
        """No index, one of an older format, or one whose embedder cannot run here (the sentence encoder's
        package gone): build before reading, rather than read what this code cannot search."""
        man = self.manifest()
        if not man or man.get("format") != FORMAT:
            return True
        if (man.get("embedder") or {}).get("name") == "assistant-use-m3":
            from knowledge import encoder

            return not encoder.available()
        return False

    @staticmethod
    def _bm25_ids(bm: BM25, state: _State, qw: dict[str, float], n: int, lang: str | None) -> list[str]:
        out: list[str] = []
        found = bm.search(qw, n * 3 if lang else n)
        # a chunk that matched only a stray common word is not evidence: cut far below the best match
        floor = found[0][1] * float(T.rules()["fusion"]["min_relative_score"]) if found else 0.0
        for idx, score in found:
            if score < floor:
                break
            c = state.chunks[idx]
            if lang is None or c["language"] == lang:
                out.append(c["id"])
                if len(out) >= n:
                    break
        return out

    @staticmethod
    def _asked_votes(
        ranked: list[tuple[str, float]], state: _State, qv: np.ndarray, hold_out: frozenset[str], lang: str = ""
    ) -> list[tuple[str, float]]:
        """Last stage: the question's nearest labelled questions vote (knowledge/asked.py, rules.yaml ``asked``).

        Of the sections the leading ``candidates`` chunks belong to, each gains ``share`` x the leading score x its
        share of the votes (each of the ``neighbours`` nearest questions, in either language, votes its cosine^power
        for its section; with ``sharpness`` every question votes, exp(sharpness x its cosine's distance to the
        nearest)), plus ``doc_share`` x the leading score x its document's share of the votes (neighbours that
        disagree on the section often agree on the document). So a question worded like questions people asked
        of a section finds it. Measured against the votes as one more ranker in the fusion: a ranker's first
        place counts the same whether its nearest questions agree or not; the share says how much they do
        (leave-one-set-out, knowledge/README.md). Only the leading sections gain: the votes choose among the
        sections the question is about. The settings are per question language (``asked_settings``).

        Then our written questions (knowledge/written/, ``asked.written``) vote the same way in a bank of their own,
        with their own share of the same leading score: leave-one-set-out this beat putting them among the labelled
        questions (where a third as many written as labelled questions flattened the votes; knowledge/README.md).
        ``hold_out`` naming ``written`` leaves them out."""
        cfg = asked_settings(lang)
        if not ranked:
            return ranked
        top, cand = ranked[0][1], int(cfg["candidates"])
        out = ranked
        bank = state.bank
        if bank is not None and float(cfg["share"]):
            votes = bank.vote(
                qv, int(cfg["neighbours"]), bank.mask(hold_out), float(cfg["power"]), float(cfg.get("sharpness", 0.0))
            )
            out = KnowledgeBase._vote_gain(
                out, state, votes, top, float(cfg["share"]), float(cfg.get("doc_share", 0)), cand
            )
        # then our written questions (knowledge/written/), a bank of their own with its own settings (``asked.written``):
        # voting beside the labelled questions, not among them, they neither outvote nor dilute them
        w = cfg.get("written") or {}
        wb = state.written
        if wb is not None and WRITTEN not in hold_out and float(w.get("share", 0)):
            votes = wb.vote(
                qv,
                int(w.get("neighbours", cfg["neighbours"])),
                None,
                float(w.get("power", cfg["power"])),
                float(w.get("sharpness", 0.0)),
            )
            out = KnowledgeBase._vote_gain(
                out, state, votes, top, float(w["share"]), float(w.get("doc_share", 0)), cand
            )
        return out

    @staticmethod
    def _vote_gain(
        ranked: list[tuple[str, float]],
        state: _State,
        votes: list[tuple[tuple[str, str], float]],
        top: float,
        share: float,
        dshare: float,
        candidates: int,
    ) -> list[tuple[str, float]]:
        """Each section of the leading ``candidates`` chunks gains ``share`` x ``top`` (the leading score before any
        votes) x its share of the votes, plus ``dshare`` x ``top`` x its document's share."""
        total = sum(v for _, v in votes)
        if total <= 0:
            return ranked
        unit = top / total
        gain = {sec: share * unit * v for sec, v in votes}
        per_doc: dict[str, float] = {}
        for (doc, _), v in votes:
            per_doc[doc] = per_doc.get(doc, 0.0) + dshare * unit * v
        lead = set()
        for cid, _ in ranked[:candidates]:
            c = state.chunks[state.by_id[cid]]
            if c["kind"] == "doc":
                lead.add((c["doc_id"], c["anchor"]))
        out = []
        for cid, sc in ranked:
            c = state.chunks[state.by_id[cid]]
            key = (c["doc_id"], c["anchor"])
            if c["kind"] == "doc" and key in lead:
                sc += gain.get(key, 0.0) + per_doc.get(c["doc_id"], 0.0)
            out.append((cid, sc))
        return sorted(out, key=lambda kv: (-kv[1], kv[0]))

    @staticmethod
    def _rerank_sections(
        state: _State, fused: list[tuple[str, float]], query: str, qw: dict[str, float], lang: str | None
    ) -> list[tuple[str, float]]:
        """Second stage: the leading documents first, then which of each one's sections the question means.

        For a section of a leading document whose best first-stage score is ``best``::

            factor x (fused_share x fused + (1 - fused_share) x best           its own and its document's evidence
                      + doc_weight x mean of the document's best few fused)     a document many sections match
            + best x (section_share x L + heading_share x H + intent_share x I)

        L: the section's within-document BM25 (relative to the document's best section), H: its heading's match
        on the question's subject words, I: 1 when the section is of the kind the question asks for (how,
        actions, example), factor: below 1 for a generic opening section (what, why) the question does not ask
        for (its first-stage score is earned by naming the subject; its own words still count). Within-document term weights make the document's own subject, named everywhere, count for little.
        Sections of other documents keep factor x fused."""
        cfg = T.rules()["rerank"]
        if not fused:
            return fused
        asked = asked_intents(query)
        table, of_anchor = cfg["intents"], _intent_of_anchor()

        def kind(c: dict[str, Any]) -> str | None:
            return of_anchor.get(c["anchor"]) if c["kind"] == "doc" else None

        def factor(c: dict[str, Any]) -> float:
            k = kind(c)
            return float(table[k]["factor"]) if k and k not in asked else 1.0

        fused_by_id = dict(fused)
        scores: dict[str, float] = {}
        by_doc: dict[str, list[float]] = {}
        for cid, sc in fused:
            c = state.chunks[state.by_id[cid]]
            scores[cid] = sc * factor(c)
            by_doc.setdefault(c["doc_key"], []).append(sc)
        gamma, dw, dn = float(cfg["fused_share"]), float(cfg["doc_weight"]), int(cfg["doc_sections"])
        share, hshare, ishare = (float(cfg[k]) for k in ("section_share", "heading_share", "intent_share"))
        lq, hq = _with_grams(query, qw), content_query(query, qw)
        doc_best: dict[str, float] = {}
        for cid, sc in fused:
            dk = state.chunks[state.by_id[cid]]["doc_key"]
            if dk not in doc_best:
                doc_best[dk] = sc
            if len(doc_best) >= int(cfg["documents"]):
                break
        for dk, best in doc_best.items():
            ids = state.members[dk]
            within = [0.0] * len(ids)
            subject = state.subject_terms(dk)
            for bm, w, q in (
                (state.local_bm25(dk), share, lq),
                (state.local_head_bm25(dk), hshare, {t: v for t, v in hq.items() if t not in subject}),
            ):
                found = bm.search(q, len(ids)) if w else []
                for j, sc in found:
                    within[j] += w * sc / found[0][1]
            support = dw * sum(sorted(by_doc[dk], reverse=True)[:dn]) / dn
            for j, i in enumerate(ids):
                c = state.chunks[i]
                if lang is not None and c["language"] != lang:
                    continue
                kinds = state.kinds.get(c["id"], frozenset())
                met = kinds & asked
                bonus = ishare * max(float(table[x].get("bonus", 1.0)) for x in met) if met else 0.0
                own = gamma * fused_by_id.get(c["id"], 0.0) + (1 - gamma) * best
                scores[c["id"]] = factor(c) * (own + support) + best * (within[j] + bonus)
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))

    @staticmethod
    def _vector_sims(
        vec: VectorIndex, qv: np.ndarray, n: int, lang: str | None, state: _State, views: int, pool: str | None = None
    ) -> dict[str, float]:
        """Chunk id → cosine of its closest vector, best first (``views`` vectors asked for per candidate).

        ``pool``: a language. The vectors of both language versions of a section then count for the version in that
        language (the encoder reads either language, and the two versions are one result): else a section's evidence
        is split between its twins and each ranks lower than the section deserves."""
        sims: dict[str, float] = {}
        for vid, sim in vec.query_vector(qv, n * views, language=None if pool else lang):  # best first
            cid = view_chunk(vid)
            if pool and cid in state.by_id and state.chunks[state.by_id[cid]]["language"] != pool:
                cid = state.twin.get(cid, cid)
            if lang is not None and cid in state.by_id and state.chunks[state.by_id[cid]]["language"] != lang:
                continue
            if cid in state.by_id and cid not in sims:
                sims[cid] = sim
        return sims

    @staticmethod
    def _semantic_adjust(
        ranked: list[tuple[str, float]], sims: dict[str, float], share: float
    ) -> list[tuple[str, float]]:
        """Last stage with the sentence encoder: a section loses ``share`` x the leading score x how far its
        closest vector is from the closest of the leading sections' (cosine), so of sections the words rank
        alike, the one meaning what was asked comes first. A section none of whose vectors came back counts
        as the farthest that did."""
        if not share or not ranked or not sims:
            return ranked
        far = min(sims.values())
        lead = ranked[0][1]
        near = max(sims.get(cid, far) for cid, _ in ranked[:20])
        out = [(cid, sc - share * lead * (near - sims.get(cid, far))) for cid, sc in ranked]
        return sorted(out, key=lambda kv: (-kv[1], kv[0]))

    @staticmethod
    def _property_agreement(
        ranked: list[tuple[str, float]], state: _State, query: str, share: float
    ) -> list[tuple[str, float]]:
        """Last stage: the properties the question describes against each section's (knowledge/facets.py).

        A section gains ``share`` x its own score x the agreement (-1 to 1) of its properties with the question's
        (卖得好但不怎么涨了: share high, growth low → the cash cows, not the stars). In proportion to its own score:
        the properties choose among the sections the question is about (which quadrant); they do not bring in
        another document's (*our biggest buyers* → cash cows). Last, because neither the encoder nor the words tell
        these sections apart: a term in an earlier stage was undone by the encoder's closeness."""
        props = F.properties_of(query) if share and ranked else {}
        if not props:
            return ranked
        out = [(cid, sc + share * F.agreement(props, state.props.get(cid, {})) * max(sc, 0.0)) for cid, sc in ranked]
        return sorted(out, key=lambda kv: (-kv[1], kv[0]))

    @staticmethod
    def _summary_penalty(
        ranked: list[tuple[str, float]], state: _State, tools: int, share: float
    ) -> list[tuple[str, float]]:
        """A section that names ``tools`` or more of our tools lists the subjects of other documents (the overview's
        aspects, a process's steps): it loses ``share`` x the leading score, so the document that explains a subject
        comes before the summary that names it."""
        if not share or not ranked:
            return ranked
        cut = share * ranked[0][1]
        out = [(cid, sc - cut if state.breadth.get(cid, 0) >= tools else sc) for cid, sc in ranked]
        return sorted(out, key=lambda kv: (-kv[1], kv[0]))

    def search(
        self, query: str, k: int = 5, lang: str | None = None, hold_out: frozenset[str] | None = None
    ) -> list[Hit]:
        """Hybrid search: vector and BM25 rankings fused by reciprocal rank, one hit per section.

        Glossary terms of the query add their translations and synonyms. Without ``lang`` both
        languages are searched and a section found in both is shown in the query's language.
        ``hold_out``: labelled questions' sources left out of the neighbour votes for this search (default the
        knowledge base's own): an evaluation set is measured with its own questions out of the bank.
        """
        query = (query or "").strip()
        if not query:
            raise InputError("查询为空:请输入要搜索的内容。", "The query is empty: type what to search for.")
        if lang not in (None, "zh", "en"):
            raise InputError(f"语言只能是 zh 或 en,收到 {lang!r}。", f"lang must be zh or en, got {lang!r}.")
        state = self._load()
        if not state.chunks:
            return []
        query = correct(query)  # 波士顿距阵 → 波士顿矩阵: a typo would miss every exact match
        cfg = T.rules()
        n = int(cfg["fusion"]["candidates"])
        extra = expand(query)
        qw: dict[str, float] = {}
        for t in T.tokens(query):
            qw[t] = qw.get(t, 0.0) + 1.0
        for t in concepts(query):
            qw[t] = float(cfg["bm25"]["concept_weight"])
        ew = float(cfg["bm25"]["expansion_weight"])
        for term in extra:
            for t in T.tokens(term):
                qw.setdefault(t, ew)
        vec = self.vector()
        semantic = is_semantic(vec.embedder)
        vcfg = cfg["semantic"] if semantic else cfg["fusion"]
        qv = vec.embedder.embed([query])[0]
        xw = float(vcfg["expansion_vector_weight"])
        if extra and xw:
            # translations and synonyms pull the vector toward the other language, so they count for less
            xv = vec.embedder.embed([" ".join(extra)])[0]
            qv = qv + xw * xv
            qv = qv / (float(np.linalg.norm(qv)) or 1.0)
        asked_in = detect_language(query)  # the question's own language: the fusion settings follow it
        pool = (lang or asked_in) if semantic and cfg["semantic"].get("pool_languages") else None
        per = int(cfg["semantic"]["views_per_candidate"]) if semantic else 1
        sims = self._vector_sims(vec, qv, n, lang, state, per, pool)
        vfloor = max(sims.values(), default=0.0) * float(vcfg["min_relative_score"])
        vec_ids = [i for i, sim in sims.items() if sim >= vfloor][:n]
        w = cfg["fusion"]["weights"]
        # an English question also finds a section by the words of our written questions (rules.yaml written_terms)
        bm_sec, bm_q = state.bm25, state.questions
        if asked_in in (cfg.get("written_terms") or {}).get("languages", []) and (ww := state.with_written()):
            bm_sec, bm_q = ww
        rankings = [
            vec_ids,
            self._bm25_ids(bm_sec, state, qw, n, lang),
            self._bm25_ids(state.head, state, qw, n, lang),
        ]
        vweight, rrf_k = fusion_settings(asked_in, semantic)
        weights = [vweight, float(w["bm25"]), float(w["heading"])]
        wq = float(w["questions"])
        if wq:  # BM25 over the sections' typical questions alone
            rankings.append(self._bm25_ids(bm_q, state, qw, n, lang))
            weights.append(wq)
        fused = rrf(rankings, k=rrf_k, weights=weights)
        if wq and state.no_questions:
            # a section without typical questions (users' documents) is scored as if its questions ranked it as
            # its other rankers do: else they would add to our sections only, and a user's page saying exactly
            # what was asked would sink below them. With no questions anywhere the order is as without them.
            up = sum(weights) / (sum(weights) - wq)
            fused = sorted(
                ((i, sc * up if i in state.no_questions else sc) for i, sc in fused), key=lambda kv: (-kv[1], kv[0])
            )
        fused = self._rerank_sections(state, fused, query, qw, lang)
        if semantic:
            fused = self._semantic_adjust(fused, sims, float(cfg["semantic"]["rerank_share"]))
            scfg = cfg["semantic"]
            fused = self._summary_penalty(fused, state, int(scfg["summary_tools"]), float(scfg["summary_penalty"]))
        fused = self._property_agreement(fused, state, query, float(cfg["rerank"]["property_share"]))
        if semantic and (state.bank is not None or state.written is not None):
            held = self.hold_out if hold_out is None else frozenset(hold_out)
            tw = float(asked_settings(asked_in).get("translated", 0.0))
            if tw and (zh := to_chinese(query)) != query.lower():
                # the neighbours of the question and of its glossary terms in Chinese, together (rules.yaml asked)
                both = qv + tw * vec.embedder.embed([zh])[0]
                qv = both / (float(np.linalg.norm(both)) or 1.0)
            fused = self._asked_votes(fused, state, qv, held, asked_in)
        qlang = lang or asked_in
        groups: dict[tuple[str, str, str], list[tuple[dict[str, Any], float]]] = {}
        for cid, score in fused:
            c = state.chunks[state.by_id[cid]]
            key = (c["kind"], c["doc_id"] if c["kind"] == "doc" else c["doc_key"], c["anchor"])
            groups.setdefault(key, []).append((c, score))
        ranked = sorted(groups.values(), key=lambda g: -max(s for _, s in g))[:k]
        hits = []
        for g in ranked:
            best = max(s for _, s in g)
            c = next((c for c, _ in g if c["language"] == qlang), g[0][0])
            hits.append(
                Hit(
                    doc_id=c["doc_id"],
                    title=c["title"],
                    anchor=c["anchor"],
                    heading=c["heading"],
                    language=c["language"],
                    snippet=snippet(c["text"], [*qw]),
                    source=c["source"],
                    score=round(best, 5),
                    kind=c["kind"],
                    position=c["position"],
                    chunk_id=c["id"],
                )
            )
        return hits


def _stored(c: Chunk) -> dict[str, Any]:
    """A chunk as chunks.json keeps it: its fields and its BM25 tokens (own, heading, typical questions)."""
    return {**c.model_dump(), "tokens": chunk_tokens(c), "head_tokens": head_tokens(c), "q_tokens": question_tokens(c)}


def snippet(text: str, terms: list[str], width: int = SNIPPET) -> str:
    """About ``width`` characters of ``text`` around the first query term it contains."""
    flat = re.sub(r"\s+", " ", text).strip()
    if len(flat) <= width:
        return flat
    low = flat.lower()
    pos = min((p for p in (low.find(t.lower()) for t in terms if len(t) >= 2) if p >= 0), default=0)
    start = max(0, min(pos - width // 4, len(flat) - width))
    out = flat[start : start + width]
    return ("…" if start else "") + out + ("…" if start + width < len(flat) else "")
