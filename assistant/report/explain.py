"""Short explanations of concepts, quoted from our methodology documents with a citation."""

from __future__ import annotations

import re
from functools import cache

from assistant.core.config import ROOT
from knowledge.ourdocs import parse_doc, shipped_docs

MAX_CHARS = {"zh": 140, "en": 360}


@cache
def _sections() -> dict[tuple[str, str, str], tuple[str, str, str, str]]:
    """(doc id, language, anchor) → (title, heading, text, source)."""
    out = {}
    for path in shipped_docs():
        doc = parse_doc(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        )
        for s in doc.sections:
            out[(doc.doc_id, doc.language, s.anchor)] = (doc.title, s.heading, s.text, doc.source)
    return out


def _plain(text: str) -> str:
    text = re.sub(r"\*\*|__|`", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def brief(doc: str, anchor: str, lang: str, sentences: int = 2) -> tuple[str, str] | None:
    """The first sentences of a section and its citation; None when the section does not exist."""
    found = _sections().get((doc, lang, anchor))
    if found is None:
        return None
    title, heading, text, source = found
    body = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith(("#", "|", "```"))]
    flat = _plain(" ".join(body))
    parts = [p for p in re.split(r"(?<=[。!?!?;;])\s*|(?<=\.)\s+", flat) if p]
    summary = ""
    for p in parts[:sentences]:
        if summary and len(summary) + len(p) > MAX_CHARS[lang]:
            break
        summary += (" " if lang == "en" and summary else "") + p
    if len(summary) > MAX_CHARS[lang]:
        summary = summary[: MAX_CHARS[lang]].rstrip() + "…"
    cite = f"《{title}》§{heading} ({source}#{anchor})" if lang == "zh" else f"“{title}” §{heading} ({source}#{anchor})"
    return summary, cite
