"""Short explanations of concepts, quoted from our methodology documents with a citation."""

from __future__ import annotations

import re

from knowledge.ourdocs import find_section

MAX_CHARS = {"zh": 240, "en": 600}  # a definition and its list fit; a quote stops before a unit past it


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


_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[。!?!?;;])\s*|(?<=\.)\s+")


def _units(text: str, lang: str) -> list[str]:
    """The section as units a quote never cuts: each sentence of a paragraph, each list whole (its items in one
    line), and a lead-in ending in a colon joined to what it introduces."""
    blocks: list[tuple[str, list[str]]] = []  # ("p", lines) or ("list", items)
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "|", "```")):
            blocks.append(("gap", []))
            continue
        kind = "list" if _ITEM.match(line) else "p"
        if kind == "list":
            line = _ITEM.sub("", line) if not re.match(r"^\s*\d", line) else line.strip()
        if blocks and blocks[-1][0] == kind:
            blocks[-1][1].append(line)
        else:
            blocks.append((kind, [line]))
    units: list[str] = []
    sep = "" if lang == "zh" else " "
    lead_in = False  # the last unit introduces what follows (a colon, or the sentence right before a list)
    for kind, lines in blocks:
        if kind == "gap":
            continue
        new = (
            [u for u in _SENTENCE_END.split(_plain(" ".join(lines))) if u]
            if kind == "p"
            else [sep.join(_plain(item) for item in lines)]
        )
        for u in new:  # a list is one unit, glued to the sentence before it
            if units and (lead_in or kind == "list"):
                units[-1] += sep + u
            else:
                units.append(u)
            lead_in = units[-1].endswith((":", ":", "："))
    return units


def brief(doc: str, anchor: str, lang: str, sentences: int = 2) -> tuple[str, str] | None:
    """The first sentences of a section and its citation; None when the section does not exist.

    A list is one unit and is quoted whole, with the sentence that introduces it; a quote stops before a unit that
    would take it past MAX_CHARS, and only a first unit far longer than that is cut (with …)."""
    found = section(doc, lang, anchor)
    if found is None:
        return None
    _title, _heading, text, _source = found
    summary = ""
    for u in _units(text, lang)[:sentences]:
        if summary and len(summary) + len(u) > MAX_CHARS[lang]:
            break
        summary += (" " if lang == "en" and summary else "") + u
    if len(summary) > 2.5 * MAX_CHARS[lang]:
        summary = summary[: MAX_CHARS[lang]].rstrip() + "…"
    return summary, citation(doc, lang, anchor)
