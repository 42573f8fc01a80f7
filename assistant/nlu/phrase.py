"""How a table's phrase is matched in a question: as written, English phrases as whole words (case folded)."""

from __future__ import annotations

import re


def phrase_pattern(phrase: str) -> str:
    """The regular expression of ``phrase``: "退货" anywhere, "late" not inside "lately"."""
    esc = re.escape(phrase.lower())
    if phrase.isascii() and re.match(r"\w", phrase):
        return rf"(?<![a-z0-9]){esc}(?![a-z0-9])"
    return esc
