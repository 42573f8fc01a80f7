from __future__ import annotations

import pytest

from assistant.core.errors import InputError
from knowledge.ourdocs import parse_doc, shipped_docs

from .conftest import FIXTURES


def test_front_matter_and_sections_by_anchor() -> None:
    path = FIXTURES / "docs" / "zh" / "retention.md"
    doc = parse_doc(path.read_text(encoding="utf-8"), "knowledge/docs/zh/retention.md")
    assert (doc.key, doc.doc_id, doc.title, doc.language) == ("doc/zh/retention", "retention", "客户留存与流失", "zh")
    assert doc.topics == ["流失", "留存"] and doc.tools == ["churn"]
    assert [(s.anchor, s.heading) for s in doc.sections] == [("what", "什么是流失"), ("actions", "如何挽回")]
    # a "## …" inside a fenced code block stays text
    assert "这不是标题" in doc.sections[1].text
    # the title line is not body text; the section line points at the heading in the file (0-based)
    assert "# 客户留存与流失" not in doc.sections[0].text
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[doc.sections[0].line].startswith("## 什么是流失")


def test_missing_anchor_gets_a_slug_and_intro_text_is_kept() -> None:
    doc = parse_doc("# Title\n\nIntro words.\n\n## How it works\nbody\n", "x/en/t.md")
    assert [(s.anchor, s.heading) for s in doc.sections] == [("", "Title"), ("how-it-works", "How it works")]


def test_document_without_title_is_refused() -> None:
    with pytest.raises(InputError) as exc:
        parse_doc("## a {#a}\ntext\n", "x/zh/none.md")
    assert "title" in exc.value.en and "标题" in exc.value.zh


def test_zh_and_en_shipped_docs_share_ids_and_anchors() -> None:
    docs = [parse_doc(p.read_text(encoding="utf-8"), str(p)) for p in shipped_docs()]
    if not docs:
        pytest.skip("no shipped documents yet")
    by_lang: dict[str, dict[str, set[str]]] = {}
    for d in docs:
        assert d.language in ("zh", "en"), d.source
        assert all(s.anchor for s in d.sections if s.heading != d.title), d.source
        by_lang.setdefault(d.language, {})[d.doc_id] = {s.anchor for s in d.sections if s.anchor}
    for doc_id in set(by_lang.get("zh", {})) & set(by_lang.get("en", {})):
        assert by_lang["zh"][doc_id] == by_lang["en"][doc_id], doc_id
