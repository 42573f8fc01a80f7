"""Time expressions in Chinese and English → a concrete period, relative to a reference date.

The reference date is the data's "today" (by default the last order date), never the clock:
"今年" on data that ends 2026-10-30 means 2026-01-01 to 2026-10-30.

>>> ref = dt.date(2026, 10, 30)
>>> find_period("华东区今年销售额前十的客户", ref).period.span()
('2026-01-01', '2026-10-30')
>>> find_period("top customers last quarter", ref).period.span()
('2026-07-01', '2026-09-30')
>>> find_period("最近90天的订单", ref).period.span()
('2026-08-02', '2026-10-30')
>>> find_period("2024年1月到6月", ref).period.span()
('2024-01-01', '2024-06-30')
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.core.periods import add_months, last_year_span, previous_span
from assistant.nlu.numbers import NUMBER_RE, ZH_NUM_CHARS, parse_int

D = dt.date


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    grain: str  # day, week, month, quarter, half, year, range
    zh: str
    en: str

    def span(self) -> tuple[str, str]:
        return self.start.isoformat(), self.end.isoformat()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period to compare with (``assistant.core.periods.previous_span``): last month for a month, the
        previous 90 days for 90 days; a calendar unit still running (this year to date) compares with the same
        stretch of the previous unit, so the two are equally long."""
        start, end = previous_span(self.start, self.end, self.grain)
        return Period(start, end, self.grain, f"{self.zh}的上一期", f"the period before {self.en}")

    def same_period_last_year(self) -> Period:
        start, end = last_year_span(self.start, self.end)
        return Period(start, end, self.grain, f"去年同期({self.zh})", f"same period last year ({self.en})")


@dataclass(frozen=True)
class TimeMatch:
    period: Period
    start: int
    end: int
    text: str


def _month_end(year: int, month: int) -> dt.date:
    return D(year, month, calendar.monthrange(year, month)[1])


def _year(y: int, ref: dt.date) -> Period:
    return Period(D(y, 1, 1), D(y, 12, 31), "year", f"{y}年", str(y))


def _quarter(y: int, q: int) -> Period:
    return Period(D(y, 3 * q - 2, 1), _month_end(y, 3 * q), "quarter", f"{y}年第{q}季度", f"Q{q} {y}")


def _month(y: int, m: int) -> Period:
    return Period(D(y, m, 1), _month_end(y, m), "month", f"{y}年{m}月", f"{calendar.month_name[m]} {y}")


def _half(y: int, h: int) -> Period:
    return Period(
        D(y, 1 if h == 1 else 7, 1),
        _month_end(y, 6 if h == 1 else 12),
        "half",
        f"{y}年{'上' if h == 1 else '下'}半年",
        f"H{h} {y}",
    )


def _to_date(p: Period, ref: dt.date) -> Period:
    """A unit that contains the reference date ends at it ("this year" = year to date)."""
    if p.start <= ref < p.end:
        return Period(p.start, ref, p.grain, p.zh, p.en)
    return p


def _last_n(n: int, unit: str, ref: dt.date) -> Period:
    if unit == "day":
        start = ref - dt.timedelta(days=n - 1)
    elif unit == "week":
        start = ref - dt.timedelta(days=7 * n - 1)
    elif unit == "month":
        start = add_months(ref, -n) + dt.timedelta(days=1)
    elif unit == "quarter":
        start = add_months(ref, -3 * n) + dt.timedelta(days=1)
    else:
        start = add_months(ref, -12 * n) + dt.timedelta(days=1)
    zh_unit = {"day": "天", "week": "周", "month": "个月", "quarter": "个季度", "year": "年"}[unit]
    return Period(start, ref, "range", f"最近{n}{zh_unit}", f"the last {n} {unit}{'s' if n != 1 else ''}")


def _past_month(month: int, ref: dt.date) -> int:
    """The year of the most recent such month at or before the reference date."""
    return ref.year if month <= ref.month else ref.year - 1


