"""The labelled-question bank (knowledge/asked.py): its provenance, its votes, and that an evaluated set is never in it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.core.errors import InputError
from knowledge import encoder
from knowledge.asked import ASKED_DIR, WRITTEN, Bank, load_asked, load_written
from knowledge.evaluate import load_queries
from knowledge.index import KnowledgeBase
from knowledge.ourdocs import parse_doc, shipped_docs

HERE = Path(__file__).parent
# the development sets the bank copies; the set kept unseen for the next measurement is not among them
DEV_SETS = [
    "eval",
    "eval_holdout",
    "eval_blind",
    "eval_fresh",
    "eval_fresh2",
    "eval_fresh3",
    "eval_fresh4",
    "eval_fresh5",
    "eval_fresh6",
    "eval_fresh7",  # after its one unseen measurement (knowledge/README.md)
    "eval_fresh8",  # likewise, since round 4
    "eval_fresh9",  # likewise, since round 5
]


def test_the_bank_is_a_copy_of_the_development_sets_only() -> None:
    rows = load_asked()
    assert sorted({r.source for r in rows}) == sorted(DEV_SETS)
    for name in DEV_SETS:
        copied = [(r.q, r.lang, r.doc, r.section) for r in rows if r.source == name]
        assert copied == [(q.q.strip(), q.lang, q.doc, q.section) for q in load_queries(HERE / name)], name
    # an unseen set must never be in the bank: its one measurement would read its own questions
    assert not any(p.stem == "eval_fresh10" for p in ASKED_DIR.glob("*"))


def test_every_label_is_a_section_in_both_languages() -> None:
    anchors = {
        (d.language, d.doc_id, s.anchor)
        for p in shipped_docs()
        for d in [parse_doc(p.read_text(encoding="utf-8"), str(p))]
        for s in d.sections
    }
    missing = [r for r in load_asked() if {(lang, r.doc, r.section) for lang in ("zh", "en")} - anchors]
    assert missing == []


def test_a_malformed_row_names_its_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("- {q: 怎么算, lang: zh, doc: rfm}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.yaml"):
        load_asked(tmp_path)


def _bank() -> Bank:
    vecs = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    return Bank(vecs, [("rfm", "how"), ("rfm", "what"), ("rfm", "how"), ("nps", "what")], ["a", "a", "b", "b"])


def test_votes_are_summed_cosines_of_the_nearest() -> None:
    q = np.array([0.6, 0.8, 0.0], dtype=np.float32)  # cosines 0.6, 0.96, 0.8, 0
    votes = dict(_bank().vote(q, k=3))
    assert votes == pytest.approx({("rfm", "what"): 0.96, ("rfm", "how"): 1.4})
    assert dict(_bank().vote(q, k=3, power=2.0)) == pytest.approx({("rfm", "what"): 0.9216, ("rfm", "how"): 1.0})


def test_sharp_votes_count_every_question_by_its_distance_to_the_nearest() -> None:
    q = np.array([0.6, 0.8, 0.0], dtype=np.float32)  # cosines 0.6, 0.96, 0.8, 0
    votes = dict(_bank().vote(q, k=1, sharpness=10.0))
    # the nearest votes 1, the others exp(10 x (their cosine - 0.96)); k no longer limits who votes
    assert votes == pytest.approx(
        {("rfm", "what"): 1.0, ("rfm", "how"): np.exp(-3.6) + np.exp(-1.6), ("nps", "what"): np.exp(-9.6)}
    )
    bank = _bank()
    held = dict(bank.vote(q, k=1, keep=bank.mask(frozenset({"a"})), sharpness=10.0))
    assert held == pytest.approx({("rfm", "how"): 1.0, ("nps", "what"): np.exp(-8.0)})


def test_a_held_out_source_never_votes() -> None:
    bank = _bank()
    q = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    assert dict(bank.vote(q, k=4, keep=bank.mask(frozenset({"a"})))) == pytest.approx(
        {("rfm", "how"): 0.8, ("nps", "what"): 0.0}
    )
    assert bank.vote(q, k=4, keep=bank.mask(frozenset({"a", "b"}))) == []
    assert bank.mask(frozenset()) is None


def test_bank_round_trips(tmp_path: Path) -> None:
    _bank().write(tmp_path / "asked.npz")
    back = Bank.read(tmp_path / "asked.npz")
    assert back is not None and back.labels == _bank().labels and list(back.sources) == ["a", "a", "b", "b"]
    assert Bank.read(tmp_path / "none.npz") is None


def test_no_bank_beside_other_documents_or_with_hashing_vectors(memory_kb: KnowledgeBase) -> None:
    memory_kb.build()
    assert not memory_kb.bank_path.exists()  # the test documents have no asked/ folder, and hashing vectors no bank


@pytest.mark.skipif(not encoder.available(), reason="the sentence encoder is not installed")
def test_the_index_stores_the_bank_and_a_held_out_set_cannot_find_itself(tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "index")
    assert kb.build()["asked"] == len(load_asked())
    state = kb._load()
    assert state.bank is not None and len(state.bank.labels) == len(load_asked())
    row = next(r for r in load_asked() if r.source == "eval_fresh6")
    qv = encoder.get_encoder().encode([row.q])[0]
    # in the bank its own question is its nearest neighbour (cosine 1); held out, that question no longer votes
    assert float(np.max(state.bank.vectors @ qv)) == pytest.approx(1.0, abs=1e-3)
    keep = state.bank.mask(frozenset({"eval_fresh6"}))
    assert keep is not None and float(np.max(np.where(keep, state.bank.vectors @ qv, -1))) < 0.999
    # every source held out, our written questions too: no votes, the order is the pipeline's without the banks
    everything = frozenset(DEV_SETS) | {WRITTEN}
    ranked = [("doc/zh/rfm#how:1", 1.0), ("doc/zh/rfm#what:1", 0.9)]
    assert KnowledgeBase._asked_votes(ranked, state, qv, everything) == ranked


@pytest.mark.skipif(not encoder.available(), reason="the sentence encoder is not installed")
def test_the_written_questions_are_a_bank_of_their_own(tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "index")
    report = kb.build()
    assert report["written"] == len(load_written()) and report["asked"] == len(load_asked())
    state = kb._load()
    assert state.written is not None and set(state.written.sources) == {WRITTEN}
    assert state.written.labels == [(r.doc, r.section) for r in load_written()]
    # the labelled bank held out entirely, a question worded like a written one still gets its section's votes
    row = next(r for r in load_written() if (r.doc, r.section) == ("pareto", "abc") and r.lang == "en")
    qv = encoder.get_encoder().encode([row.q])[0]
    # the pareto document's sections, its ABC section last of them (the votes choose among the leading sections)
    pareto = sorted((c for c in state.chunks if c["doc_id"] == "pareto"), key=lambda c: c["anchor"] == "abc")
    ranked = [(c["id"], 1.0 - 0.001 * i) for i, c in enumerate(pareto)]
    voted = KnowledgeBase._asked_votes(ranked, state, qv, frozenset(DEV_SETS))
    first = state.chunks[state.by_id[voted[0][0]]]
    assert (first["doc_id"], first["anchor"]) == ("pareto", "abc")
    assert KnowledgeBase._asked_votes(ranked, state, qv, frozenset(DEV_SETS) | {WRITTEN}) == ranked


@pytest.mark.skipif(not encoder.available(), reason="the sentence encoder is not installed")
def test_english_questions_also_read_the_written_questions_words(tmp_path: Path) -> None:
    from knowledge import text as T
    from knowledge.rule_table import rules

    # round 5 (knowledge/README.md): English questions only; Chinese ones lost with it
    assert rules()["written_terms"]["languages"] == ["en"]
    kb = KnowledgeBase(tmp_path / "index")
    kb.build()
    state = kb._load()
    both = state.with_written()
    assert both is not None
    row = next(
        r for r in load_written() if r.lang == "en" and (r.doc, r.section) == ("churn_retention", "warning-signs")
    )
    at = next(
        i
        for i, c in enumerate(state.chunks)
        if (c["doc_id"], c["anchor"], c["language"]) == (row.doc, row.section, "en") and c["kind"] == "doc"
    )
    words = {t: 1.0 for t in T.tokens(row.q)}
    # a written question's words find its section in the section and typical-question rankers built with them
    for bm in both:
        assert at in [i for i, _ in bm.search(words, 3)]


def test_settings_per_question_language() -> None:
    from knowledge.index import asked_settings

    # English overrides the shared settings (rules.yaml asked.languages); Chinese keeps them
    en, zh = asked_settings("en"), asked_settings("zh")
    assert zh["share"] == 0.5 and "sharpness" not in zh
    assert en["sharpness"] > 0 and en["neighbours"] == zh["neighbours"]
    # the written questions' bank has one setting for both languages (round 4)
    assert zh["written"] == en["written"] and zh["written"]["share"] > 0


def test_an_english_question_with_its_glossary_terms_in_chinese() -> None:
    from knowledge.glossary import Entry, to_chinese

    g = [Entry(zh=("流失",), en=("churn", "churn rate")), Entry(zh=("留存",), en=("retention",))]
    # the longest term wins where two overlap; plural and -ed tails belong to the term; other words stay
    assert to_chinese("How is Churn Rate related to retention?", g) == "how is 流失 related to 留存?"
    assert to_chinese("churned accounts", g) == "流失 accounts"
    assert to_chinese("客户流失怎么算", g) == "客户流失怎么算"
