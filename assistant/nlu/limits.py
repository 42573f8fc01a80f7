"""What the assistant will not answer with a number: requests to change data, and data the warehouse lacks.

Both are tables (limits.yaml). A question that matches gets a refusal that says why (read-only) or which
data is missing, never a figure computed from something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

HERE = Path(__file__).parent
HOLDS = {
    "zh": "数据里有:客户、销售代表、产品、订单与明细、发票与回款、满意度问卷、工单、客户接触和营销投入。",
    "en": "The data holds customers, sales reps, products, orders and order lines, invoices and payments, "
    "satisfaction surveys, tickets, customer contacts and marketing spend.",
}


@dataclass(frozen=True)
class Refusal:
    reason: str  # read_only, action or missing
    zh: str
    en: str

    def message(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class _Limits:
    read_only: tuple[re.Pattern[str], ...]
    actions: tuple[re.Pattern[str], ...]
    asks: re.Pattern[str]
    missing: tuple[tuple[str, str, re.Pattern[str]], ...]  # (what zh, what en, words)


@cache
def _limits() -> _Limits:
    raw = yaml.safe_load((HERE / "limits.yaml").read_text(encoding="utf-8"))
    read_only = tuple(re.compile(p, re.IGNORECASE) for p in raw["read_only"])
    missing = []
    for entry in raw["missing"]:
        zh = [re.escape(w) for w in entry.get("zh", [])]
        en = [rf"\b{re.escape(w)}\b" for w in entry.get("en", [])]
        missing.append((entry["what"]["zh"], entry["what"]["en"], re.compile("|".join(zh + en), re.IGNORECASE)))
    actions = tuple(re.compile(p, re.IGNORECASE) for p in raw["actions"])
    return _Limits(read_only, actions, re.compile(raw["asks"], re.IGNORECASE), tuple(missing))


def refusal(question: str) -> Refusal | None:
    """Why ``question`` gets no number, or None when nothing in it is outside what the data can answer.

    >>> refusal("帮我把这个客户删掉").reason, refusal("明天上海会下雨吗").reason
    ('read_only', 'missing')
    >>> refusal("华东区今年销售额前十的客户") is None
    True
    """
    limits = _limits()
    if any(p.search(question) for p in limits.read_only):
        return Refusal(
            "read_only",
            "我只能读取和分析数据,不能修改或删除(数据仓库对助手是只读的)。请在业务系统里操作;需要的话,我可以先把相关的数据查出来。",
            "I can only read and analyse the data, not change or delete it (the warehouse is read-only to the "
            "assistant). Make the change in your source system; I can look up the records concerned first.",
        )
    if any(p.search(question) for p in limits.actions) and not limits.asks.search(question):
        return Refusal(
            "action",
            "我只能查询和分析数据,不能替您发邮件、发消息、打电话或安排日程。需要的话,我可以先把要联系的客户名单查出来。",
            "I can only look up and analyse the data; I cannot send emails or messages, make calls or book meetings. "
            "I can list the customers concerned first.",
        )
    for what_zh, what_en, words in limits.missing:
        if words.search(question):
            return Refusal(
                "missing",
                f"数据里没有{what_zh}的信息,我不会用别的数字来凑答案。{HOLDS['zh']}",
                f"There is no {what_en} in the data, and I will not answer with some other figure. {HOLDS['en']}",
            )
    return None
