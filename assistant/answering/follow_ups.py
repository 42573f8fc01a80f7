"""Two or three next questions under an answer (chips in the chat): the breakdown, the trend, the drivers.

Read from the answer's own plan (tool and arguments), written as whole questions in the reader's language, so a
click asks something the assistant answers on its own. The table is ``follow_ups.yaml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assistant.answering.formatting import label, text_value
from assistant.answering.value_names import english_filters
from assistant.core.periods import calendar_unit

TABLE = Path(__file__).with_name("follow_ups.yaml")
TIME_DIMS = ("month", "quarter", "week", "year", "day")
MAX = 3


@cache
def table() -> dict[str, Any]:
    return dict(yaml.safe_load(TABLE.read_text(encoding="utf-8")))


def _date(v: Any) -> dt.date | None:
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10]) if v else None
    except ValueError:
        return None


def period_words(start: Any, end: Any, lang: str) -> str:
    """A period as the router reads it: "2026年第3季度" / "Q3 2026"; dates for any other span."""
    s, e = _date(start), _date(end)
    if s is None or e is None:
        return ""
    zh = lang == "zh"
    unit = calendar_unit(s, e)
    if unit == "year":
        return f"{s.year}年" if zh else f" in {s.year}"
    if unit == "quarter":
        q = (s.month - 1) // 3 + 1
        return f"{s.year}年第{q}季度" if zh else f" in Q{q} {s.year}"
    if unit == "month":
        return f"{s.year}年{s.month}月" if zh else f" in {s.strftime('%B %Y')}"
    return f"{s}至{e}" if zh else f" from {s} to {e}"


def _where(args: Mapping[str, Any], carries: list[str], lang: str) -> str | None:
    """The answer's filters as words; None when it has one a suggestion cannot carry."""
    known = {"start", "end", "as_of", "metrics", "by", "top", "limit", "compare", "share", "having", *carries}
    if any(v not in (None, [], "", False, "none") for k, v in args.items() if k not in known):
        return None
    if lang == "zh":
        return "".join(str(v) for k in carries for v in (args.get(k) or []))
    # English names the router reads back ("in North China", "among Large customers")
    words = english_filters((k, text_value(str(v), lang)) for k in carries for v in args.get(k) or [])
    return f" {words}" if words else ""


def _metric_follow_ups(args: Mapping[str, Any], lang: str) -> list[str]:
    t = table()["metric_query"]
    metrics = list(args.get("metrics") or [])
    where = _where(args, t["carries"], lang)
    if len(metrics) != 1 or where is None:
        return []
    metric = metrics[0]
    by = list(args.get("by") or [])
    shape = "total" if not by else "by_time" if by[0] in TIME_DIMS else "by_group"
    values = {
        "metric": label(metric, lang),
        "period": period_words(args.get("start"), args.get("end"), lang),
        "where": where,
    }
    out = []
    for item in t[shape]:
        kind, dim = next(iter(item.items())) if isinstance(item, dict) else (item, None)
        if dim is not None and (dim in by or any(args.get(d) for d in [dim, *t.get("within", {}).get(dim, [])])):
            continue  # already broken down by it, or filtered to one value of it (or of something inside it)
        if kind == "drivers" and (metric not in t["drivers_for"] or not values["period"] or where):
            continue  # the drivers explain the whole company's revenue over a period
        text = t["phrases"][kind][lang].format(**values, dim=label(dim, lang) if dim else "")
        out.append(text[:1].upper() + text[1:] if lang == "en" else text)
    return out


def follow_ups(tool: str | None, args: Mapping[str, Any], lang: str) -> list[str]:
    """Up to three next questions for an answer of ``tool`` with ``args``, in ``lang``."""
    if tool == "metric_query":
        return _metric_follow_ups(args, lang)[:MAX]
    fixed = table()["tools"].get(tool or "", {})
    return list(fixed.get(lang, []))[:MAX]
