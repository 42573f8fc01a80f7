"""Typo correction of questions against our own vocabulary (glossary terms, document topics, headings
and words), before retrieval: 波士顿距阵 → 波士顿矩阵, 客户需球 → 客户需求, caculate → calculate.

A Chinese stretch of 3–6 characters that is not a known term but differs from exactly one known term in
one character is replaced by it; an English word of 5+ letters that no document uses is replaced by
its one close match. Known words are never touched.

>>> correct("客户需球分析一般分几步", vocab_zh=frozenset({"客户需求"}))
'客户需求分析一般分几步'
>>> correct("how to caculate churn", vocab_en=frozenset({"calculate", "churn"}))
'how to calculate churn'
>>> correct("客户需求", vocab_zh=frozenset({"客户需求"}))
'客户需求'
"""

from __future__ import annotations

import difflib
import re
from functools import cache

from knowledge import text as T

_EN = re.compile(r"[A-Za-z]+")


@cache
def known_zh() -> frozenset[str]:
    """Our documents' topics and heading phrases (the glossary's colloquial phrases are too close to
    everyday words: 买得勤 would "correct" 买得多)."""
    least = int(T.rules()["typos"]["zh_chars"][0])
    return frozenset(t for t in T.doc_terms() if len(t) >= least)


@cache
def known_en() -> frozenset[str]:
    """English words of our glossary and English documents."""
    from knowledge.glossary import load_glossary
    from knowledge.ourdocs import DOCS_DIR

    words = {w.lower() for e in load_glossary() for t in e.en for w in _EN.findall(t)}
    words |= set(T.synonyms())  # calculate, client… (the table maps them to our words)
    for p in sorted(DOCS_DIR.glob("en/*.md")) if DOCS_DIR.is_dir() else []:
        words.update(w.lower() for w in _EN.findall(p.read_text(encoding="utf-8")))
    return frozenset(words)


@cache
def _wildcards(vocab: frozenset[str]) -> dict[str, frozenset[str]]:
    """Each term with one character blanked (需?求 style keys) → the terms that fit."""
    out: dict[str, set[str]] = {}
    for t in vocab:
        for i in range(len(t)):
            out.setdefault(t[:i] + "\0" + t[i + 1 :], set()).add(t)
    return {k: frozenset(v) for k, v in out.items()}


def _in_word(run: str, pos: int) -> bool:
    """Whether the character at ``pos`` belongs to a 2–3 character word of jieba's dictionary."""
    freq, least = T.jieba_freq(), int(T.rules()["typos"]["zh_word_freq"])
    for n in (2, 3):
        for s in range(max(0, pos - n + 1), min(pos, len(run) - n) + 1):
            if freq.get(run[s : s + n], 0) >= least:
                return True
    return False


def _fix_run(run: str, vocab: frozenset[str], sizes: tuple[int, int]) -> str:
    if run in vocab:
        return run
    cards = _wildcards(vocab)
    sw = T.stopwords()  # 流失了 is not a typo of 流失率
    keep = str(T.rules()["typos"]["zh_keep_chars"])  # question words: 哪一层 is not a typo of 第一层
    longest = max(map(len, vocab), default=0)
    # characters inside a known term stay as they are (净推荐值 is not a typo of 净推荐者)
    kept = {
        k
        for n in range(2, min(longest, len(run)) + 1)
        for i in range(len(run) - n + 1)
        if run[i : i + n] in vocab
        for k in range(i, i + n)
    }
    for n in range(min(sizes[1], len(run)), sizes[0] - 1, -1):  # longest stretch first
        for i in range(len(run) - n + 1):
            w = run[i : i + n]
            if w in vocab:
                continue
            # the odd character must not sit in a real word (现在客户 is not a typo of 潜在客户)
            cands: set[str] = set()
            for j in range(n):
                fits = cards.get(w[:j] + "\0" + w[j + 1 :])
                if fits and i + j not in kept and w[j] not in sw and w[j] not in keep and not _in_word(run, i + j):
                    cands |= fits
            if len(cands) == 1:
                fixed = cands.pop()
                return run[:i] + fixed + _fix_run(run[i + n :], vocab, sizes)
    return run


def correct(text: str, vocab_zh: frozenset[str] | None = None, vocab_en: frozenset[str] | None = None) -> str:
    """``text`` with likely typos replaced by the known term (rules.yaml ``typos``)."""
    cfg = T.rules()["typos"]
    zh = known_zh() if vocab_zh is None else vocab_zh
    en = known_en() if vocab_en is None else vocab_en
    sizes = (int(cfg["zh_chars"][0]), int(cfg["zh_chars"][1]))
    out = T._CJK_RUN.sub(lambda m: _fix_run(m.group(0), zh, sizes), text) if zh else text

    def fix_word(m: re.Match[str]) -> str:
        w = m.group(0)
        low = w.lower()
        if len(low) < int(cfg["en_min_letters"]) or low in en or T.stem(low) in en:
            return w
        near = difflib.get_close_matches(low, en, n=3, cutoff=float(cfg["en_cutoff"]))
        # one match, or several forms of one word (difference, differences)
        if not near or len({T.stem(x) for x in near}) > 1 or low.startswith(near[0]) or near[0].startswith(low):
            return w  # no match, two different words, or another form of the same word (risky, risk)
        return near[0]

    return _EN.sub(fix_word, out) if en else out
