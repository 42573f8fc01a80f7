"""English word stems, shared by tokenising and the glossary (a leaf: it imports nothing of ours)."""

from __future__ import annotations


def stem(word: str) -> str:
    """A deliberately light English stemmer: plurals, -ing, -ed (customers→customer, churned→churn)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + repl
            break
    # a final e goes too, so compute / computed / computing meet at "comput"
    return word[:-1] if word.endswith("e") and len(word) > 4 else word
