"""The language of a question: the one rule the router, the LLM agent, the web app and search share."""

from __future__ import annotations

import re
from collections.abc import Iterable

_LETTERS = re.compile(r"[A-Za-z\u4e00-\u9fff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect_language(text: str, names: Iterable[tuple[int, int]] = ()) -> str:
    """'zh' or 'en' for a question.

    Names found in the question (a Chinese customer or city in an English sentence: "look up 青岛宇瑞机械") do
    not count as the sentence's language when other words remain; ``names`` are their (start, end) spans.

    >>> detect_language("华东区今年销售额"), detect_language("which customers are at risk?")
    ('zh', 'en')
    >>> detect_language("look up 青岛宇瑞机械", [(8, 14)])
    'en'
    """
    spans = list(names)
    if spans:
        rest = "".join(ch for i, ch in enumerate(text) if not any(s <= i < e for s, e in spans))
        if _LETTERS.search(rest):
            text = rest
    cjk = len(_CJK.findall(text))
    latin_words = len(_LATIN_WORD.findall(text))
    return "zh" if cjk >= 2 or (cjk and cjk >= latin_words) else "en"


def pick(lang: str, zh: str, en: str) -> str:
    """The text in the reader's language."""
    return zh if lang == "zh" else en