ZH_UNIT = {
    "天": "day",
    "日": "day",
    "周": "week",
    "星期": "week",
    "个月": "month",
    "月": "month",
    "个季度": "quarter",
    "季度": "quarter",
    "年": "year",
}
EN_UNIT = {
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "quarter": "quarter",
    "quarters": "quarter",
    "year": "year",
    "years": "year",
}
EN_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m
}
EN_MONTH_RE = "|".join(sorted(EN_MONTHS, key=len, reverse=True))
ZH_Q = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
N = NUMBER_RE
YEAR = r"(20\d\d|19\d\d)"
# what makes a day the start of a span up to now: "起", "以来", "到现在", "至今"
SINCE_MARK = r"(?:(?:起|开始)\s*(?:(?:到|至)\s*(?:现在|今天|目前|如今)|至今)?|以来|以后|之后|至今|(?:到|至)\s*(?:现在|今天|目前|如今))"

Handler = Callable[[re.Match[str], dt.date], Period | None]


# A question about how something changed between two years compares them ("从2024到2025年销售额增长了多少", "how did
# revenue change from 2024 to 2025"): the two years are read one by one, not as one span.
_CHANGE_WORDS = re.compile(
    r"增长|增加|下降|减少|变化|变动|对比|比较|相比|同比|环比|涨|跌|多了|少了|"
    r"\b(?:chang\w*|grow\w*|grew|increas\w*|decreas\w*|declin\w*|compar\w*|vs|versus|differ\w*|rise|rose|fell|drop\w*)\b",
    re.IGNORECASE,
)


def _years(first: int, last: int, ref: dt.date) -> Period | None:
    """Whole years from ``first`` to ``last`` (the running one to the reference date); None when not in order."""
    if not first < last <= ref.year:
        return None
    return _to_date(Period(D(first, 1, 1), D(last, 12, 31), "range", f"{first}至{last}年", f"{first} to {last}"), ref)


def _iso(s: str) -> dt.date:
    y, m, d = (int(x) for x in re.split(r"[-/.年月日]", s.strip("日"))[:3])
    return D(y, m, d)


def _rel_year(word: str, ref: dt.date) -> int:
    return {"今": 0, "本": 0, "去": -1, "上": -1, "前": -2, "this": 0, "last": -1}[word] + ref.year


