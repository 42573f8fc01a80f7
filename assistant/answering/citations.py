"""The knowledge base as answers use it: a search that never fails an answer, and citations of its sections."""

from __future__ import annotations

from pathlib import Path

import knowledge
from assistant.answering.answer import Citation
from assistant.core.errors import AssistantError
from knowledge.models import Hit
from knowledge.ourdocs import docs_of_tool


def cite(hit: Hit) -> Citation:
    """A search hit as an answer's citation."""
    return Citation(hit.doc_id, hit.anchor, hit.title, hit.heading, hit.snippet, hit.source, hit.citation())


class Knowledge:
    """One knowledge index (``None``: the configured default), searched on behalf of answers."""

    def __init__(self, index: str | Path | None = None) -> None:
        self.index = index

    def search(self, query: str, lang: str | None, k: int = 6) -> list[Hit]:
        """The top ``k`` sections; none when the index cannot be opened (an answer's figures still stand)."""
        try:
            return knowledge.search(query, k=k, lang=lang, index=self.index)
        except AssistantError:
            return []

    def citations_for(
        self, question: str, tool: str | None, lang: str, *, fallback_query: str | None = None, k: int = 2
    ) -> list[Citation]:
        """Sections that explain what ``tool`` computed: from the tool's own documents when it has some.

        When the question finds none of them, ``fallback_query`` (the tool's description) is searched instead.
        """
        hits = self.search(question, lang)
        docs = docs_of_tool().get(tool or "", ())
        chosen = [h for h in hits if h.doc_id in docs] if docs else hits
        if not chosen and fallback_query:
            chosen = [h for h in self.search(fallback_query, lang) if not docs or h.doc_id in docs]
        return [cite(h) for h in chosen[:k]]
