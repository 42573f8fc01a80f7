"""The records retrieval works with: a section of a document, a chunk of it, and a search hit."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Section(BaseModel):
    """A ``##`` section of one of our documents, or a heading-delimited section of a user's document."""

    anchor: str
    heading: str
    text: str
    line: int = 0  # first line in the source (0-based)
    page: int | None = None  # PDF page (1-based)
    # what kind of answer it is and the properties it describes, as its document declares them (knowledge/facets.py)
    facets: list[str] = Field(default_factory=list)


class Document(BaseModel):
    """A parsed document, ready to chunk. ``key`` is unique in an index (e.g. ``doc/zh/rfm``)."""

    key: str
    doc_id: str
    title: str
    language: str
    source: str  # repo-relative path for shipped docs, the absolute path for users' files
    kind: str = "doc"  # doc (ours) or user
    topics: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)


class Chunk(BaseModel):
    id: str
    doc_key: str
    doc_id: str
    title: str
    language: str
    source: str
    kind: str
    anchor: str
    heading: str
    text: str
    position: dict[str, int] = Field(default_factory=dict)  # section, chunk, line, page
    topics: list[str] = Field(default_factory=list)
    # the section's typical questions (knowledge/questions/): searched, never shown (not in text or snippets)
    questions: list[str] = Field(default_factory=list)
    facets: list[str] = Field(default_factory=list)  # the section's declared facets (Section.facets)

    def embed_text(self, questions: bool = True) -> str:
        """What the vector sees: title and heading give a short body its context; the typical questions
        bring the words people ask with."""
        extra = "\n" + "\n".join(self.questions) if questions and self.questions else ""
        return f"{self.title}\n{self.heading}\n{' '.join(self.topics)}\n{self.text}{extra}"


class Hit(BaseModel):
    """One search result; ``citation()`` names the document and section for an answer."""

    doc_id: str
    title: str
    anchor: str
    heading: str
    language: str
    snippet: str
    source: str
    score: float
    kind: str = "doc"
    position: dict[str, int] = Field(default_factory=dict)
    chunk_id: str = ""

    def citation(self) -> str:
        """《RFM 模型与八类客户》§如何计算 (knowledge/docs/zh/rfm.md#how)."""
        section = f"§{self.heading}" if self.heading and self.heading != self.title else ""
        where = f"{self.source}#{self.anchor}" if self.anchor else self.source
        if self.language == "en":
            return f"“{self.title}” {section} ({where})".replace("  ", " ")
        return f"《{self.title}》{section} ({where})"

    def to_dict(self) -> dict[str, Any]:
        return {**self.model_dump(), "citation": self.citation()}