RULES: list[tuple[str, Handler]] = [
    # explicit date ranges
    (
        rf"(?:从|自|between\s+|from\s+)?({YEAR}[-/.年]\d{{1,2}}[-/.月]\d{{1,2}}日?)\s*(?:到|至|-|~|—|and|to|until)\s*({YEAR}[-/.年]\d{{1,2}}[-/.月]\d{{1,2}}日?)",
        lambda m, r: Period(_iso(m[1]), _iso(m[3]), "range", f"{m[1]}至{m[3]}", f"{m[1]} to {m[3]}"),
    ),
    # a span of whole years: 2024到2025, 2024年至2025年, from 2024 through 2025, 2024-2025, "2024 or 2025" (either of
    # them: both years); not when the question asks how they changed (compared one by one)
    (
        rf"(?:从|自|between\s+|from\s+|in\s+)?{YEAR}\s*年?\s*(?:到|至|~|—|-|through|to|until|or|或)\s*{YEAR}\s*年(?!\s*\d{{1,2}}\s*月)|"
        rf"(?:从|自|between\s+|from\s+|in\s+)?{YEAR}\s*年?\s*(?:到|至|~|—|-|through|to|until|or|或)\s*{YEAR}(?![\d年/.-])",
        lambda m, r: None if _CHANGE_WORDS.search(m.string) else _years(int(m[1] or m[3]), int(m[2] or m[4]), r),
    ),
    # 2024年1月到6月, 2024年1月至2024年6月, 2024年1-6月
    (
        rf"{YEAR}年\s*(\d{{1,2}})\s*月?\s*(?:到|至|-|~|—)\s*(?:{YEAR}年)?\s*(\d{{1,2}})\s*月(?:份)?",
        lambda m, r: Period(
            D(int(m[1]), int(m[2]), 1),
            _month_end(int(m[3] or m[1]), int(m[4])),
            "range",
            f"{m[1]}年{m[2]}月至{m[3] or m[1]}年{m[4]}月",
            f"{m[1]}-{int(m[2]):02d} to {m[3] or m[1]}-{int(m[4]):02d}",
        ),
    ),
    # 去年12月到今年3月, 今年1月至6月
    (
        r"([今去前本])年\s*(\d{1,2})\s*月?\s*(?:到|至|-|~|—)\s*(?:([今去前本])年)?\s*(\d{1,2})\s*月(?:份)?",
        lambda m, r: _to_date(
            Period(
                D(_rel_year(m[1], r), int(m[2]), 1),
                _month_end(_rel_year(m[3] or m[1], r), int(m[4])),
                "range",
                f"{m[1]}年{m[2]}月至{m[3] or m[1]}年{m[4]}月",
                f"{_rel_year(m[1], r)}-{int(m[2]):02d} to {_rel_year(m[3] or m[1], r)}-{int(m[4]):02d}",
            ),
            r,
        ),
    ),
    # from January to June 2024
    (
        rf"(?:from\s+)?({EN_MONTH_RE})\s*(?:{YEAR})?\s*(?:to|until|through|-)\s*({EN_MONTH_RE})\s*,?\s*{YEAR}",
        lambda m, r: Period(
            D(int(m[2] or m[4]), EN_MONTHS[m[1].lower()], 1),
            _month_end(int(m[4]), EN_MONTHS[m[3].lower()]),
            "range",
            f"{m[2] or m[4]}年{EN_MONTHS[m[1].lower()]}月至{m[4]}年{EN_MONTHS[m[3].lower()]}月",
            f"{m[1]} to {m[3]} {m[4]}",
        ),
    ),
    # quarters: 2024年Q3, 2024年第三季度, 2024Q3, Q3 2024, 2024 Q3
    (rf"{YEAR}\s*年?\s*(?:第?([一二三四1-4])季度|[Qq]([1-4]))", lambda m, r: _quarter(int(m[1]), ZH_Q[m[2] or m[3]])),
    (rf"[Qq]([1-4])\s*(?:of\s+)?{YEAR}", lambda m, r: _quarter(int(m[2]), int(m[1]))),
    # the first quarters or months of a year: 前三季度 (Q1–Q3, as business Chinese uses it), 一到三季度, Q1-Q3,
    # the first three quarters of 2025
    (
        rf"(?:{YEAR}\s*年?|([今去前本])年)?\s*(?:的)?\s*前\s*([一二两三1-3])\s*(?:个)?季度",
        lambda m, r: _first_quarters(_year_of(m[1], m[2], r), ZH_Q.get(m[3], 2), r),
    ),
    (
        # the first may carry its own 季度 ("今年一季度到三季度")
        rf"(?:{YEAR}\s*年?|([今去本])年)?\s*(?:的)?\s*(?:第)?([一二三1-3])\s*(?:季度)?\s*(?:到|至|-|~|—)\s*(?:第)?([二三四2-4])\s*季度",
        lambda m, r: _quarters(_year_of(m[1], m[2], r), ZH_Q[m[3]], ZH_Q[m[4]], r),
    ),
    (
        rf"\b[Qq]([1-3])\s*(?:-|–|~|through|thru)\s*[Qq]([2-4])\b(?:\s*(?:of\s+)?{YEAR})?",  # "Q2 to Q3" compares
        lambda m, r: _quarters(int(m[3]) if m[3] else _recent_year(int(m[1]), r), int(m[1]), int(m[2]), r),
    ),
    (
        rf"\bfirst\s+(two|three|2|3)\s+quarters(?:\s+of\s+(?:{YEAR}|(this|last)\s+year))?",
        lambda m, r: _first_quarters(_year_of(m[2], m[3], r), parse_int(m[1]) or 3, r),
    ),
    # halves
    (rf"{YEAR}\s*年?\s*(上|下)半年", lambda m, r: _half(int(m[1]), 1 if m[2] == "上" else 2)),
    (r"([今去前本])年\s*(上|下)半年", lambda m, r: _to_date(_half(_rel_year(m[1], r), 1 if m[2] == "上" else 2), r)),
    (rf"[Hh]([12])\s*(?:of\s+)?{YEAR}", lambda m, r: _half(int(m[2]), int(m[1]))),
    (rf"(first|second)\s+half\s+of\s+{YEAR}", lambda m, r: _half(int(m[2]), 1 if m[1] == "first" else 2)),
    (
        r"(first|second)\s+half\s+of\s+(this|last)\s+year",
        lambda m, r: _to_date(_half(_rel_year(m[2], r), 1 if m[1] == "first" else 2), r),
    ),
    (r"(?<![今去前本\d年])(上|下)半年", lambda m, r: _to_date(_half(r.year, 1 if m[1] == "上" else 2), r)),
    # shopping festivals name their month: 双十一 (11-11), 双十二, 618
    (
        r"([今去前本])年\s*(?:的)?\s*(双十一|双11|双十二|双12|618|六一八)",
        lambda m, r: _month(_rel_year(m[1], r), _FESTIVAL_MONTH[m[2]]),
    ),
    (
        r"(双十一|双11|双十二|双12|六一八)",
        lambda m, r: _month(_past_month(_FESTIVAL_MONTH[m[1]], r), _FESTIVAL_MONTH[m[1]]),
    ),
    # a public holiday on a fixed date names its month when the month is said ("国庆那个月", "去年五一当月"); the
    # holiday alone ("国庆期间") is its days, not read here
    (
        r"(?:([今去前本])年\s*(?:的)?)?(国庆节?|元旦|五一|劳动节)\s*(?:那个月|那一个月|那月|当月|所在的?月份?)",
        lambda m, r: _to_date(
            _month(_rel_year(m[1], r) if m[1] else _past_month(_FESTIVAL_MONTH[m[2]], r), _FESTIVAL_MONTH[m[2]]), r
        ),
    ),
    # a quarter or a month of a year named relatively: 去年三季度, 今年Q1, 去年9月, Q3 last year, last year's June
    (
        r"([今去前本])年\s*(?:的)?\s*(?:第([一二三四1-4])\s*季度?|([一二三四1-4])\s*季度|[Qq]([1-4]))",
        lambda m, r: _to_date(_quarter(_rel_year(m[1], r), ZH_Q[m[2] or m[3] or m[4]]), r),
    ),
    (
        r"([今去前本])年\s*(?:的)?\s*(1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])\s*月份?(?![\d天])",
        lambda m, r: _to_date(_month(_rel_year(m[1], r), parse_int(m[2]) or 1), r),
    ),
    (
        r"\b[Qq]([1-4])\s+(?:of\s+)?(this|last)\s+year\b",
        lambda m, r: _to_date(_quarter(_rel_year(m[2].lower(), r), int(m[1])), r),
    ),
    (
        r"\b(this|last)\s+year'?s\s+[Qq]([1-4])\b",
        lambda m, r: _to_date(_quarter(_rel_year(m[1].lower(), r), int(m[2])), r),
    ),
    (
        rf"\b({EN_MONTH_RE})\s+(?:of\s+)?(this|last)\s+year\b",
        lambda m, r: _to_date(_month(_rel_year(m[2].lower(), r), EN_MONTHS[m[1].lower()]), r),
    ),
    (
        rf"\b(this|last)\s+year'?s\s+({EN_MONTH_RE})\b",
        lambda m, r: _to_date(_month(_rel_year(m[1].lower(), r), EN_MONTHS[m[2].lower()]), r),
    ),
    # since a day, before the month it falls in: "从2025年1月1日起到现在", "7月1号以来" (the year named, else this year's)
    (
        rf"(?:自|从)?\s*(?:{YEAR}\s*年\s*)?(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*[日号]?\s*{SINCE_MARK}",
        lambda m, r: _since_day(m[1], int(m[2]), int(m[3]), r),
    ),
    # months with a year
    (rf"{YEAR}\s*年\s*(\d{{1,2}})\s*月(?:份)?", lambda m, r: _month(int(m[1]), int(m[2]))),
    (rf"{YEAR}-(\d{{1,2}})(?!\d|-\d)", lambda m, r: _month(int(m[1]), int(m[2])) if 1 <= int(m[2]) <= 12 else None),
    (rf"({EN_MONTH_RE})\.?\s*,?\s*{YEAR}", lambda m, r: _month(int(m[2]), EN_MONTHS[m[1].lower()])),
    # since a month / date
    (
        rf"(?:自|从)?\s*(\d{{1,2}}|[{ZH_NUM_CHARS}]+)\s*月(?:份)?(?:以来|起|开始|至今|到现在)",
        lambda m, r: _since_month(parse_int(m[1]), r),
    ),
    (rf"since\s+({EN_MONTH_RE})\b", lambda m, r: _since_month(EN_MONTHS[m[1].lower()], r)),
    (
        rf"(?:since|from|after)\s+(?:the\s+)?(?:start|beginning)\s+of\s+{YEAR}|from\s+{YEAR}\s+on(?:wards?)?|{YEAR}\s+onwards?"
        rf"|(?:自|从){YEAR}\s*年?\s*(?:起|开始|以后|之后)|{YEAR}\s*年\s*(?:起|开始|以后|之后)",
        lambda m, r: (
            (y := next(g for g in m.groups() if g)) and Period(D(int(y), 1, 1), r, "range", f"{y}年以来", f"since {y}")
        ),
    ),
    (
        r"([今去前本])年\s*(?:以来|至今|开始|起|到现在)",
        lambda m, r: Period(
            D(_rel_year(m[1], r), 1, 1), r, "range", f"{_rel_year(m[1], r)}年以来", f"since {_rel_year(m[1], r)}"
        ),
    ),
    (rf"since\s+{YEAR}", lambda m, r: Period(D(int(m[1]), 1, 1), r, "range", f"{m[1]}年以来", f"since {m[1]}")),
    # 2024到现在, 从2025年至今, from 2024 to now / to date / until today
    (
        rf"(?:从|自|from\s+)?{YEAR}\s*年?\s*(?:到|至|-|~|—|to|until|through)\s*(?:现在|今天|目前|至今|如今|now|today|date|the present)",
        lambda m, r: Period(D(int(m[1]), 1, 1), r, "range", f"{m[1]}年以来", f"since {m[1]}"),
    ),
    (
        rf"{YEAR}\s*年(?:以来|至今)",
        lambda m, r: Period(D(int(m[1]), 1, 1), r, "range", f"{m[1]}年以来", f"since {m[1]}"),
    ),
    # last N units
    (
        rf"(?:最近|近|过去|前|这)\s*({N})\s*(个季度|季度|个月|天|日|周|星期|年)",
        lambda m, r: _last_n(parse_int(m[1]) or 1, ZH_UNIT[m[2]], r),
    ),
    (
        rf"(?:in\s+)?(?:the\s+)?(?:last|past|previous|recent)\s+({N}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty)\s+(days?|weeks?|months?|quarters?|years?)",
        lambda m, r: _last_n(parse_int(m[1]) or 1, EN_UNIT[m[2]], r),
    ),
    (r"(?:最近|近|过去)\s*(一|1)?\s*(?:个)?(年|周|星期|个月|月)", lambda m, r: _last_n(1, ZH_UNIT[m[2]], r)),
    (r"(?:最近|近|过去)\s*半年", lambda m, r: _last_n(6, "month", r)),
    (r"(?:the\s+)?(?:past|last)\s+(?:six months|half[- ]year)", lambda m, r: _last_n(6, "month", r)),
    (r"(?:the\s+)?(?:past|last)\s+(12 months|twelve months)", lambda m, r: _last_n(12, "month", r)),
    # year to date
    (
        r"(?:今年以来|年初至今|今年迄今|本年至今|\bYTD\b|year[\s-]to[\s-]date)",
        lambda m, r: Period(D(r.year, 1, 1), r, "range", "今年以来", "year to date"),
    ),
    # relative calendar units
    (r"(今|本|去|前|上)\s*年(?!级)", lambda m, r: _to_date(_year(_rel_year({"上": "去"}.get(m[1], m[1]), r), r), r)),
    (r"\b(this|last)\s+year\b", lambda m, r: _to_date(_year(_rel_year(m[1], r), r), r)),
    (
        r"(本|这个|这|上个|上一个|上)\s*季(?:度)?",
        lambda m, r: _rel_quarter(0 if m[1] in ("本", "这个", "这") else -1, r),
    ),
    (r"\b(this|last|previous)\s+quarter\b", lambda m, r: _rel_quarter(0 if m[1] == "this" else -1, r)),
    (
        r"(本|这个|这|上个|上一个|上)\s*月(?!份?\d)",
        lambda m, r: _rel_month(0 if m[1] in ("本", "这个", "这") else -1, r),
    ),
    (r"\b(this|last|previous)\s+month\b", lambda m, r: _rel_month(0 if m[1] == "this" else -1, r)),
    (r"(本|这|上)\s*(?:周|星期)", lambda m, r: _rel_week(0 if m[1] in ("本", "这") else -1, r)),
    (r"\b(this|last)\s+week\b", lambda m, r: _rel_week(0 if m[1] == "this" else -1, r)),
    (r"(今天|今日|\btoday\b)", lambda m, r: Period(r, r, "day", "今天", "today")),
    (
        r"(昨天|昨日|\byesterday\b)",
        lambda m, r: Period(r - dt.timedelta(days=1), r - dt.timedelta(days=1), "day", "昨天", "yesterday"),
    ),
    # bare years and months, least specific last
    (rf"(?:in\s+)?{YEAR}\s*年?(?!\d)", lambda m, r: _year(int(m[1]), r)),
    (r"第?([一二三四1-4])季度", lambda m, r: _past_quarter(ZH_Q[m[1]], r)),
    # not \b: Chinese characters are word characters, so "Q3里", "Q3的" have no word boundary after the 3
    (r"(?<![A-Za-z0-9])[Qq]([1-4])(?![A-Za-z0-9])", lambda m, r: _past_quarter(int(m[1]), r)),
    (
        r"(?<![\d年])(1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])\s*月份?(?![\d天])",
        lambda m, r: _month(_past_month(parse_int(m[1]) or 1, r), parse_int(m[1]) or 1),
    ),
    (
        rf"\b(?:in|during|for|over|of)\s+({EN_MONTH_RE})\b(?!\.?\s*,?\s*\d)",
        lambda m, r: _month(_past_month(EN_MONTHS[m[1].lower()], r), EN_MONTHS[m[1].lower()]),
    ),
    # a month's full name alone ("September compared with August"); "may" and the abbreviations are everyday
    # words, so they count as months only after a preposition (above)
    (
        r"\b(january|february|march|april|june|july|august|september|october|november|december)\b(?!\.?\s*,?\s*\d)",
        lambda m, r: _month(_past_month(EN_MONTHS[m[1].lower()], r), EN_MONTHS[m[1].lower()]),
    ),
]


