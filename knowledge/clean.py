"""Boilerplate stripping for messy documents (scraped pages): navigation, meta lines, ads,
link lists, disclaimers, menus and repeated lines. Rules live in knowledge/rules.yaml.

>>> [l.text for l in clean_lines(to_lines("導航:首頁 > 股市 > 客戶分析\\n客户分析看四个方面。\\n相关文章\\n股票入门 瀏覽:460\\n理财"))]
['客户分析看四个方面。']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from knowledge.text import rules

_SENT_END = re.compile(r"(?<=[。!?!?;;])")
_PUNCT_END = re.compile(r"[。!?!?;;::,,、.)）]$")


@dataclass(frozen=True)
class Line:
    text: str
    line: int  # 0-based position in the extracted text
    page: int | None = None


def to_lines(text: str, page: int | None = None, start: int = 0) -> list[Line]:
    return [Line(t.strip(), start + i, page) for i, t in enumerate(text.splitlines())]


@cache
def _patterns() -> dict[str, list[re.Pattern[str]]]:
    bp = rules()["boilerplate"]
    return {k: [re.compile(p, re.I) for p in bp[k]] for k in ("drop_line", "link_list_header", "drop_sentence")}


def _any(pats: list[re.Pattern[str]], s: str) -> bool:
    return any(p.search(s) for p in pats)


def is_heading_like(s: str) -> bool:
    return s.startswith("#") or bool(
        re.match(r"^(『.』|[一二三四五六七八九十]+、|第[一二三四五六七八九十\d]+[章节步部篇])", s)
    )


def _short(s: str, limit: int) -> bool:
    return len(s) <= limit and not _PUNCT_END.search(s)


def clean_sentences(s: str) -> str:
    """Cut ad/link/disclaimer sentences out of a paragraph, keep the rest."""
    pats = _patterns()["drop_sentence"]
    if not _any(pats, s):
        return s
    parts = [p for p in _SENT_END.split(s) if p]
    return "".join(p for p in parts if not _any(pats, p)).strip()


def clean_lines(lines: list[Line]) -> list[Line]:
    """Boilerplate out, real text kept in order with its original positions."""
    bp = rules()["boilerplate"]
    pats = _patterns()
    menu_run, menu_max, repeat_min = int(bp["menu_run"]), int(bp["menu_max_chars"]), int(bp["repeat_min_chars"])
    kept: list[Line] = []
    seen: set[str] = set()
    in_link_list = False
    for ln in lines:
        s = ln.text
        if not s:
            kept.append(ln)  # paragraph break; a link list may go on after it
            continue
        if _any(pats["link_list_header"], s):
            in_link_list = True
            continue
        if in_link_list:
            # a link list ends at the first real paragraph (a sentence, or a long line)
            if (len(s) >= 20 and re.search(r"[。!?!?]$", s)) or len(s) >= 60:
                in_link_list = False
            else:
                continue
        if _any(pats["drop_line"], s):
            continue
        s = clean_sentences(s)
        if not s:
            continue
        if len(s) >= repeat_min and s in seen:
            continue
        seen.add(s)
        kept.append(Line(s, ln.line, ln.page))
    return _drop_menus(kept, menu_run, menu_max)


def _drop_menus(lines: list[Line], run: int, max_chars: int) -> list[Line]:
    """Runs of ``run``+ short non-sentence lines (menus, tag clouds) go; headings are not menu items."""
    out: list[Line] = []
    i = 0
    while i < len(lines):
        j = i
        while (
            j < len(lines) and lines[j].text and _short(lines[j].text, max_chars) and not is_heading_like(lines[j].text)
        ):
            j += 1
        if j - i >= run:
            i = j
            continue
        out.extend(lines[i : max(j, i + 1)])
        i = max(j, i + 1)
    return out
