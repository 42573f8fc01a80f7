"""Tokens for BM25 and embeddings: jieba words for Chinese, lowercased words for English.

>>> detect_lang("How do I compute churn?")
'en'
>>> detect_lang("怎么计算流失率")
'zh'
>>> words("The customers' NPS scores, computed")
['customer', 'nps', 'scor', 'comput']
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from knowledge.rule_table import rules as rules  # re-exported: T.rules() reads the table
from knowledge.stem import stem

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{CJK}]+")
_EN_WORD = re.compile(r"[a-z0-9]+(?:['’.][a-z0-9]+)*")  # hyphens split: gamma-gamma meets "gamma gamma"
_SPLIT = re.compile(f"([{CJK}]+)")
_jieba_lock = threading.Lock()
_jieba: Any = None


@cache
def stopwords() -> frozenset[str]:
    sw = rules()["stopwords"]
    return frozenset(str(w).lower() for w in (*sw["zh"], *sw["en"]))


def detect_lang(text: str) -> str:
    """A document's language: 'zh' when CJK characters, counted double (one carries about a word), outweigh Latin
    letters. Questions use assistant.core.lang.detect_language, which sets Chinese names in English questions aside."""
    cjk = sum(len(r) for r in _CJK_RUN.findall(text))
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "zh" if cjk and cjk * 2 >= latin else "en"


@cache
def synonyms() -> dict[str, str]:
    syn = rules().get("synonyms", {})
    return {str(k).lower(): str(v).lower() for lang in ("zh", "en") for k, v in (syn.get(lang) or {}).items()}


def words(text: str) -> list[str]:
    """English word tokens: lowercased, stemmed, normalised by the synonyms table, no stopwords."""
    sw, syn = stopwords(), synonyms()
    out = []
    for w in _EN_WORD.findall(text.lower().replace("’", "'")):
        w = w.removesuffix("'s").strip("'")
        if w and w not in sw:
            w = syn.get(w, w)
            s = stem(w)
            out.append(syn.get(s, s))
    return out


def _init_jieba() -> Any:
    """jieba, initialised once, quietly, with its cache in a temp dir and our glossary words added."""
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            logging.getLogger("jieba").setLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.tmp_dir = str(Path(tempfile.gettempdir()) / "assistant-jieba")
            Path(tok.tmp_dir).mkdir(parents=True, exist_ok=True)
            tok.initialize()
            from knowledge.glossary import load_glossary

            for entry in load_glossary():
                for term in entry.zh:
                    if len(term) >= 2 and _CJK_RUN.fullmatch(term):
                        tok.add_word(term, freq=2000)
            for term in doc_terms():
                tok.add_word(term, freq=1000)
            _jieba = tok
    return _jieba


@cache
def doc_terms() -> tuple[str, ...]:
    """Our documents' own vocabulary for jieba: front-matter topics and the short phrases of section
    headings (流失客户, 回本周期), so a term keeps one token in documents and questions alike."""
    from knowledge.ourdocs import shipped_documents

    n = rules()["tokenise"]["heading_phrase_chars"]
    out: set[str] = set()
    for doc in shipped_documents():
        if doc.language != "zh":
            continue
        phrases = list(doc.topics)
        for section in doc.sections:
            phrases += re.split(r"[^\u3400-\u9fff]+", section.heading)
        out.update(t for t in phrases if _CJK_RUN.fullmatch(t) and n[0] <= len(t) <= n[1])
    return tuple(sorted(out))


def jieba_freq() -> dict[str, int]:
    """jieba's word frequencies (our added words included): which character runs are real words."""
    return (_jieba or _init_jieba()).FREQ


@lru_cache(maxsize=1 << 16)
def cjk_words(run: str) -> tuple[str, ...]:
    """jieba search-mode words of one CJK run (overlapping: 净推荐值 → 推荐, 推荐值, 净推荐值).

    Cached: indexing tokenises each passage twice (BM25, then the embedding), and runs repeat."""
    tok = _jieba or _init_jieba()
    return tuple(w for w in tok.cut_for_search(run, HMM=True) if w.strip())


def tokens(text: str) -> list[str]:
    """Every token of ``text``: jieba words for CJK runs, stemmed English words; stopwords dropped."""
    sw = stopwords()
    out: list[str] = []
    for part in _SPLIT.split(text):
        if not part:
            continue
        if _CJK_RUN.fullmatch(part):
            # single characters are mostly function words; character n-grams in the vectors cover them
            syn = synonyms()
            out.extend(
                syn.get(w, w) for w in cjk_words(part) if (len(w) > 1 or w in syn or w in syn.values()) and w not in sw
            )
        else:
            out.extend(words(part))
    return out


def char_ngrams(text: str, sizes: Iterable[int] = (1, 2, 3)) -> dict[int, list[str]]:
    """CJK character n-grams of each CJK run, by size."""
    out: dict[int, list[str]] = {n: [] for n in sizes}
    for run in _CJK_RUN.findall(text):
        for n in out:
            out[n].extend(run[i : i + n] for i in range(len(run) - n + 1))
    return out
