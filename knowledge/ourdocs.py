"""Our methodology documents: YAML front matter, a ``#`` title, ``## Heading {#anchor}`` sections.

>>> d = parse_doc("---\\nid: rfm\\ntitle: RFM\\nlanguage: zh\\n---\\n# RFM\\n\\n## 什么是 {#what}\\n正文\\n", "x.md")
>>> d.key, [(s.anchor, s.heading, s.text) for s in d.sections]
('doc/zh/rfm', [('what', '什么是', '正文')])
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from assistant.core.config import ROOT
from assistant.core.errors import InputError
from knowledge.facets import check_declared
from knowledge.models import Document, Section

DOCS_DIR = Path(__file__).parent / "docs"
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_H2 = re.compile(r"^##\s+(.+?)\s*$")
_ANCHOR = re.compile(r"\s*\{#([A-Za-z0-9_.:-]+)\}\s*$")
_FENCE = re.compile(r"^(```|~~~)")


def split_front_matter(text: str) -> tuple[dict[str, object], str, int]:
    """(front matter, body, number of lines the front matter took)."""
    text = text.lstrip("\ufeff")
    m = _FRONT.match(text)
    if not m:
        return {}, text, 0
    meta = yaml.safe_load(m.group(1)) or {}
    if not isinstance(meta, dict):
        meta = {}
    return meta, text[m.end() :], m.group(0).count("\n")


def slug(heading: str, n: int) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")
    return s or f"s{n}"


def _as_list(v: object) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def parse_doc(text: str, source: str) -> Document:
    """One of our documents: sections at ``##`` (``###`` stays inside its section)."""
    meta, body, offset = split_front_matter(text)
    doc_id = str(meta.get("id") or Path(source).stem)
    lang = str(meta.get("language") or meta.get("lang") or Path(source).parent.name or "zh")
    lines = body.splitlines()
    title = str(meta.get("title") or "")
    # facets: {anchor: [kind or "dimension level", ...]}: what a section answers and the properties it describes
    declared = meta.get("facets") or {}
    if not isinstance(declared, dict):
        raise InputError(f"{source}: facets 应是 锚点: [..] 的映射。", f"{source}: facets must map anchors to lists.")
    sections: list[Section] = []
    heading, anchor, start, buf = "", "", offset, []
    in_fence = False

    def flush() -> None:
        body_text = "\n".join(buf).strip()
        if body_text:
            sections.append(
                Section(
                    anchor=anchor,
                    heading=heading or title,
                    text=body_text,
                    line=start,
                    facets=_as_list(declared.get(anchor)),
                )
            )

    for i, line in enumerate(lines):
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
        m = None if in_fence else _H2.match(line)
        if m:
            flush()
            raw = m.group(1)
            am = _ANCHOR.search(raw)
            heading = _ANCHOR.sub("", raw).strip()
            anchor = am.group(1) if am else slug(heading, len(sections) + 1)
            start, buf = offset + i, []
        elif line.startswith("# ") and not in_fence and not sections and not buf and not heading:
            title = title or line[2:].strip()
        else:
            buf.append(line)
    flush()
    bad = [f"{source}: facets name no section {a!r}" for a in declared if a not in {s.anchor for s in sections}]
    bad += [m for s in sections for m in check_declared(s.facets, f"{source}#{s.anchor}")]
    if bad:
        raise InputError("front matter facets 有误:" + "; ".join(bad), "Bad front matter facets: " + "; ".join(bad))
    if not title:
        raise InputError(
            f"{source}: 缺少标题(front matter 的 title 或 # 标题)。",
            f"{source}: no title (front matter title or a # heading).",
        )
    return Document(
        key=f"doc/{lang}/{doc_id}",
        doc_id=doc_id,
        title=title,
        language=lang,
        source=source,
        kind="doc",
        topics=_as_list(meta.get("topics")),
        tools=_as_list(meta.get("tools")),
        sections=sections,
    )


def shipped_docs(folder: Path = DOCS_DIR) -> list[Path]:
    """Every shipped document: knowledge/docs/<lang>/*.md."""
    return sorted(p for p in folder.glob("*/*.md") if p.is_file()) if folder.is_dir() else []


def source_name(path: Path) -> str:
    """How a document is named in citations: its path in the checkout, else its absolute path."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path.resolve())


@cache
def shipped_documents(folder: Path = DOCS_DIR) -> tuple[Document, ...]:
    """Every shipped document, parsed once per process: the one reading that citations, teaching and reports share."""
    return tuple(parse_doc(p.read_text(encoding="utf-8"), source_name(p)) for p in shipped_docs(folder))


@cache
def docs_of_tool() -> dict[str, tuple[str, ...]]:
    """tool name → ids of the documents that explain it (their front matter's ``tools``), in document order."""
    out: dict[str, list[str]] = {}
    for doc in shipped_documents():
        for tool in doc.tools:
            if doc.doc_id not in out.setdefault(tool, []):
                out[tool].append(doc.doc_id)
    return {k: tuple(v) for k, v in out.items()}


def find_section(doc_id: str, lang: str, anchor: str) -> tuple[Document, Section] | None:
    """A shipped section by document id, language and anchor; None when there is none."""
    for doc in shipped_documents():
        if doc.doc_id == doc_id and doc.language == lang:
            return next(((doc, s) for s in doc.sections if s.anchor == anchor), None)
    return None
