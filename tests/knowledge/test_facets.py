"""Facets read before ranking (knowledge/facets.py): what a question asks for and the properties it describes,
the sections' own facets (anchor, heading, front matter) and the last ranking stage that compares them."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.errors import InputError
from knowledge import text as T
from knowledge.embed import HashingEmbedder
from knowledge.facets import agreement, check_declared, declared, kinds_of, properties_of
from knowledge.index import KnowledgeBase
from knowledge.ourdocs import parse_doc, shipped_documents
from knowledge.vector import MemoryVectorIndex


@pytest.mark.parametrize(
    ("text", "props"),
    [
        ("卖得好但不怎么涨了", {"share": "high", "growth": "low"}),  # the negation covers 涨
        ("涨得飞快,可销售额还很小", {"growth": "high", "share": "low"}),
        ("这两年没涨、卖得也少", {"growth": "low", "share": "low"}),
        ("卖得比别的都多、还在高速增长", {"share": "high", "growth": "high"}),
        ("our biggest line has stopped growing", {"share": "high", "growth": "low"}),
        ("it is not growing fast and sells little", {"growth": "low", "share": "low"}),
        ("a fast-growing newcomer with small sales", {"growth": "high", "share": "low"}),
        ("growing fast, or is growth flat?", {}),  # described both ways: no reading
        ("怎么算 RFM", {}),
    ],
)
def test_properties_with_negation(text: str, props: dict[str, str]) -> None:
    assert properties_of(text) == props


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("亏损客户:为什么大客户也会亏钱", {"why"}),
        ("how can that happen", {"why"}),
        ("各因子如何换算成 0–1 分", {"scale"}),
        ("How the credit score is computed: factors and weights", {"how", "weights"}),
        ("what levers do we have", {"actions"}),
        ("解决率与处理时长", set()),  # 解决率 is a measure, not a remedy
    ],
)
def test_kinds(text: str, kinds: set[str]) -> None:
    assert kinds_of(text) == kinds


def test_agreement_counts_each_described_dimension() -> None:
    assert agreement({"growth": "low", "share": "high"}, {"growth": "low", "share": "high"}) == 1.0
    assert agreement({"growth": "low", "share": "high"}, {"growth": "high", "share": "low"}) == -1.0
    assert agreement({"growth": "low"}, {"growth": "low", "share": "low"}) == 1.0
    assert agreement({"growth": "low"}, {}) == 0.0 and agreement({}, {"growth": "low"}) == 0.0


def test_declared_and_checked() -> None:
    assert declared(["why", "growth low"]) == (frozenset({"why"}), {"growth": "low"})
    assert check_declared(["why", "growth low"], "x") == []
    assert len(check_declared(["reason", "growth sideways", "colour red"], "x")) == 3


def _doc(facets: str) -> str:
    return f"---\nid: p\ntitle: 产品\nlanguage: zh\n{facets}---\n# 产品\n\n## 明星 {{#star}}\n正文\n"


def test_front_matter_facets_reach_the_section() -> None:
    doc = parse_doc(_doc("facets: {star: [growth high, share high]}\n"), "p.md")
    assert doc.sections[0].facets == ["growth high", "share high"]


@pytest.mark.parametrize(
    "facets", ["facets: {dog: [growth low]}\n", "facets: {star: [growth sideways]}\n", "facets: [star]\n"]
)
def test_bad_front_matter_facets_are_refused(facets: str) -> None:
    with pytest.raises(InputError):
        parse_doc(_doc(facets), "p.md")


def test_shipped_language_versions_declare_the_same_facets() -> None:
    by: dict[tuple[str, str], dict[str, list[str]]] = {}
    for d in shipped_documents():
        by[(d.doc_id, d.language)] = {s.anchor: s.facets for s in d.sections}
    for (doc_id, lang), secs in by.items():
        if lang == "zh" and (doc_id, "en") in by:
            assert secs == by[(doc_id, "en")], doc_id


DOC = """---
id: grid
title: 产品四象限
language: zh
topics: [产品四象限]
facets: {star: [growth high, share high], cow: [growth low, share high], newbie: [growth high, share low]}
---
# 产品四象限

## 明星产品 {#star}
明星产品收入高于平均,推广预算优先给明星产品,继续投入推广。

## 金牛产品 {#cow}
金牛产品收入高于平均,推广预算维持即可,金牛产品的利润支持其他产品。

## 问题产品 {#newbie}
问题产品收入低于平均,推广预算要挑着给,设期限。

## 产品亏损的原因 {#loss}
为什么产品会亏钱:折扣太深,服务成本高,推广预算花得多。

## 产品亏损怎么处理 {#fix}
提价、减少折扣、控制推广预算,把亏损产品转向高毛利。
"""


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    (tmp_path / "docs" / "zh").mkdir(parents=True)
    (tmp_path / "docs" / "zh" / "grid.md").write_text(DOC, encoding="utf-8")
    emb = HashingEmbedder(dims=512)
    kb = KnowledgeBase(tmp_path / "index", embedder=emb, vector=MemoryVectorIndex(emb), docs_dir=tmp_path / "docs")
    kb.build()
    return kb


def test_sections_carry_kinds_from_heading_and_properties_from_front_matter(kb: KnowledgeBase) -> None:
    state = kb._load()
    by_anchor = {state.chunks[i]["anchor"]: c for c, i in state.by_id.items()}
    assert state.kinds[by_anchor["loss"]] == {"why"} and state.kinds[by_anchor["fix"]] == {"actions"}
    assert state.props[by_anchor["cow"]] == {"growth": "low", "share": "high"} and state.props[by_anchor["loss"]] == {}


def test_described_properties_choose_the_section(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    q = "卖得多但不怎么涨了的产品,推广预算还加吗"

    def margin() -> float:
        s = {h.anchor: h.score for h in kb.search(q, k=5)}
        return s["cow"] - s["star"]

    with_props = margin()
    assert with_props > 0  # the section with both properties before the one with one of them
    monkeypatch.setitem(T.rules()["rerank"], "property_share", 0.0)
    assert margin() < with_props


def test_facet_stage_leaves_a_question_without_facets_alone(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    q = "推广预算"
    before = [(h.anchor, h.score) for h in kb.search(q, k=5)]
    monkeypatch.setitem(T.rules()["rerank"], "property_share", 0.0)
    assert [(h.anchor, h.score) for h in kb.search(q, k=5)] == before


def test_cue_tables_hold_no_control_characters() -> None:
    # "\b" in a double-quoted YAML string is a backspace, not a word boundary: such a cue silently never matches
    rr = T.rules()["rerank"]
    cues = [c for p in rr["intents"].values() for c in (*p["zh"], *p["en"])]
    cues += [c for dim in rr["properties"].values() for lv in dim.values() for c in (*lv["zh"], *lv["en"])]
    assert [c for c in cues if any(ord(ch) < 32 for ch in c)] == []


@pytest.mark.parametrize(("query", "kind"), [("what's going on with churn", "why"), ("what's RFM", "what")])
def test_apostrophe_cues_match(query: str, kind: str) -> None:
    assert kind in kinds_of(query)
