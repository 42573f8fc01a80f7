"""Our written questions (knowledge/written/): every section has them in both languages, and none is a copy of a
labelled question from an evaluation set (knowledge/asked.py ``load_written``; knowledge/README.md, round 4)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant.core.errors import InputError
from knowledge import encoder
from knowledge.asked import WRITTEN, WRITTEN_DIR, load_asked, load_written
from knowledge.ourdocs import parse_doc, shipped_docs


def _sections() -> set[tuple[str, str]]:
    out = set()
    for p in shipped_docs():
        doc = parse_doc(p.read_text(encoding="utf-8"), str(p))
        out |= {(doc.doc_id, s.anchor) for s in doc.sections}
    return out


def test_every_section_has_three_written_questions_in_each_language() -> None:
    rows = load_written()
    assert {r.source for r in rows} == {WRITTEN}
    per = Counter((r.doc, r.section, r.lang) for r in rows)
    sections = _sections()
    assert {(r.doc, r.section) for r in rows} == sections  # every section, and no anchor that is not one
    assert [(d, a, lang) for d, a in sorted(sections) for lang in ("zh", "en") if per[(d, a, lang)] < 3] == []
    assert len({r.q for r in rows}) == len(rows)


def test_a_malformed_written_file_names_itself(tmp_path: Path) -> None:
    (tmp_path / "rfm.yaml").write_text("what: 怎么算\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"rfm\.yaml"):
        load_written(tmp_path)
    assert load_written(tmp_path / "none") == []


def test_the_written_files_say_where_they_come_from() -> None:
    for p in sorted(WRITTEN_DIR.glob("*.yaml")):
        head = p.read_text(encoding="utf-8").split("\n", 6)
        assert head[0].startswith(f"# Questions about {p.stem} ") and "not from any evaluation set" in "".join(head), p


@pytest.mark.skipif(not encoder.available(), reason="the sentence encoder is not installed")
def test_no_written_question_is_a_near_copy_of_a_labelled_one() -> None:
    # written from the documents; any within cosine 0.78 of a labelled question was rewritten, so the
    # leave-one-set-out figures do not read a set's own questions through the written bank
    enc = encoder.get_encoder()
    written = load_written()
    sims = enc.encode([r.q for r in written]) @ enc.encode([r.q for r in load_asked()]).T
    assert float(np.max(sims)) < 0.8
