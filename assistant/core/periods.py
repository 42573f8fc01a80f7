"""Calendar arithmetic shared by every comparison: the previous period and the same period last year.

One definition for the router, the metric layer, the business review and the change drivers: a calendar unit
(month, quarter, half, year) compares with the previous unit; one still running (this quarter to date) with
the same stretch of the previous unit, so both are equally long; any other span with the span of equal length
just before it.
"""

from __future__ import annotations

import calendar
import datetime as dt

UNIT_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def add_months(d: dt.date, months: int) -> dt.date:
    """``d`` moved by whole months, the day kept where the month has it (31 Mar − 1 month = 28/29 Feb).

    >>> add_months(dt.date(2026, 3, 31), -1)
    datetime.date(2026, 2, 28)
    """
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def unit_end(start: dt.date, grain: str) -> dt.date:
    """The last day of the calendar unit that starts on ``start``."""
    return add_months(start, UNIT_MONTHS[grain]) - dt.timedelta(days=1)


def _aligned(d: dt.date, grain: str) -> bool:
    return d.day == 1 and (d.month - 1) % UNIT_MONTHS[grain] == 0


def calendar_unit(start: dt.date, end: dt.date) -> str | None:
    """The smallest calendar unit that starts on ``start`` and contains ``end``; None for other spans.

    >>> calendar_unit(dt.date(2026, 7, 1), dt.date(2026, 9, 30)), calendar_unit(dt.date(2026, 10, 1), dt.date(2026, 10, 30))
    ('quarter', 'month')
    >>> calendar_unit(dt.date(2026, 8, 2), dt.date(2026, 8, 31)) is None
    True
    """
    for grain in UNIT_MONTHS:
        if _aligned(start, grain) and end <= unit_end(start, grain):
            return grain
    return None


def previous_span(start: dt.date, end: dt.date, grain: str | None = None) -> tuple[dt.date, dt.date]:
    """The period to compare ``start``..``end`` with. ``grain`` names its calendar unit when known (this quarter
    to date is a quarter, though its dates alone look like a month); else it is read from the dates.

    >>> previous_span(dt.date(2026, 9, 1), dt.date(2026, 9, 30))  # September: August, not Aug 2-31
    (datetime.date(2026, 8, 1), datetime.date(2026, 8, 31))
    >>> previous_span(dt.date(2026, 10, 1), dt.date(2026, 10, 30), "quarter")  # Q4 to date: the same days of Q3
    (datetime.date(2026, 7, 1), datetime.date(2026, 7, 30))
    >>> previous_span(dt.date(2026, 8, 2), dt.date(2026, 8, 31))  # 30 days: the 30 days before
    (datetime.date(2026, 7, 3), datetime.date(2026, 8, 1))
    """
    if grain is None or grain == "range":
        grain = calendar_unit(start, end)
    elif grain not in UNIT_MONTHS or not _aligned(start, grain):
        grain = None  # a day, a week, N days: the span just before
    if grain is not None:
        months = UNIT_MONTHS[grain]
        full = end >= unit_end(start, grain)
        prev_end = start - dt.timedelta(days=1) if full else add_months(end, -months)
        return add_months(start, -months), prev_end
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


def last_year_span(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The same dates a year earlier (29 February becomes the 28th).

    >>> last_year_span(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    (datetime.date(2023, 2, 1), datetime.date(2023, 2, 28))
    """
    return add_months(start, -12), add_months(end, -12)