def _year_of(year: str | None, rel: str | None, ref: dt.date) -> int:
    """The year a phrase names: a number, 今/去/本年 or this/last year; the reference year when it names none."""
    if year:
        return int(year)
    if rel:
        return _rel_year(rel.lower(), ref)
    return ref.year


def _recent_year(first_quarter: int, ref: dt.date) -> int:
    """The year of "Q1-Q3" with no year: this year once its first quarter has begun (always: Q1 starts it)."""
    return ref.year if D(ref.year, 3 * first_quarter - 2, 1) <= ref else ref.year - 1


def _quarters(year: int, first: int, last: int, ref: dt.date) -> Period | None:
    if not 1 <= first < last <= 4:
        return None
    start, end = _quarter(year, first).start, _quarter(year, last).end
    zh_q, en_q = "一二三四"[first - 1] + "到" + "一二三四"[last - 1], f"Q{first}–Q{last}"
    return _to_date(Period(start, end, "range", f"{year}年{zh_q}季度", f"{en_q} {year}"), ref)


def _first_quarters(year: int, n: int, ref: dt.date) -> Period | None:
    p = _quarters(year, 1, n, ref)
    if p is None:
        return None
    zh_n = "一二三"[n - 1]
    return Period(p.start, p.end, p.grain, f"{year}年前{zh_n}季度", f"the first {n} quarters of {year}")


