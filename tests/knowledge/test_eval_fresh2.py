"""The second fresh blind evaluation set (issue 5) is well formed. Structure only: no retrieval is run here."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from knowledge.ourdocs import parse_doc, shipped_docs

QUERIES = Path(__file__).parent / "eval_fresh2" / "queries.yaml"


@pytest.fixture(scope="module")
def queries() -> list[dict[str, str]]:
    data = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def anchors() -> dict[tuple[str, str], set[str]]:
    """(language, doc id) -> anchors of its sections, from the shipped documents."""
    out: dict[tuple[str, str], set[str]] = {}
    for path in shipped_docs():
        doc = parse_doc(path.read_text(encoding="utf-8"), str(path))
        out[(doc.language, doc.doc_id)] = {s.anchor for s in doc.sections}
    return out


def test_fields_and_unique(queries: list[dict[str, str]]) -> None:
    assert len(queries) == 70
    for row in queries:
        assert set(row) == {"q", "lang", "doc", "section"}, row
        assert all(isinstance(v, str) and v.strip() for v in row.values()), row
    assert len({row["q"].strip() for row in queries}) == 70


def test_language_split(queries: list[dict[str, str]]) -> None:
    assert Counter(row["lang"] for row in queries) == {"zh": 40, "en": 30}


def test_every_document_covered_twice(queries: list[dict[str, str]], anchors: dict[tuple[str, str], set[str]]) -> None:
    per_doc = Counter(row["doc"] for row in queries)
    shipped_ids = {doc_id for _, doc_id in anchors}
    assert len(shipped_ids) == 18
    # Every shipped document is a target at least twice, so a miss on one document cannot hide.
    assert {d: per_doc[d] for d in shipped_ids if per_doc[d] < 2} == {}
    assert set(per_doc) <= shipped_ids


def test_targets_exist(queries: list[dict[str, str]], anchors: dict[tuple[str, str], set[str]]) -> None:
    # The target is looked up in the document of the query's own language.
    missing = [row for row in queries if row["section"] not in anchors.get((row["lang"], row["doc"]), set())]
    assert missing == []
