from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.errors import InputError
from knowledge.embed import HashingEmbedder
from knowledge.index import KnowledgeBase


def test_build_then_search_returns_cited_sections(memory_kb: KnowledgeBase) -> None:
    report = memory_kb.build()
    assert report["changed"] == 3 and report["embedded_chunks"] == 6
    hits = memory_kb.search("净推荐值怎么算", k=3)
    top = hits[0]
    assert (top.doc_id, top.anchor, top.heading, top.language) == ("nps", "nps", "净推荐值怎么算", "zh")
    assert top.source.endswith("docs/zh/nps.md") and "推荐者" in top.snippet and top.score > 0
    assert top.citation() == f"《净推荐值与满意度》§净推荐值怎么算 ({top.source}#nps)"
    en = memory_kb.search("how is the churn rate computed", k=2)
    assert (en[0].doc_id, en[0].anchor, en[0].language) == ("retention", "what", "en")
    assert en[0].citation().startswith("“Customer retention and churn” §What churn is (")
    # one hit per section: the zh and en versions of a section are not listed twice
    keys = [(h.doc_id, h.anchor) for h in memory_kb.search("churn 流失", k=5)]
    assert len(keys) == len(set(keys))


def test_lang_filter(memory_kb: KnowledgeBase) -> None:
    memory_kb.build()
    assert {h.language for h in memory_kb.search("churn 流失", k=5, lang="zh")} == {"zh"}
    assert {h.language for h in memory_kb.search("churn 流失", k=5, lang="en")} == {"en"}
    with pytest.raises(InputError):
        memory_kb.search("churn", lang="fr")
    with pytest.raises(InputError):
        memory_kb.search("   ")


def test_nothing_changed_means_nothing_embedded(memory_kb: KnowledgeBase) -> None:
    memory_kb.build()
    vec = memory_kb.vector()
    before = vec.embedded  # type: ignore[attr-defined]
    report = memory_kb.build()
    assert report["changed"] == 0 and vec.embedded == before  # type: ignore[attr-defined]
    assert memory_kb.status()["stale"] == []


def test_one_changed_document_is_the_only_one_reembedded(memory_kb: KnowledgeBase, docs_dir: Path) -> None:
    memory_kb.build()
    vec = memory_kb.vector()
    before = vec.embedded  # type: ignore[attr-defined]
    p = docs_dir / "zh" / "nps.md"
    p.write_text(p.read_text(encoding="utf-8").replace("CSAT 是", "客户满意度 CSAT 是"), encoding="utf-8")
    st = memory_kb.status()
    assert len(st["stale"]) == 1 and st["stale"][0].endswith("zh/nps.md")
    report = memory_kb.build()
    assert report["documents"] == ["doc/zh/nps"]
    assert vec.embedded - before == 2  # the two chunks of that one document  # type: ignore[attr-defined]
    assert vec.count() == 6
    assert "客户满意度 CSAT" in memory_kb.search("CSAT", k=1, lang="zh")[0].snippet


def test_removed_and_added_documents(memory_kb: KnowledgeBase, docs_dir: Path) -> None:
    memory_kb.build()
    (docs_dir / "en" / "retention.md").unlink()
    (docs_dir / "en" / "nps.md").write_text(
        "---\nid: nps\ntitle: NPS\nlanguage: en\n---\n# NPS\n\n## Computing NPS {#nps}\nPromoters minus detractors.\n",
        encoding="utf-8",
    )
    report = memory_kb.build()
    assert report["removed"] == ["doc/en/retention"] and report["documents"] == ["doc/en/nps"]
    st = memory_kb.status()
    assert st["documents"] == 3 and st["chunks"] == 5 and st["languages"] == {"zh": 2, "en": 1}
    assert all(h.language == "zh" for h in memory_kb.search("流失", k=5) if h.doc_id == "retention")


def test_chroma_index_persists_and_reopens(tmp_path: Path, docs_dir: Path) -> None:
    emb = HashingEmbedder(dims=256)
    kb = KnowledgeBase(tmp_path / "idx", embedder=emb, docs_dir=docs_dir)
    kb.build()
    first = [(h.doc_id, h.anchor) for h in kb.search("流失率", k=2)]
    assert first[0] == ("retention", "what")
    assert (tmp_path / "idx" / "chroma").is_dir() and (tmp_path / "idx" / "manifest.json").is_file()
    # a new process-like opening: no embedder given, it comes back from the manifest / Chroma config
    again = KnowledgeBase(tmp_path / "idx", embedder=emb, docs_dir=docs_dir)
    assert again.build()["changed"] == 0
    assert [(h.doc_id, h.anchor) for h in again.search("流失率", k=2)] == first
    import chromadb
    from chromadb.config import Settings

    import knowledge.chroma_index  # noqa: F401  (registers the embedding function)

    client = chromadb.PersistentClient(
        path=str(tmp_path / "idx" / "chroma"), settings=Settings(anonymized_telemetry=False)
    )
    col = client.get_collection("knowledge")  # reopens with our registered embedding function, no download
    assert col.count() == 6
    res = col.query(query_texts=["流失率"], n_results=1)
    assert res["metadatas"][0][0]["doc_key"] == "doc/zh/retention"


def test_embedder_change_rebuilds_everything(tmp_path: Path, docs_dir: Path) -> None:
    kb = KnowledgeBase(tmp_path / "idx", embedder=HashingEmbedder(dims=256), docs_dir=docs_dir)
    kb.build()
    kb2 = KnowledgeBase(tmp_path / "idx", embedder=HashingEmbedder(dims=512), docs_dir=docs_dir)
    assert kb2.status()["rebuild_needed"] is True
    report = kb2.build()
    assert report["full"] and report["embedded_chunks"] == 6
    assert kb2.search("NPS", k=1)[0].doc_id == "nps"
    assert json.loads((tmp_path / "idx" / "manifest.json").read_text())["embedder"]["dims"] == 512
