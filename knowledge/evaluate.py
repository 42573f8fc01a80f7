"""Retrieval evaluation: top-1 / top-3 hit rates per language over tests/knowledge/eval/*.yaml.

A query counts as a hit at rank r when the hit's doc id and section anchor match the
expected ones (either language version of the document).
``python -m knowledge.evaluate [--index DIR] [--holdout | --blind]`` prints the figures and every miss
(``--holdout``: the held-out set; ``--blind``: the blind set; figures only, so they are not tuned on).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.models import Hit

EVAL_DIR = Path(__file__).resolve().parent.parent / "tests" / "knowledge" / "eval"
HOLDOUT_DIR = EVAL_DIR.parent / "eval_holdout"  # not for tuning: measured before and after a change
BLIND_DIR = EVAL_DIR.parent / "eval_blind"  # written without running the retriever; never tuned on either


@dataclass(frozen=True)
class EvalQuery:
    q: str
    lang: str
    doc: str
    section: str


def load_queries(folder: Path = EVAL_DIR) -> list[EvalQuery]:
    out: list[EvalQuery] = []
    for p in sorted(folder.glob("*.y*ml")):
        for item in yaml.safe_load(p.read_text(encoding="utf-8")) or []:
            out.append(EvalQuery(str(item["q"]), str(item["lang"]), str(item["doc"]), str(item["section"])))
    return out


def evaluate(search: Callable[[str], list[Hit]], queries: list[EvalQuery]) -> dict[str, object]:
    """Per-language counts and rates, and the misses (query, expected, what came first)."""
    stats: dict[str, dict[str, float]] = {}
    misses: list[dict[str, object]] = []
    for q in queries:
        hits = search(q.q)
        keys = [(h.doc_id, h.anchor) for h in hits]
        want = (q.doc, q.section)
        s = stats.setdefault(q.lang, {"n": 0, "top1": 0, "top3": 0})
        s["n"] += 1
        s["top1"] += keys[:1] == [want]
        s["top3"] += want in keys[:3]
        if keys[:1] != [want]:
            misses.append(
                {
                    "q": q.q,
                    "lang": q.lang,
                    "want": f"{q.doc}#{q.section}",
                    "got": [f"{d}#{a}" for d, a in keys[:3]],
                    "top3": want in keys[:3],
                }
            )
    for s in stats.values():
        s["top1_rate"] = round(s["top1"] / s["n"], 4) if s["n"] else 0.0
        s["top3_rate"] = round(s["top3"] / s["n"], 4) if s["n"] else 0.0
    return {"per_language": stats, "misses": misses}


def main(argv: list[str]) -> None:
    import tempfile

    from knowledge.index import KnowledgeBase

    index = Path(argv[argv.index("--index") + 1]) if "--index" in argv else Path(tempfile.mkdtemp()) / "index"
    kb = KnowledgeBase(index)
    kb.build()
    holdout = "--holdout" in argv or "--blind" in argv
    folder = BLIND_DIR if "--blind" in argv else HOLDOUT_DIR if holdout else EVAL_DIR
    # a set is never measured with its own questions in the neighbour bank (knowledge/asked/<set>.yaml)
    res = evaluate(lambda q: kb.search(q, k=3, hold_out=frozenset({folder.name})), load_queries(folder))
    for m in [] if holdout else res["misses"]:  # type: ignore[union-attr]
        print(("  top3 " if m["top3"] else "  MISS ") + f"[{m['lang']}] {m['q']}  want {m['want']}  got {m['got']}")  # noqa: T201
    for lang, s in res["per_language"].items():  # type: ignore[union-attr]
        print(f"{lang}: n={s['n']} top1={s['top1_rate']:.1%} top3={s['top3_rate']:.1%}")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1:])
