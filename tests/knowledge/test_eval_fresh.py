"""The fresh blind evaluation sets (issues 5 and 19): well formed, and retrieval on them does not fall below what was measured.

All were written from the documents alone, without running the retriever, and measured once unseen.
Since the labelled-question votes (knowledge/asked.py) every set is measured with its own questions out of the
neighbour bank (leave-one-set-out): a set in the bank would find its own questions and say nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from knowledge.evaluate import evaluate, load_queries
from knowledge.index import KnowledgeBase
from knowledge.ourdocs import parse_doc, shipped_docs

HERE = Path(__file__).parent


@dataclass(frozen=True)
class FreshSet:
    folder: str
    sizes: dict[str, int]  # queries per language
    floor: dict[str, dict[str, float]]  # one query under the measured figures


SETS = [
    # After the typical questions landed (2026-11-23): zh 0.800/0.950 (32 and 38 of 40), en 0.700/0.800 (14 and 16
    # of 20). Its misses were read afterwards, so it is no longer unseen; nothing was changed because of them.
    # With the sentence encoder (issue 19): zh 0.925/1.000 (37 and 40 of 40), en 0.650/0.850 (13 and 17 of 20);
    # English with its own fusion settings (rules.yaml semantic.languages): en 0.750/0.850 (15 and 17 of 20).
    FreshSet(
        "eval_fresh",
        {"zh": 40, "en": 20},
        # With the labelled-question votes, its own questions out of the bank: zh 1.00/1.00, en 0.85/0.90 (17, 18 of 20).
        # With eval_fresh7 in the bank: en 0.75/0.90 (15 and 18); with the English votes of round 3 (sharp, document
        # share, the glossary's Chinese form): en 0.85/0.90 (17 and 18) again. Round 5 (eval_fresh9 in the bank, the written
        # questions' words for English questions): en 0.80/0.95 (16 and 19).
        {"zh": {"top1_rate": 0.975, "top3_rate": 0.975}, "en": {"top1_rate": 0.80, "top3_rate": 0.90}},
    ),
    # Measured once, unseen, on 2026-11-23 (5 typical questions per section): zh 0.825/1.000 (33 and 40 of 40),
    # en 0.800/0.933 (24 and 28 of 30). Its misses were never read.
    # With the sentence encoder (issue 19): zh 0.950/1.000 (38 and 40), en 0.867/0.900 (26 and 27 of 30);
    # English with its own fusion settings: en 0.867/0.933 (26 and 28 of 30); with both language versions' vectors
    # pooled and the summary-section penalty: en 0.90/0.933 (27 and 28), zh unchanged.
    FreshSet(
        "eval_fresh2",
        {"zh": 40, "en": 30},
        # With the labelled-question votes, its own questions out of the bank: zh 1.00/1.00 (40 of 40), en 0.867/1.00
        # (26 and 30 of 30: one top-1 fewer, two top-3 more). Round 3's English votes: en 0.967/1.00 (29 and 30). Round 5
        # (the written questions' words for English questions): en 1.00/1.00 (30 and 30).
        {"zh": {"top1_rate": 0.975, "top3_rate": 0.975}, "en": {"top1_rate": 0.966, "top3_rate": 0.966}},
    ),
    # Written blind by someone who never saw the retriever; measured once, unseen, on 2026-12-06 with the sentence
    # encoder (issue 19): zh 0.88/0.96 (44 and 48 of 50), en 0.80/0.96 (40 and 48 of 50). The retriever before it
    # measured zh 0.76/0.92, en 0.72/0.90 on it. A development set since (the tuning round after issue 19): English
    # with its own fusion settings, en 0.92/0.98 (46 and 49 of 50), zh unchanged. Both language versions' vectors pooled
    # and the summary-section penalty: zh 0.86/0.98 (43 and 49; one top-1 fewer, one top-3 more), en unchanged.
    FreshSet(
        "eval_fresh3",
        {"zh": 50, "en": 50},
        # With the labelled-question votes, its own questions out of the bank: zh 0.90/1.00 (45 and 50), en 0.90/1.00
        # (45 and 50: one top-1 fewer, one top-3 more). With eval_fresh7 in the bank en 0.94/1.00 (47, 50); round 3's
        # English votes: en 0.90/1.00 (45 and 50), the floor unchanged. Round 4 (eval_fresh8 in the bank, our written
        # questions voting): zh 0.94/1.00 (47 and 50), en 0.92/1.00 (46 and 50). Round 5 (eval_fresh9 in the bank): zh
        # 0.96/1.00 (48 and 50); with the written questions' words for English questions en 0.94/1.00 (47 and 50).
        {"zh": {"top1_rate": 0.94, "top3_rate": 0.98}, "en": {"top1_rate": 0.92, "top3_rate": 0.98}},
    ),
    # Measured once, unseen, on 2026-12-06 after the tuning round that followed issue 19 (English fusion settings,
    # commit fc05e1f): zh 0.86/0.96 (43 and 48 of 50), en 0.86/0.94 (43 and 47 of 50). Its queries and misses
    # were not read. A development set in the next round (language pooling, summary penalty): en 0.88/0.96 (44 and 48).
    FreshSet(
        "eval_fresh4",
        {"zh": 50, "en": 50},
        # With the labelled-question votes, its own questions out of the bank: zh 0.88/0.96 (44 and 48), en 0.96/0.98
        # (48 and 49). Round 3's English votes: en 0.92/1.00 (46 and 50): the en top-1 floor lowered 47 -> 45 of 50
        # (one under 46), because the sharper English votes trade two of this set's first places (a factor's scale
        # against the actions, the ABC split against why it matters) for one top-3 here and, over the ten development
        # sets each left out in turn, English top-1/top-3 337/369 -> 342/375 of 380 (knowledge/README.md). Round 4: zh
        # 0.92/0.98 (46 and 49), en 0.92/1.00 (46 and 50).
        {"zh": {"top1_rate": 0.90, "top3_rate": 0.96}, "en": {"top1_rate": 0.90, "top3_rate": 0.98}},
    ),
    # Written by a helper who read only the documents (commit 9628fae); measured once, unseen, on 2026-12-06 when the
    # round after fresh4 was final (commit 2c536e6: the encoder's vectors pooled over both language versions, the
    # summary-section penalty): zh 0.76/0.96 (38 and 48 of 50), en 0.82/0.94 (41 and 47 of 50). Its queries and
    # misses were not read.
    FreshSet(
        "eval_fresh5",
        {"zh": 50, "en": 50},
        # With the labelled-question votes, its own questions out of the bank: zh 0.84/1.00 (42 and 50), en 0.86/1.00
        # (43 and 50). With eval_fresh7 in the bank zh 0.90/1.00 (45, 50); round 3's English votes en 0.88/1.00 (44, 50).
        # Round 5 (eval_fresh9 in the bank): zh 0.92/1.00 (46 and 50), en 0.92/1.00 (46 and 50).
        {"zh": {"top1_rate": 0.90, "top3_rate": 0.98}, "en": {"top1_rate": 0.90, "top3_rate": 0.98}},
    ),
    # Measured once, unseen, on 2026-12-06 when the facet round was final (commit bac949b: properties a question
    # describes against those a section's front matter declares, kinds from headings): zh 0.78/0.90 (39 and 45 of 50),
    # en 0.82/0.92 (41 and 46 of 50). The code before the round scores the same on it. Queries and misses not read.
    FreshSet(
        "eval_fresh6",
        {"zh": 50, "en": 50},
        # Read as a development set since (its misses too); with the labelled-question votes, its own questions out of the
        # bank: zh 0.88/0.90 (44 and 45), en 0.88/0.94 (44 and 47); round 3's English votes en 0.88/0.96 (44 and 48).
        # Round 4 (eval_fresh8 in the bank, our written questions voting): zh 0.94/0.94 (47 and 47), en 0.90/0.98 (45, 49).
        # Round 5 (eval_fresh9 in the bank): zh 0.92/0.94 (46 and 47: at the zh top-1 floor), en 0.92/0.98 (46 and 49);
        # with the written questions' words for English questions en 0.96/1.00 (48 and 50).
        {"zh": {"top1_rate": 0.92, "top3_rate": 0.92}, "en": {"top1_rate": 0.94, "top3_rate": 0.98}},
    ),
    # Measured once, unseen, on 2026-12-06 when the labelled-question round was final (commit 9173122: the nearest
    # labelled questions of the nine development sets vote for their sections; this set is not in the bank):
    # zh 0.92/0.96 (46 and 48 of 50), en 0.78/0.94 (39 and 47 of 50). The code before the round (32ba5f1) measured
    # zh 0.80/0.92 (40 and 46), en 0.70/0.94 (35 and 47) on it afterwards, figures only. Queries and misses not read.
    # A development set (and in the bank, knowledge/asked/eval_fresh7.yaml) since round 3, measured with its own
    # questions out: zh 0.92/0.96 as before, en 0.80/1.00 (40 and 50) with round 3's English votes. Round 4 (eval_fresh8
    # in the bank, our written questions voting): zh 0.96/0.98 (48 and 49), en 0.84/1.00 (42 and 50). Round 5 (eval_fresh9
    # in the bank, the written questions' words for English questions): zh as before, en 0.90/1.00 (45 and 50).
    FreshSet(
        "eval_fresh7",
        {"zh": 50, "en": 50},
        {"zh": {"top1_rate": 0.94, "top3_rate": 0.96}, "en": {"top1_rate": 0.88, "top3_rate": 0.98}},
    ),
    # Measured once, unseen, on 2026-12-06 when round 3 was final (commit ea950cf: eval_fresh7 in the bank, English
    # questions voting sharply, by document too, and with their glossary terms in Chinese): zh 0.82/0.96 (41 and 48
    # of 50), en 0.82/0.86 (41 and 43 of 50). The code before the round (46dab01) measured zh 0.82/0.96, en 0.78/0.84
    # (39 and 42) on it afterwards, figures only; so did this code with the English settings off (the bank alone).
    # A development set (and in the bank, knowledge/asked/eval_fresh8.yaml) since round 4, measured with its own
    # questions out: zh 0.82/0.96 (41 and 48), en 0.82/0.86 (41 and 43), as on its first run; with our written questions
    # voting (round 4): zh 0.88/0.98 (44 and 49), en 0.82/0.94 (41 and 47). Round 5 (eval_fresh9 in the bank): zh
    # 0.90/0.98 (45 and 49); with the written questions' words for English questions en 0.86/0.92 (43 and 46: two top-1
    # more, one top-3 fewer, at its top-3 floor).
    FreshSet(
        "eval_fresh8",
        {"zh": 50, "en": 50},
        {"zh": {"top1_rate": 0.88, "top3_rate": 0.96}, "en": {"top1_rate": 0.84, "top3_rate": 0.92}},
    ),
    # Written blind by a helper who read only the documents (commit 8f0134f); measured once, unseen, on 2026-12-06
    # when round 4 was final (commit 104bea1: eval_fresh8 in the bank, our written questions voting): zh 0.94/0.98
    # (47 and 49 of 50), en 0.90/0.96 (45 and 48 of 50). The code before the round (db8370f) measured zh 0.94/0.98,
    # en 0.88/0.96 on it afterwards, figures only. A development set (and in the bank, knowledge/asked/eval_fresh9.yaml)
    # since round 5, measured with its own questions out: zh 0.94/0.98 (47 and 49), en 0.90/0.96 (45 and 48), as on
    # its first run.
    FreshSet(
        "eval_fresh9",
        {"zh": 50, "en": 50},
        {"zh": {"top1_rate": 0.92, "top3_rate": 0.96}, "en": {"top1_rate": 0.88, "top3_rate": 0.94}},
    ),
    # Written blind by a helper who read only the documents; measured once, unseen, on 2026-12-06 when round 5 was
    # final (commit b5ca5c3): zh 0.94/1.00 (47 and 50 of 50), en 0.94/0.98 (47 and 49 of 50). Round 4's code (51fa7c3)
    # measured zh 0.94/0.98, en 0.96/1.00 on it afterwards, figures only. Not in the bank; queries and misses not read.
    FreshSet(
        "eval_fresh10",
        {"zh": 50, "en": 50},
        {"zh": {"top1_rate": 0.92, "top3_rate": 0.98}, "en": {"top1_rate": 0.92, "top3_rate": 0.96}},
    ),
]
IDS = [s.folder for s in SETS]


def _rows(s: FreshSet) -> list[dict[str, str]]:
    data = yaml.safe_load((HERE / s.folder / "queries.yaml").read_text(encoding="utf-8"))
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


@pytest.mark.parametrize("s", SETS, ids=IDS)
def test_fields_and_unique(s: FreshSet) -> None:
    queries, n = _rows(s), sum(s.sizes.values())
    assert len(queries) == n
    for row in queries:
        assert set(row) == {"q", "lang", "doc", "section"}, row
        assert all(isinstance(v, str) and v.strip() for v in row.values()), row
    assert len({row["q"].strip() for row in queries}) == n


@pytest.mark.parametrize("s", SETS, ids=IDS)
def test_language_split(s: FreshSet) -> None:
    assert Counter(row["lang"] for row in _rows(s)) == s.sizes


@pytest.mark.parametrize("s", SETS, ids=IDS)
def test_every_document_covered_twice(s: FreshSet, anchors: dict[tuple[str, str], set[str]]) -> None:
    per_doc = Counter(row["doc"] for row in _rows(s))
    shipped_ids = {doc_id for _, doc_id in anchors}
    assert len(shipped_ids) == 18
    # Every shipped document is a target at least twice, so a miss on one document cannot hide.
    assert {d: per_doc[d] for d in shipped_ids if per_doc[d] < 2} == {}
    assert set(per_doc) <= shipped_ids


@pytest.mark.parametrize("s", SETS, ids=IDS)
def test_targets_exist(s: FreshSet, anchors: dict[tuple[str, str], set[str]]) -> None:
    # The target is looked up in the document of the query's own language.
    missing = [row for row in _rows(s) if row["section"] not in anchors.get((row["lang"], row["doc"]), set())]
    assert missing == []


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    if not shipped_docs():
        pytest.skip("no documents yet")
    kb = KnowledgeBase(Path(tmp_path_factory.mktemp("eval_fresh")) / "index")
    kb.build()
    return kb


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("s", SETS, ids=IDS)
def test_fresh_retrieval_does_not_regress(kb: KnowledgeBase, s: FreshSet, lang: str) -> None:
    queries = [q for q in load_queries(HERE / s.folder) if q.lang == lang]
    res = evaluate(lambda q: kb.search(q, k=3, hold_out=frozenset({s.folder})), queries)
    r = res["per_language"][lang]  # type: ignore[index]
    print(f"{s.folder} retrieval eval {lang}: n={r['n']} top1={r['top1_rate']:.1%} top3={r['top3_rate']:.1%}")
    floor = s.floor[lang]
    assert r["top1_rate"] >= floor["top1_rate"] and r["top3_rate"] >= floor["top3_rate"], r
