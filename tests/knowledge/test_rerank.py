"""The second ranking stage: within-document section and heading scores, the question-intent table, the generic
what/why damping and the document support."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import text as T
from knowledge.embed import HashingEmbedder
from knowledge.index import KnowledgeBase, asked_intents, asks, char_grams, content_query
from knowledge.vector import MemoryVectorIndex

DOC = """---
id: tiers
title: 大客户分级
language: zh
topics: [大客户]
---
# 大客户分级

## 什么是大客户分级 {#what}
大客户是收入贡献最大的一批客户,大客户值得单独管理、单独服务,大客户的得失决定全年业绩。

## 三级怎么划分 {#how}
按收入排名:前 5% 为战略,其后 15% 为重点,其余为普通。

## 过度依赖的风险 {#risk}
一家占收入三成以上时,它一走业绩就塌,要分散风险。

## 战略客户怎么服务 {#strategic}
战略客户配专属团队,大客户经理每月拜访,大客户的问题当天响应。

## 如何落实分级 {#actions}
每季度按收入重新分级,大客户名单交给销售,大客户的服务标准写进制度。
"""


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    (tmp_path / "docs" / "zh").mkdir(parents=True)
    (tmp_path / "docs" / "zh" / "tiers.md").write_text(DOC, encoding="utf-8")
    emb = HashingEmbedder(dims=512)
    kb = KnowledgeBase(tmp_path / "index", embedder=emb, vector=MemoryVectorIndex(emb), docs_dir=tmp_path / "docs")
    kb.build()
    return kb


@pytest.mark.parametrize(
    ("query", "anchor", "expected"),
    [
        ("什么是大客户分级", "what", True),
        ("RFM 是啥意思", "what", True),
        ("what is churn", "what", True),
        ("what does CES stand for", "what", True),
        ("为啥要分级", "why", True),
        ("why bother with NPS", "why", True),
        ("大客户怎么分级", "what", False),
        ("大客户怎么分级", "why", False),
        ("what do we do with lost customers", "what", False),
        ("how is churn computed", "why", False),
    ],
)
def test_asks_what_or_why(query: str, anchor: str, expected: bool) -> None:
    assert asks(query, anchor) is expected


def test_char_grams_match_across_word_cuts() -> None:
    # 分几级 and 三级怎么划分 share no jieba word but share the character 级
    assert "¹级" in char_grams("分几级") and "¹级" in char_grams("三级怎么划分")
    assert "¹的" not in char_grams("我的客户")  # stopword characters are left out


def test_specific_section_beats_generic_opening(kb: KnowledgeBase) -> None:
    # every section names 大客户; the specific words point at one section
    assert kb.search("大客户三级怎么划分", k=3)[0].anchor == "how"
    assert kb.search("大客户依赖的风险", k=3)[0].anchor == "risk"


def test_generic_opening_damped_unless_asked(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    def what_score(q: str) -> float:
        return next(h.score for h in kb.search(q, k=3) if h.anchor == "what")

    damped = what_score("大客户")
    monkeypatch.setitem(T.rules()["rerank"]["intents"]["what"], "factor", 1.0)
    assert what_score("大客户") > damped  # the damping is what lowered it
    monkeypatch.undo()
    assert kb.search("什么是大客户", k=3)[0].anchor == "what"  # asked for: not damped


@pytest.mark.parametrize(
    ("query", "intents"),
    [
        ("流失率怎么算", {"how"}),
        ("how is the churn rate computed", {"how"}),
        ("大客户三级怎么划分", {"how"}),
        ("客户投诉多了怎么办", {"actions"}),
        ("what should we do with dormant accounts", {"actions"}),
        ("给我举个例子", {"example"}),
        ("walk me through a worked example", {"example"}),
        ("what is RFM", {"what"}),
        ("大客户", set()),
    ],
)
def test_question_intents(query: str, intents: set[str]) -> None:
    assert asked_intents(query) == intents


def test_content_query_leaves_question_words_to_the_intents() -> None:
    q = content_query("what do we do with the lost ones", {"what": 1.0, "lost": 1.0, "one": 1.0})
    assert "what" not in q and q["lost"] == 1.0
    zh = content_query("战略客户怎么服务", {"战略客户": 1.0, "怎么": 1.0, "服务": 1.0})
    assert "怎么" not in zh and "¹怎" not in zh and "²战略" in zh


def test_heading_names_the_section(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    # 战略客户 appears in several sections' text; the heading that names it wins, even asked "what to do"
    def margin() -> float:
        hits = kb.search("战略客户该怎么对待", k=3)
        assert hits[0].anchor == "strategic"
        return hits[0].score - hits[1].score

    with_heading = margin()
    monkeypatch.setitem(T.rules()["rerank"], "heading_share", 0.0)
    assert margin() < with_heading  # the heading match is part of the lead


def test_subject_words_are_the_documents_not_a_sections(kb: KnowledgeBase) -> None:
    state = kb._load()
    subject = state.subject_terms("doc/zh/tiers")
    assert "大客户分级" in subject or "分级" in subject  # the title's words, used by the generic sections' headings


def test_asked_intent_lifts_the_generic_section(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    def actions_score(q: str) -> float:
        return next(h.score for h in kb.search(q, k=5) if h.anchor == "actions")

    with_bonus = actions_score("大客户分级怎么落实")
    monkeypatch.setitem(T.rules()["rerank"], "intent_share", 0.0)
    assert actions_score("大客户分级怎么落实") < with_bonus
