"""Short explanations of concepts, quoted from our methodology documents with a citation."""

from __future__ import annotations

import re

from knowledge.ourdocs import find_section

MAX_CHARS = {"zh": 140, "en": 360}


def section(doc: str, lang: str, anchor: str) -> tuple[str, str, str, str] | None:
    """(document title, section heading, section text, source) of a shipped section; None when there is none."""
    found = find_section(doc, lang, anchor)
    if found is None:
        return None
    d, s = found
    return d.title, s.heading, s.text, d.source


def citation(doc: str, lang: str, anchor: str) -> str:
    """《title》§heading (source#anchor), or “title” §heading (…) in English. KeyError when there is no such section."""
    found = section(doc, lang, anchor)
    if found is None:
        raise KeyError((doc, lang, anchor))
    title, heading, _text, source = found
    return f"《{title}》§{heading} ({source}#{anchor})" if lang == "zh" else f"“{title}” §{heading} ({source}#{anchor})"


def _plain(text: str) -> str:
    text = re.sub(r"\*\*|__|`", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def brief(doc: str, anchor: str, lang: str, sentences: int = 2) -> tuple[str, str] | None:
    """The first sentences of a section and its citation; None when the section does not exist."""
    found = section(doc, lang, anchor)
    if found is None:
        return None
    _title, _heading, text, _source = found
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
    return summary, citation(doc, lang, anchor)
