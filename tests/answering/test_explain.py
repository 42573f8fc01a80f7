"""Explanations show the whole section when it fits a chat reply, and are never cut mid-sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.agent import Assistant
from assistant.answering.conversation import Context
from assistant.answering.execute import EXPLAIN_CHARS, section_text
from knowledge.models import Hit
from knowledge.ourdocs import shipped_documents


@pytest.fixture(scope="module")
def bot(sample_db: Path, knowledge_index: Path) -> Assistant:
    b = Assistant(sample_db, index=knowledge_index, use_llm=False)
    yield b
    b.close()


def test_the_eight_rfm_classes_are_all_named(bot: Assistant) -> None:
    ans = bot.ask("RFM的八类客户分别是什么", Context())
    for name in ("重要价值", "重要发展", "重要保持", "重要挽留", "一般价值", "一般发展", "一般保持", "一般挽留"):
        assert name in ans.answer


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_shipped_section_is_shown_whole_or_cut_at_a_sentence_end(lang: str) -> None:
    for doc in (d for d in shipped_documents() if d.language == lang):
        for s in doc.sections:
            hit = Hit(doc_id=doc.doc_id, title=doc.title, anchor=s.anchor, heading=s.heading, language=lang,
                      snippet="", source=doc.source, score=1.0)  # fmt: skip
            text = section_text(hit)
            if len(s.text.strip()) <= EXPLAIN_CHARS[lang]:
                assert text == s.text.strip()
            else:
                body, _, _ = text.rpartition("\n\n")
                assert s.text.startswith(body) and body.rstrip()[-1] in "。!?!?;;.|", (doc.doc_id, s.anchor, body[-30:])


def test_a_long_passage_is_cut_at_a_sentence_end() -> None:
    sentence = "客户流失率是期初客户中期间内没有再购买的比例。"
    long = sentence * 60  # ~1,400 characters, over the Chinese limit, no paragraph breaks
    hit = Hit(doc_id="x", title="t", anchor="a", heading="h", language="zh", snippet=long, source="s", score=1.0,
              kind="user")  # fmt: skip
    body, _, more = section_text(hit).rpartition("\n\n")
    assert more == "(全文见出处)" and body.endswith("。") and len(body) <= EXPLAIN_CHARS["zh"]
    assert long.startswith(body) and len(body) % len(sentence) == 0
