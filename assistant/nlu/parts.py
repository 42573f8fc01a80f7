"""Questions that ask two things at once: "上季度签了几单,回款多少", "How many tickets are open, and which
department has the most?". Each part is answered; a later part that names no period or filter means the
earlier part's ("回款多少" is last quarter's collections).
"""

from __future__ import annotations

import re

# A clause that asks something by itself.
ASKS_RE = re.compile(
    r"多少|几[个家单张份次位名天成]?|多大|哪|谁|什么|啥|吗|呢|怎么|如何|是否|有没有|会不会|是不是"
    r"|讲讲|说说|解释|介绍|列出"  # a request asks too: "解释一下波士顿矩阵,再看看…"
    r"|\b(how|what|which|who|whom|where|when|whether|is|are|was|were|do|does|did|can|could|should"
    r"|explain|tell|show|list|describe|define)\b",
    re.IGNORECASE,
)
# Where a question may be cut: sentence ends always; a comma or "and" only between two clauses that both ask.
HARD_RE = re.compile(r"[?？;；]\s*|(?<=[。!！])\s*")
SOFT_RE = re.compile(r"\s*[,，、]\s*(?:(?:and\s+)?then\s+|and\s+|还有|以及|另外|同时|并且|然后|接着|再|那)?|\s+and\s+(?=(how|what|which|who|where|when|is|are|do|does|did)\b)",
                     re.IGNORECASE)  # fmt: skip
# A comma inside an English list of words ("loyal, potential, marginal and lost customers") joins items, not clauses
# (Chinese lists use 、, which joins no clauses that ask).
LIST_ITEM_RE = re.compile(r"\s*[A-Za-z-]+\s*(?:,|\band\b|\bor\b)", re.IGNORECASE)
# Words that only introduce the next clause ("其中", "这些") stay with it.
MIN_CHARS = 3


def _asks(clause: str) -> bool:
    return bool(ASKS_RE.search(clause))


# a clause that compares what the one before it asked ("9月份生意怎么样,比8月份好吗"): one question, not two
COMPARED_RE = re.compile(
    r"\s*(?:那|那么|但|但是)?\s*(?:比|跟|和|与|同)[^,，。?？]{0,12}?(?:比|相比|比较|对比)?[^,，。?？]{0,6}?(?:好|差|多|少|高|低|涨|跌|增|降|怎么样|如何)"
    r"|\s*(?:跟|和|与|同)[^,，。?？]{1,12}?(?:相比|比较|对比|比)"
    r"|\s*(?:compared (?:with|to)|versus|vs\.?|than)\b",
    re.IGNORECASE,
)


def split_parts(question: str) -> list[str]:
    """The question's parts, each a question on its own (one part when it asks one thing).

    >>> split_parts("上季度签了几单,回款多少")
    ['上季度签了几单', '回款多少']
    >>> split_parts("How many tickets are still open, and which department has the most of them?")
    ['How many tickets are still open', 'which department has the most of them']
    >>> split_parts("明天上海会下雨吗?我要去拜访客户")
    ['明天上海会下雨吗?我要去拜访客户']
    >>> split_parts("我负责的客户里面,今年到现在还一单没下的是哪几家?")
    ['我负责的客户里面,今年到现在还一单没下的是哪几家?']
    >>> split_parts("9月份生意怎么样,比8月份好吗")
    ['9月份生意怎么样,比8月份好吗']
    """
    text = question.strip()
    pieces: list[str] = []
    for p in (p.strip() for p in HARD_RE.split(text) if p and p.strip()):
        # A sentence that asks nothing ("我要去拜访客户", "给新人讲个全景") belongs to the question before it.
        if pieces and not _asks(p):
            pieces[-1] = f"{pieces[-1]} {p}"
        else:
            pieces.append(p)
    out: list[str] = []
    for piece in pieces:
        cut = [m for m in SOFT_RE.finditer(piece)]
        start, clauses = 0, []
        for m in cut:
            left, right = piece[start : m.start()], piece[m.end() :]
            if LIST_ITEM_RE.match(right) or COMPARED_RE.match(right):
                continue  # "…,比8月份好吗", "…, compared with last year?": the same question compared
            if len(left.strip()) >= MIN_CHARS and _asks(left) and _asks(right) and len(right.strip()) >= MIN_CHARS:
                clauses.append(left.strip())
                start = m.end()
        clauses.append(piece[start:].strip())
        out += [c for c in clauses if c]
    parts = [p for p in out if len(p) >= MIN_CHARS]
    return parts if len(parts) > 1 and all(_asks(p) for p in parts) else [question]
