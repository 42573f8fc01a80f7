"""The methodology knowledge base: documents, users' files, and offline hybrid retrieval with citations.

Public API::

    import knowledge
    for hit in knowledge.search("怎么算净推荐值?", k=3):
        print(hit.citation(), hit.snippet)

The index folder is ``--index``/``ASSISTANT_INDEX``/data/index (see ``assistant.core.config.index_path``);
it is built on first use when missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.models import Hit

if TYPE_CHECKING:
    from knowledge.index import KnowledgeBase

__all__ = ["Hit", "open_index", "search"]

_open: dict[Path, KnowledgeBase] = {}


def open_index(index: str | Path | None = None) -> KnowledgeBase:
    """The knowledge base at ``index`` (or the configured default), opened once per process."""
    from assistant.core.config import index_path
    from knowledge.index import KnowledgeBase

    path = index_path(index).resolve()
    if path not in _open:
        _open[path] = KnowledgeBase(path)
    return _open[path]


def search(query: str, k: int = 5, lang: str | None = None, index: str | Path | None = None) -> list[Hit]:
    """Top ``k`` sections for ``query`` (``lang`` 'zh'/'en' restricts the language; None searches both)."""
    return open_index(index).search(query, k=k, lang=lang)
