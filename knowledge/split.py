"""Sections at headings (Markdown and Chinese numbering) and chunks of a sensible size.

>>> heading_of("『貳』 從哪些方面去分析客戶")
'從哪些方面去分析客戶'
>>> heading_of("一、问询法问询法是指通过询问客户来了解其需求,这是最常用的方法之一。")
'问询法问询法是指通过询问客户来了解其需求'
>>> heading_of("第二步:收集客户数据"), heading_of("(三)客户满意度"), heading_of("2、客户流失分析")
('第二步:收集客户数据', '客户满意度', '客户流失分析')
>>> heading_of("1、基礎資料管理:有關客戶最基本的原始資料,包括客戶的姓名或名稱、地址、電話、所有者、經營管理者。") is None
True
"""

from __future__ import annotations

import re

from knowledge.clean import Line
from knowledge.models import Section
from knowledge.text import rules

NUM = "一二三四五六七八九十百零壹贰貳叁叄參肆伍陆陸柒捌玖拾"
# strong markers start a section whatever follows; weak ones (1、 1. ①) only on a short line
_STRONG = [
    re.compile(r"^#{1,6}\s+(?P<h>.+?)\s*#*$"),
    re.compile(f"^『[{NUM}]+』\\s*(?P<h>.*)$"),
    re.compile(f"^【[{NUM}]+】\\s*(?P<h>.*)$"),
    re.compile(f"^[{NUM}]+\\s*[、.．]\\s*(?P<h>.+)$"),
    re.compile(f"^[((][{NUM}]+[))]\\s*(?P<h>.+)$"),
    re.compile(f"^(?P<h>第[{NUM}\\d]+\\s*[章节節步部篇讲講](?:[\\s::、.].*)?)$"),
    re.compile(r"^(?P<h>(?:chapter|part|section|step)\s+\d+\b.*)$", re.I),
]
_WEAK = re.compile(r"^\d{1,2}\s*[、.．)）]\s*(?P<h>\S.*)$")
_STOP = re.compile(r"[。!?!?;;,,::]")
MAX_HEADING = 30


def _trim(h: str) -> str:
    h = h.strip().strip("#").strip()
    if len(h) > MAX_HEADING or _STOP.search(h[:-1] if h.endswith(("。", ":", ":")) else h):
        # a heading run into its paragraph (PDF/scrape): keep up to the first clause end
        if h.startswith("第") and re.match(f"^第[{NUM}\\d]+", h):
            cut = re.split(r"[。!?!?;;,,]", h, maxsplit=1)[0]
        else:
            cut = _STOP.split(h, maxsplit=1)[0]
        h = cut[:MAX_HEADING]
    return re.sub(r"[。::]+$", "", h.strip())


def heading_of(text: str) -> str | None:
    """The heading a line opens, or None for body text."""
    s = text.strip()
    for pat in _STRONG:
        m = pat.match(s)
        if m:
            h = _trim(m.group("h")) if m.group("h") else ""
            return h or s[:MAX_HEADING]
    m = _WEAK.match(s)
    if m and len(s) <= MAX_HEADING and not re.search(r"[。!?!?;;]$", s):
        return _trim(m.group("h"))
    return None


def _title_line(lines: list[Line], i: int) -> bool:
    """A short line standing alone between blank lines, before a real paragraph: a heading without a number."""
    s = lines[i].text
    if len(s) > MAX_HEADING - 6 or re.search(r"[。!?!?;;,,、::]$", s) or len(s) < 2:
        return False
    if i > 0 and lines[i - 1].text:
        return False
    if i + 1 < len(lines) and lines[i + 1].text:
        return False
    nxt = next((ln.text for ln in lines[i + 1 :] if ln.text), "")
    return len(nxt) >= 30


def split_sections(lines: list[Line], title: str) -> list[Section]:
    """Sections of cleaned lines; text before the first heading goes under the title. Anchors: s1, s2, …"""
    sections: list[Section] = []
    heading, first, page, buf = title, 0, None, []
    seen_heading = False

    def flush() -> None:
        body = "\n".join(buf).strip()
        if body:
            sections.append(Section(anchor=f"s{len(sections) + 1}", heading=heading, text=body, line=first, page=page))

    for i, ln in enumerate(lines):
        h = heading_of(ln.text) if ln.text else None
        if h is None and ln.text and _title_line(lines, i):
            h = ln.text
        if h is not None:
            flush()
            heading, first, page, buf, seen_heading = h, ln.line, ln.page, [], True
            rest = ln.text.strip()
            # keep the body that ran into the heading line (scraped "一、问询法问询法是指…")
            if len(rest) > len(h) + 12:
                buf.append(rest)
            continue
        if buf and ln.text and ln.page != page and any(b for b in buf):
            # a new PDF page starts a new section under the same heading: citations can name the page
            flush()
            first, page, buf = ln.line, ln.page, []
        if not buf and ln.text and not seen_heading:
            first, page = ln.line, ln.page  # text before any heading starts where it starts
        buf.append(ln.text)
    flush()
    return sections


_SENT = re.compile(r"(?<=[。!?!?;;])|(?<=[.!?;]\s)")


def chunk_text(
    text: str, target: int | None = None, max_chars: int | None = None, min_chars: int | None = None
) -> list[str]:
    """Paragraph-aligned chunks of about ``target`` characters; a long paragraph is cut at sentence ends.

    >>> [len(c) for c in chunk_text("甲" * 50 + "\\n\\n" + "乙" * 50, target=60, max_chars=80, min_chars=10)]
    [50, 50]
    """
    cfg = rules()["chunk"]
    target = target or int(cfg["target_chars"])
    max_chars = max_chars or int(cfg["max_chars"])
    min_chars = min_chars if min_chars is not None else int(cfg["min_chars"])
    pieces: list[str] = []
    for para in re.split(r"\n\s*\n|\n", text):
        para = para.strip()
        if not para:
            continue
        if len(para) <= max_chars:
            pieces.append(para)
            continue
        cur = ""
        for sent in (s for s in _SENT.split(para) if s):
            while len(sent) > max_chars:  # no sentence end at all: hard cut
                pieces.append((cur + sent[: max_chars - len(cur)]).strip())
                sent, cur = sent[max_chars - len(cur) :], ""
            if len(cur) + len(sent) > max_chars and cur:
                pieces.append(cur.strip())
                cur = ""
            cur += sent
        if cur.strip():
            pieces.append(cur.strip())
    chunks: list[str] = []
    cur = ""
    for p in pieces:
        if cur and (len(cur) >= target or len(cur) + len(p) > max_chars):
            chunks.append(cur)
            cur = ""
        cur = f"{cur}\n{p}" if cur else p
    if cur:
        if chunks and len(cur) < min_chars and len(chunks[-1]) + len(cur) <= max_chars + min_chars:
            chunks[-1] = f"{chunks[-1]}\n{cur}"
        else:
            chunks.append(cur)
    return chunks
