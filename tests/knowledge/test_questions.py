"""Typical questions per section (knowledge/questions/): the loader, indexing them with their section without
ever showing them, incremental rebuild when a questions file changes, and the shipped files' consistency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.errors import InputError
from knowledge.index import KnowledgeBase
from knowledge.ourdocs import parse_doc, shipped_docs
from knowledge.questions import QUESTIONS_DIR, load_questions, questions_for, questions_path

# a word no fixture document uses: only the questions file can lead to the section
ODD_ZH = "蓝鲸口碑分"
ODD_EN = "bluewhale"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _nps_questions(docs_dir: Path, body: str) -> Path:
    return _write(docs_dir.parent / "questions" / "zh" / "nps.yaml", body)


# -- loader -----------------------------------------------------------------------------------


def test_missing_file_means_no_questions(tmp_path: Path) -> None:
    assert load_questions(tmp_path / "none.yaml", {"what"}) == {}
    assert questions_for("zh", "nope", "what", folder=tmp_path) == []


def test_loader_reads_anchors_and_strips_questions(tmp_path: Path) -> None:
    f = _write(tmp_path / "zh" / "nps.yaml", "nps:\n  - ' 净推荐值怎么算? '\n  - NPS 多少算好\ncsat: []\n")
    assert load_questions(f, {"nps", "csat"}) == {"nps": ["净推荐值怎么算?", "NPS 多少算好"], "csat": []}
    assert questions_for("zh", "nps", "nps", folder=tmp_path) == ["净推荐值怎么算?", "NPS 多少算好"]


@pytest.mark.parametrize(
    ("body", "anchor", "zh_part", "en_part"),
    [
        ("nps: [unclosed\n", None, "YAML 格式错误", "malformed YAML"),
        ("- just a list\n", None, "映射", "mapping"),
        ("pricing:\n  - 价格怎么定?\n", "pricing", "没有锚点 'pricing'", "no section anchor 'pricing'"),
        ("nps:\n  - 怎么算?\n  - 42\n", "nps", "第 2 个问题", "question 2 is not a non-empty string"),
        ("nps:\n  - {q: 怎么算}\n", "nps", "第 1 个问题", "question 1"),
        ("nps: 怎么算?\n", "nps", "列表", "must be a list"),
    ],
)
def test_loader_errors_name_the_file_and_anchor(
    tmp_path: Path, body: str, anchor: str | None, zh_part: str, en_part: str
) -> None:
    f = _write(tmp_path / "zh" / "nps.yaml", body)
    with pytest.raises(InputError) as ei:
        load_questions(f, {"nps", "csat"})
    err = ei.value
    assert str(f) in err.zh and str(f) in err.en
    assert zh_part in err.zh and en_part in err.en
    assert err.details["file"] == str(f) and err.details["anchor"] == anchor
    if anchor:
        assert f"#{anchor}" in err.zh and f"#{anchor}" in err.en


def test_build_refuses_a_questions_file_with_an_unknown_anchor(memory_kb: KnowledgeBase, docs_dir: Path) -> None:
    _nps_questions(docs_dir, "nope:\n  - 这是什么?\n")
    with pytest.raises(InputError, match="nope"):
        memory_kb.build()


# -- indexing -----------------------------------------------------------------------------------


def test_a_question_only_term_finds_the_section(memory_kb: KnowledgeBase, docs_dir: Path) -> None:
    memory_kb.build()
    assert all(h.anchor != "csat" for h in memory_kb.search(f"{ODD_ZH}是什么", k=1, lang="zh"))
    _nps_questions(docs_dir, f"csat:\n  - {ODD_ZH}是什么?\n  - {ODD_EN} score meaning\n")
    memory_kb.build()
    top = memory_kb.search(f"{ODD_ZH}是什么", k=1, lang="zh")[0]
    assert (top.doc_id, top.anchor) == ("nps", "csat")
    # the questions count in the vector text too: a vector search alone finds the section by them
    found = memory_kb.vector().query(f"{ODD_EN} {ODD_EN}", 1, language="zh")
    assert found[0][0] == "doc/zh/nps#csat:1"


def test_questions_never_appear_in_what_users_see(memory_kb: KnowledgeBase, docs_dir: Path) -> None:
    _nps_questions(docs_dir, f"csat:\n  - {ODD_ZH}是什么?\n  - {ODD_EN} score meaning\n")
    memory_kb.build()
    for q in (f"{ODD_ZH}是什么", ODD_EN, "CSAT", "满意度"):
        for h in memory_kb.search(q, k=5):
            shown = json.dumps(h.to_dict(), ensure_ascii=False)
            assert ODD_ZH not in shown and ODD_EN not in shown, shown
    csat = next(h for h in memory_kb.search(f"{ODD_ZH}是什么", k=3) if h.anchor == "csat")
    assert csat.snippet.startswith("CSAT 是")


def test_users_documents_have_no_questions(memory_kb: KnowledgeBase, tmp_path: Path) -> None:
    page = _write(tmp_path / "mine" / "notes.md", "# 我的笔记\n\n## 复购率\n复购率是再次购买的客户占比。\n")
    memory_kb.add([page])
    stored = json.loads((memory_kb.path / "chunks.json").read_text(encoding="utf-8"))["chunks"]
    users = [c for c in stored if c["kind"] == "user"]
    assert users and all(c["questions"] == [] and c["q_tokens"] == [] for c in users)
    assert memory_kb.search("复购率", k=1)[0].kind == "user"


# -- incremental rebuild ------------------------------------------------------------------------------


def test_changing_a_questions_file_reindexes_that_document_only(memory_kb: KnowledgeBase, docs_dir: Path) -> None:
    memory_kb.build()
    vec = memory_kb.vector()
    before = vec.embedded  # type: ignore[attr-defined]
    f = _nps_questions(docs_dir, f"csat:\n  - {ODD_ZH}是什么?\n")
    st = memory_kb.status()
    assert len(st["stale"]) == 1 and st["stale"][0].endswith("zh/nps.md")
    report = memory_kb.build()
    assert report["documents"] == ["doc/zh/nps"] and not report["full"]
    assert vec.embedded - before == 2  # type: ignore[attr-defined]
    assert memory_kb.search(f"{ODD_ZH}是什么", k=1, lang="zh")[0].anchor == "csat"

    assert memory_kb.build()["changed"] == 0  # nothing changed since
    f.write_text(f"nps:\n  - {ODD_ZH}是什么?\n", encoding="utf-8")  # the question moves to the other section
    assert memory_kb.build()["documents"] == ["doc/zh/nps"]
    assert memory_kb.search(f"{ODD_ZH}是什么", k=1, lang="zh")[0].anchor == "nps"

    f.unlink()  # and goes: the section is no longer found by it
    assert memory_kb.build()["documents"] == ["doc/zh/nps"]
    stored = json.loads((memory_kb.path / "chunks.json").read_text(encoding="utf-8"))["chunks"]
    assert all(c["questions"] == [] for c in stored)


# -- the shipped files ------------------------------------------------------------------------------


def test_every_shipped_questions_file_matches_its_document() -> None:
    files = sorted(QUESTIONS_DIR.glob("*/*.y*ml")) if QUESTIONS_DIR.is_dir() else []
    if not files:
        pytest.skip("no questions files yet")
    docs = {(p.parent.name, p.stem): p for p in shipped_docs()}
    for f in files:
        assert f.suffix == ".yaml", f"{f}: questions files end in .yaml"
        doc = docs.get((f.parent.name, f.stem))
        assert doc is not None, f"{f}: no document knowledge/docs/{f.parent.name}/{f.stem}.md"
        assert questions_path(doc) == f
        parsed = parse_doc(doc.read_text(encoding="utf-8"), str(doc))
        found = load_questions(f, [s.anchor for s in parsed.sections])  # raises on an unknown anchor
        assert found, f"{f}: no questions"


def test_users_pages_are_not_outranked_for_lack_of_questions(memory_kb: KnowledgeBase, docs_dir: Path) -> None:
    # our section has questions sharing a word with the query; the user's page says what is asked
    _nps_questions(docs_dir, "nps:\n  - 战略客户每月的净推荐值怎么算?\n  - 拜访客户前要看净推荐值吗?\n")
    page = _write(docs_dir.parent / "mine" / "visits.md", "# 拜访制度\n\n## 拜访频率\n战略客户由总监每月拜访一次。\n")
    memory_kb.add([page])
    top = memory_kb.search("战略客户每月拜访", k=2)
    assert top[0].kind == "user", [(h.doc_id, h.anchor) for h in top]


def test_without_any_questions_the_ranking_is_as_before(
    memory_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge import text as T

    memory_kb.build()
    queries = ["净推荐值怎么算", "how is the churn rate computed", "churn 流失", "满意度"]
    with_ranker = [[(h.doc_id, h.anchor) for h in memory_kb.search(q, k=5)] for q in queries]
    monkeypatch.setitem(T.rules()["fusion"]["weights"], "questions", 0.0)
    without = [[(h.doc_id, h.anchor) for h in memory_kb.search(q, k=5)] for q in queries]
    assert with_ranker == without