_FESTIVAL_MONTH = {
    **{"双十一": 11, "双11": 11, "双十二": 12, "双12": 12, "618": 6, "六一八": 6},
    **{"国庆": 10, "国庆节": 10, "元旦": 1, "五一": 5, "劳动节": 5},  # holidays on fixed dates
}


def _since_day(year: str | None, month: int, day: int, ref: dt.date) -> Period | None:
    """From a day to the reference date; with no year, the last such day on or before it."""
    try:
        start = D(int(year) if year else ref.year, month, day)
        if not year and start > ref:
            start = D(ref.year - 1, month, day)
    except ValueError:
        return None  # "2月30日": no such day
    if start > ref:
        return None
    zh, en = f"{start.year}年{month}月{day}日以来", f"since {start.isoformat()}"
    return Period(start, ref, "range", zh, en)


def _since_month(month: int | None, ref: dt.date) -> Period | None:
    if not month or not 1 <= month <= 12:
        return None
    start = D(_past_month(month, ref), month, 1)
    return Period(
        start, ref, "range", f"{start.year}年{month}月以来", f"since {calendar.month_name[month]} {start.year}"
    )


def _rel_quarter(offset: int, ref: dt.date) -> Period:
    q0 = (ref.month - 1) // 3
    start = add_months(D(ref.year, 3 * q0 + 1, 1), 3 * offset)
    p = _quarter(start.year, (start.month - 1) // 3 + 1)
    return _to_date(p, ref)


def _past_quarter(q: int, ref: dt.date) -> Period:
    year = ref.year if D(ref.year, 3 * q - 2, 1) <= ref else ref.year - 1
    return _to_date(_quarter(year, q), ref)


def _rel_month(offset: int, ref: dt.date) -> Period:
    start = add_months(D(ref.year, ref.month, 1), offset)
    return _to_date(_month(start.year, start.month), ref)


def _rel_week(offset: int, ref: dt.date) -> Period:
    monday = ref - dt.timedelta(days=ref.weekday()) + dt.timedelta(weeks=offset)
    p = Period(
        monday,
        monday + dt.timedelta(days=6),
        "week",
        "本周" if offset == 0 else "上周",
        "this week" if offset == 0 else "last week",
    )
    return _to_date(p, ref) if offset == 0 else p


# \b between ASCII letters or digits and anything else: Chinese characters are word characters to `re`, so a
# plain \b never matches in "Q3里", "YTD销售额", "last quarter的销售额" (English periods inside Chinese text).
ASCII_BOUNDARY = r"(?:(?<![A-Za-z0-9_])(?=[A-Za-z0-9_])|(?<=[A-Za-z0-9_])(?![A-Za-z0-9_]))"
_COMPILED = [(re.compile(p.replace(r"\b", ASCII_BOUNDARY), re.IGNORECASE), h) for p, h in RULES]


def find_period(text: str, ref: dt.date) -> TimeMatch | None:
    """The first (leftmost, then most specific) time expression in ``text``, resolved against ``ref``."""
    best: TimeMatch | None = None
    for rx, handler in _COMPILED:
        for m in rx.finditer(text):
            try:
                period = handler(m, ref)
            except (ValueError, KeyError):  # 2024年13月, 2月30日: not a date, keep looking
                period = None
            if period is None:
                continue
            cand = TimeMatch(period, m.start(), m.end(), m.group(0))
            if best is None or cand.start < best.start or (cand.start == best.start and cand.end > best.end):
                best = cand
            break
    return best


def find_all_periods(text: str, ref: dt.date) -> list[TimeMatch]:
    """Every non-overlapping time expression, left to right ("2025年和2024年对比")."""
    out: list[TimeMatch] = []
    pos = 0
    while pos < len(text):
        m = find_period(text[pos:], ref)
        if m is None:
            break
        out.append(TimeMatch(m.period, m.start + pos, m.end + pos, m.text))
        pos += m.end
    return out


COMPARE_PATTERNS: dict[str, tuple[str, ...]] = {
    # one source of truth for comparison words
    "same_period_last_year": (
        "同比",
        "去年同期",
        "与去年相比",
        "比去年",
        "和去年比",
        "year over year",
        "year-over-year",
        "yoy",
        "vs last year",
        "compared with last year",
        "compared to last year",
        "same period last year",
        "跟去年比",
        "跟去年同期",
        "和去年同期",
        "较去年",
        "比前年",
        "比去年多",
        "比去年少",
        "对比去年",
        "growth vs last year",
        "versus last year",
        "vs. last year",
        "from last year",
        "yoy growth",
    ),
    "previous_period": (
        "环比",
        "上期",
        "比上月",
        "比上个月",
        "比上季度",
        "与上期相比",
        "period over period",
        "vs previous",
        "compared with the previous",
        "compared to the previous",
        "vs last month",
        "vs last quarter",
        "mom",
        "qoq",
        "比上期",
        "比上一期",
        "比前一期",
        "比前一个月",
        "比上一个月",
        "比前一个季度",
        "比上一个季度",
        "比再上一个季度",
        "比再上个季度",
        "比再上一个月",
        "比再上个月",
        "比上上个月",
        "比上上季度",
        "比上上个季度",
        "比前一季度",
        "较上季度",
        "跟上季度比",
        "和上季度比",
        "跟上个季度比",
        "较上月",
        "较上期",
        "跟上个月比",
        "和上个月比",
        "跟上月比",
        "the month before",
        "the quarter before",
        "prior period",
        "month over month",
        "month-over-month",
        "quarter over quarter",
        "quarter-over-quarter",
    ),
}


# The same unit a year before, however it is worded: "去年同季度", "上年同月", "the same quarter last year".
SAME_UNIT_LAST_YEAR_RE = re.compile(
    r"(?:去年|上年|上一年|前一年)\s*(?:的)?\s*同(?:一)?\s*(?:个)?\s*(?:季度|季|月份?|月|时期|期|周)"
    r"|\bsame\s+(?:quarter|month|week|period|time)\s+(?:of\s+)?(?:last|the\s+previous|a)\s+year\b"
    r"|\bsame\s+(?:quarter|month|week)\s+a\s+year\s+(?:ago|earlier|before)\b",
    re.IGNORECASE,
)
# The period before, however it is worded: "跟再前一个季度比", "比再往前一个季度", "和上一期相比", "against the prior quarter".
PREVIOUS_UNIT_RE = re.compile(
    r"(?:比|跟|和|与|较|对比|相比|相较)\s*(?:于)?\s*(?:再)?\s*(?:往)?\s*(?:上|前)\s*(?:上|推)?\s*(?:一)?\s*(?:个)?\s*"
    r"(?:季度|季|月份?|期|周|星期)"
    r"|\b(?:vs\.?|versus|compared\s+(?:with|to)|against|than)\s+(?:the\s+)?(?:previous|prior|preceding|last)\s+"
    r"(?:month|quarter|period|week|half)\b",
    re.IGNORECASE,
)


def find_comparison(text: str) -> str | None:
    low = text.lower()
    for kind, words in COMPARE_PATTERNS.items():
        for w in words:
            if re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", low):
                return kind
    if SAME_UNIT_LAST_YEAR_RE.search(low):
        return "same_period_last_year"
    if PREVIOUS_UNIT_RE.search(low):
        return "previous_period"
    return None
