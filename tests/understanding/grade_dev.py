"""Grade the development sets side by side: ``python -m tests.understanding.grade_dev [--jobs 2] [--out DIR]``.

Runs blind_a … blind_j (the sets that have had their one unseen run; never blind_k or later, which stay unseen)
in parallel processes and prints one line per set (all / zh / en) and the misses by shape; with ``--out`` each
set's misses are written as JSON there, to compare before and after a change.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from tests.understanding.grade import run_set, summary

HERE = Path(__file__).parent
DEV_SETS = tuple(f"blind_{c}.yaml" for c in "abcdefghij")  # read and tuned on; the later sets stay unseen


def _one(name: str, db: Path, index: Path | None) -> dict[str, Any]:
    outcomes = run_set(HERE / name, db, index)
    report = summary(outcomes)
    report["misses"] = [
        {"id": o.question.id, "q": o.question.q, "shape": o.question.shape, "why": o.failed}
        for o in outcomes
        if not o.ok
    ]
    return report


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="*", default=list(DEV_SETS))
    ap.add_argument("--db", type=Path, default=Path("data/warehouse.duckdb"))
    ap.add_argument("--index", type=Path, default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    names = [n if n.endswith(".yaml") else f"blind_{n}.yaml" for n in a.sets]
    if unseen := [n for n in names if n not in DEV_SETS]:
        sys.exit(f"not a development set: {unseen}")
    with ProcessPoolExecutor(a.jobs) as pool:
        reports = dict(zip(names, pool.map(_one, names, [a.db] * len(names), [a.index] * len(names)), strict=True))
    shapes: Counter[str] = Counter()
    for name, r in reports.items():
        lang = r["lang"]
        print(f"{name}: {r['all']['right']}/{r['all']['n']} zh {lang['zh']['right']}/{lang['zh']['n']}"
              f" en {lang['en']['right']}/{lang['en']['n']}")  # fmt: skip
        shapes.update(m["shape"] for m in r["misses"])
        if a.out:
            a.out.mkdir(parents=True, exist_ok=True)
            (a.out / f"{Path(name).stem}.json").write_text(json.dumps(r, ensure_ascii=False, indent=1), "utf-8")
    print("misses by shape:", dict(shapes.most_common()))


if __name__ == "__main__":
    main(sys.argv[1:])
