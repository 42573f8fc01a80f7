"""Writes knowledge/vectors/use-m3.npz: the sentence encoder's vectors of every text of ours a build encodes.

Apart from ``knowledge.vector_cache`` (which the index reads) because listing our texts needs the index's own
chunking: kept here, the index does not import itself back::

    python -m knowledge.cache_vectors          # writes the file
    python -m knowledge.cache_vectors --check  # exits 1 when a text is missing or the version differs
"""

from __future__ import annotations

import sys

from knowledge.asked import load_asked, load_written
from knowledge.index import chunk_document, embed_inputs
from knowledge.ourdocs import DOCS_DIR, parse_doc, shipped_docs, source_name
from knowledge.questions import load_questions, questions_path
from knowledge.vector_cache import CACHE_PATH, VectorCache, text_key


def our_texts() -> list[str]:
    """Every text a build of the shipped documents encodes with the sentence encoder, the labelled questions and our
    written ones."""
    texts: list[str] = []
    for p in shipped_docs():
        doc = parse_doc(p.read_text(encoding="utf-8"), source_name(p))
        qs = load_questions(questions_path(p, DOCS_DIR.parent / "questions"), [s.anchor for s in doc.sections])
        texts += embed_inputs(chunk_document(doc, qs), semantic=True)[1]
    texts += [r.q for r in load_asked()]
    texts += [r.q for r in load_written()]
    return list(dict.fromkeys(texts))


def stale(cache: VectorCache | None, package: str) -> list[str]:
    """Our texts the cache does not hold for this encoder version (all of them when the version differs)."""
    texts = our_texts()
    if cache is None or cache.package != package:
        return texts
    return [t for t in texts if text_key(t) not in cache.row]


def main(argv: list[str]) -> int:
    from knowledge import encoder

    package = encoder.package_version()
    if package is None:
        print(f"{encoder.PACKAGE} is not installed: nothing to cache")  # noqa: T201
        return 1
    if "--check" in argv:
        missing = stale(VectorCache.read(), package)
        print(f"{len(missing)} of our texts missing from {CACHE_PATH}")  # noqa: T201
        return 1 if missing else 0
    texts = our_texts()
    vecs = encoder.get_encoder().encode(texts)
    VectorCache([text_key(t) for t in texts], vecs, package).write()
    print(f"{len(texts)} vectors ({package}) written to {CACHE_PATH}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
