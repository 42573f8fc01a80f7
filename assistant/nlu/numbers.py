"""Numbers as people write them: 10, 十, 二十五, 两, 一百二十, 3.5万, ten, top five.

>>> parse_int("二十五")
25
>>> parse_int("两")
2
>>> parse_int("一百零八")
108
>>> parse_int("twelve")
12
>>> parse_int("1,200")
1200
"""

from __future__ import annotations

import re

ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
EN_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
    "a dozen": 12,
    "dozen": 12,
}
ZH_NUM_CHARS = "零〇一二两俩三四五六七八九十百千万亿"
# A number token: arabic (with thousands separators / decimals) or Chinese numerals.
NUMBER_RE = rf"(?:\d[\d,]*(?:\.\d+)?|[{ZH_NUM_CHARS}]+)"


def _zh_to_int(text: str) -> int | None:
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in ZH_DIGITS:
            digit = ZH_DIGITS[ch]
        elif ch in ZH_UNITS:
            unit = ZH_UNITS[ch]
            if unit >= 10_000:
                section = (section + digit) * unit
                total += section
                section = 0
            else:
                section += (digit or (1 if unit == 10 else 0)) * unit
            digit = 0
        else:
            return None
    return total + section + digit


def parse_number(text: str) -> float | None:
    """Arabic, Chinese or English number; 万/亿/k suffixes scale it. None when it is not a number."""
    t = text.strip().lower().replace(",", "").replace(",", "")
    if not t:
        return None
    if t in EN_NUMBERS:
        return float(EN_NUMBERS[t])
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(万|亿|k|w|m)?", t)
    if m:
        scale = {"万": 1e4, "w": 1e4, "亿": 1e8, "k": 1e3, "m": 1e6}.get(m[2] or "", 1.0)
        return float(m[1]) * scale
    if all(ch in ZH_NUM_CHARS for ch in t):
        v = _zh_to_int(t)
        return float(v) if v is not None else None
    return None


def parse_int(text: str) -> int | None:
    v = parse_number(text)
    return int(v) if v is not None and v == int(v) else None


_TIMES_RE = re.compile(
    r"\b(once|twice|thrice)\b|\b(" + "|".join(EN_NUMBERS) + r")\s+times\b",
    re.IGNORECASE,
)
_TIMES = {"once": 1, "twice": 2, "thrice": 3}


def times_as_digits(text: str) -> str:
    """English counts of occurrences as digits, so conditions can read them: "more than twice" → "more than 2 times".

    >>> times_as_digits("complained more than twice, ordered three times")
    'complained more than 2 times, ordered 3 times'
    """

    def digits(m: re.Match[str]) -> str:
        if m.group(1):
            return f"{_TIMES[m.group(1).lower()]} times"
        return f"{EN_NUMBERS[m.group(2).lower()]} times"

    return _TIMES_RE.sub(digits, text)
