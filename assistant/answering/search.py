"""Document search as a capability in the one registry: sections of the methodology documents, with citations.

It needs the knowledge base instead of the warehouse (``needs="knowledge"``); its rows are the passages.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.answering.citations import Knowledge
from assistant.core.lang import detect_language
from tools.base import ToolResult, register

SEARCH_DOCS = "search_docs"
HIT_COLUMNS = ["doc", "section", "title", "heading", "snippet", "source", "citation"]


class SearchDocsArgs(BaseModel):
    """知识库检索参数 / knowledge-base search parameters."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., min_length=1, max_length=500, description="检索内容 / what to look up")
    k: int = Field(3, ge=1, le=6, description="返回段落数 / passages to return")
    lang: Literal["zh", "en"] | None = Field(None, description="文档语言 / document language")


@register(
    SEARCH_DOCS,
    "方法论知识库检索:概念、定义、计算方法和行动建议(RFM、流失、NPS、CLV…),返回带出处的段落",
    "Methodology knowledge base search: concepts, definitions, how metrics are computed and what to do "
    "(RFM, churn, NPS, CLV …); returns passages with citations",
    SearchDocsArgs,
    examples=("什么是RFM?", "how is NPS computed?"),
    needs="knowledge",
)
def search_docs(kb: Knowledge, args: SearchDocsArgs) -> ToolResult:
    hits = kb.search(args.query, args.lang or detect_language(args.query), k=args.k)
    return ToolResult(
        as_of=None,
        figures={"passages": len(hits)},
        columns=list(HIT_COLUMNS),
        rows=[[h.doc_id, h.anchor, h.title, h.heading, h.snippet, h.source, h.citation()] for h in hits],
    )


def passages(result: ToolResult) -> list[dict[str, Any]]:
    """A search result's rows as records (doc, section, title, heading, snippet, source, citation)."""
    return result.records() if result.columns == HIT_COLUMNS else []
