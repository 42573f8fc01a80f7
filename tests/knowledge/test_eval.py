"""Retrieval quality over the real documents: every tests/knowledge/eval/*.yaml query, per language.

A query is a hit when the returned section's doc id and anchor match (either language version).
The issue's targets are top-3 >= 95% and top-1 >= 85% in both languages (met, asserted); the floor below
guards against regressions at the level measured now.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.evaluate import EVAL_DIR, HOLDOUT_DIR, evaluate, load_queries
from knowledge.index import KnowledgeBase
from knowledge.ourdocs import shipped_docs

TARGET = {"top1_rate": 0.85, "top3_rate": 0.95}
# measured 2026-11-23 after the section stage and typo correction: zh 0.765/0.929, en 0.822/0.978 (85 zh, 45 en);
# after the doc-then-section stage, the intent table, heading match and glossary part C: zh 0.800/0.918, en 0.844/0.978;
# after indexing each section's typical questions (knowledge/questions/): zh 0.859/0.965, en 0.933/1.000.
# with the sentence encoder (issue 19): zh 0.906/0.976 (77 and 83 of 85), en 0.911/1.000 (41 and 45 of 45).
# with both language versions' vectors pooled and the summary-section penalty (round after eval_fresh4): zh
# 0.941/0.988 (80 and 84 of 85), en 0.933/0.978 (42 and 44 of 45; top-3 44 since the English fusion settings).
# Floors: one query below each figure (zh 1/85, en 1/45); the targets below are met and asserted too.
# With the labelled-question votes (knowledge/asked.py), measured with this set's own questions out of the bank
# (leave-one-set-out, as every floor here is): zh 0.965/0.965 (82 and 82 of 85), en 0.933/0.978 (42 and 44 of 45).
# The zh top-3 floor is lowered from 83 to 81 of 85 (one under 82): two of this set's questions lose their section
# from the top three to sections the nearest labelled questions of other sets vote for (分析报告写完了后面怎么跟进,
# 大客户 KA 分几级), while over the nine development sets, each left out in turn, top-1 rises zh 387 -> 399, en
# 290 -> 298 of 430/330 and top-3 zh 419 -> 420, en 316 -> 322 (knowledge/README.md).
# Round 3's English votes (sharp, document share, the glossary's Chinese form): en 0.956/0.978 (43 and 44 of 45).
FLOOR = {"zh": {"top1_rate": 0.952, "top3_rate": 0.952}, "en": {"top1_rate": 0.933, "top3_rate": 0.97}}
# the held-out set (never tuned on) at writing, before the section stage: zh 0.84/1.00, en 0.867/1.00; after it: zh
# 0.88/1.00, en 0.933/0.933; after the doc-then-section stage and intent table: zh 1.00/1.00, en 0.867/0.933;
# after the typical questions: zh 0.96/1.00, en 0.80/1.00 (one top-1 fewer in each language, one top-3 more in en);
# with the sentence encoder (issue 19): zh 0.96/1.00, en 0.933/1.00; with the labelled-question votes, its own
# questions out of the bank: zh 0.96/1.00 (24 and 25 of 25), en 1.00/1.00 (15 of 15)
HOLDOUT_FLOOR = {"zh": {"top1_rate": 0.96, "top3_rate": 0.96}, "en": {"top1_rate": 0.933, "top3_rate": 0.933}}


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    if not shipped_docs():
        pytest.skip("no documents yet")
    kb = KnowledgeBase(Path(tmp_path_factory.mktemp("eval")) / "index")
    kb.build()
    return kb


@pytest.fixture(scope="module")
def results(kb: KnowledgeBase) -> dict[str, object]:
    queries = load_queries()
    if not queries:
        pytest.skip(f"no evaluation queries in {EVAL_DIR}")
    # never measured with its own questions in the neighbour bank (knowledge/asked/eval.yaml)
    res = evaluate(lambda q: kb.search(q, k=3, hold_out=frozenset({EVAL_DIR.name})), queries)
    for m in res["misses"]:  # type: ignore[union-attr]
        print(("top3 " if m["top3"] else "MISS ") + f"[{m['lang']}] {m['q']} want {m['want']} got {m['got']}")
    for lang, s in res["per_language"].items():  # type: ignore[union-attr]
        print(f"retrieval eval {lang}: n={s['n']} top1={s['top1_rate']:.1%} top3={s['top3_rate']:.1%}")
    return res


def test_evaluation_set_is_large_enough() -> None:
    queries = load_queries()
    if not queries:
        pytest.skip("no evaluation queries yet")
    by_lang = {lang: sum(q.lang == lang for q in queries) for lang in ("zh", "en")}
    assert by_lang["zh"] >= 40 and by_lang["en"] >= 20, by_lang
    docs = {p.stem for p in shipped_docs()}
    assert {q.doc for q in queries} <= docs, "every expected document exists"


def test_expected_sections_exist(results: dict[str, object]) -> None:
    from knowledge.ourdocs import parse_doc

    anchors = {
        (d.doc_id, s.anchor)
        for p in shipped_docs()
        for d in [parse_doc(p.read_text(encoding="utf-8"), str(p))]
        for s in d.sections
    }
    missing = [(q.doc, q.section) for q in load_queries() if (q.doc, q.section) not in anchors]
    assert not missing, missing


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_retrieval_does_not_regress(results: dict[str, object], lang: str) -> None:
    s = results["per_language"][lang]  # type: ignore[index]
    floor = FLOOR[lang]
    assert s["top1_rate"] >= floor["top1_rate"] and s["top3_rate"] >= floor["top3_rate"], s


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_holdout_does_not_regress(kb: KnowledgeBase, lang: str) -> None:
    queries = load_queries(HOLDOUT_DIR)
    assert sum(q.lang == "zh" for q in queries) == 25 and sum(q.lang == "en" for q in queries) == 15
    held = frozenset({HOLDOUT_DIR.name})  # its own questions out of the neighbour bank
    s = evaluate(lambda q: kb.search(q, k=3, hold_out=held), queries)["per_language"][lang]  # type: ignore[index]
    floor = HOLDOUT_FLOOR[lang]
    assert s["top1_rate"] >= floor["top1_rate"] and s["top3_rate"] >= floor["top3_rate"], s


# met since the typical questions: zh 85.9%/96.5%, en 93.3%/100% (top-1/top-3)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_retrieval_meets_issue_targets(results: dict[str, object], lang: str) -> None:
    s = results["per_language"][lang]  # type: ignore[index]
    assert s["top1_rate"] >= TARGET["top1_rate"] and s["top3_rate"] >= TARGET["top3_rate"], s
