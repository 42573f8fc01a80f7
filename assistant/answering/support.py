"""Whether a document section backs a guessed reading of a question: it must share a content word with it.

Every methodology document is about customers, so any question that says "客户" scores well against them; what
tells a real concept question ("客户从认识到离开会经历哪些阶段") from chatter ("客户吃饭了吗") is whether the
section shares one of the question's own content words (阶段), beyond the subject and the question words.
"""

from __future__ import annotations

import re

from knowledge.models import Hit

# Words every question about customers has, and the words that make it a question: no evidence either way.
GENERIC_ZH = ("客户", "顾客", "用户", "公司", "我们", "咱们", "你们", "一下", "什么", "怎么", "怎样", "如何", "哪些",
              "哪几", "为什么", "一般", "通常", "一个", "这个", "那个", "那边", "这边", "情况", "东西", "最近", "近来",
              "现在", "目前", "平时")  # fmt: skip
# Characters that do not carry the content of a Chinese question (particles, pronouns, measure words, verbs of asking).
FUNCTION_ZH = frozenset(
    "的地得了吗呢吧啊呀么嘛什怎哪几那这是有在要会能个些都和与及或就还也从到对把被让给为于上下里中我你他她它请帮看做说问该"
)
STOP_EN = frozenset(
    """what which when where why how does do did is are was were be been the a an of to in on for with and or
    our us we you your they them their this that these those there here have has had can could should would
    will about into from through customer customers client clients account accounts tell me please any some""".split()
)


def content_terms(question: str) -> set[str]:
    """The question's own content: Chinese two-character words with no function character, English words of four
    letters or more that are not question or subject words."""
    q = question.lower()
    for w in GENERIC_ZH:
        q = q.replace(w, " ")
    terms = {
        run[i : i + 2]
        for run in re.findall(r"[\u4e00-\u9fff]+", q)
        for i in range(len(run) - 1)
        if not (set(run[i : i + 2]) & FUNCTION_ZH)
    }
    terms |= {w for w in re.findall(r"[a-z]{4,}", q) if w not in STOP_EN}
    return terms


def backs(question: str, hit: Hit) -> bool:
    """The section shares a content word with the question (English words by their first five letters, so
    "stage" meets "stages")."""
    text = f"{hit.title} {hit.heading} {hit.snippet}".lower()
    for term in content_terms(question):
        if term.isascii():
            if re.search(rf"\b{re.escape(term[:5])}", text):
                return True
        elif term in text:
            return True
    return False
