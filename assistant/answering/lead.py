"""The first sentence of a metric answer: the answer itself, with the filters and period it applies to.

"2026年,华东的销售额 2,346.6万,比去年同期(1,998.2万)增长 17.4%。" / "Revenue in 华东 (2026): 23,465,553, up 17.4%
on the same period last year (19,981,606)." The table and the figures follow; the text no longer needs the table
to be understood. Every number is read from the result (``fmt`` formats it).
"""

from __future__ import annotations

from typing import Any

from assistant.answering.formatting import fmt, kind_of, label
from tools.base import ToolResult

TOOL = "metric_query"
MAX_NAMES = 5
FILTERS = ("region", "city", "industry", "size", "acquisition_channel", "channel", "category", "department", "rep_id")
COMPARED = {
    "previous_period": {"zh": "上一期", "en": "the previous period"},
    "same_period_last_year": {"zh": "去年同期", "en": "the same period last year"},
}


def _scope(args: dict[str, Any], period: str | None, lang: str) -> str:
    """Where and when: "华东、大型" / "in 华东, 大型", and the period named."""
    values = [str(v) for k in FILTERS for v in args.get(k) or []]
    zh = lang == "zh"
    where = "、".join(values) if zh else ", ".join(values)
    if zh:
        return f"{period or ''}{(',' if period and where else '')}{where}{'的' if where else ''}"
    parts = [f"in {where}" if where else "", f"({period})" if period else ""]
    return " ".join(p for p in parts if p)


def _two_periods(values: list[tuple[str, Any]], metric: str, m_label: str, scope: str, lang: str) -> str:
    """Two periods side by side ("2025 then 2026"): the later against the earlier, as a percentage for amounts
    and counts, in points for ratios and scores (a percentage change of a percentage says nothing)."""
    (a, va), (b, vb) = values
    f = lambda v: fmt(v, metric, lang, TOOL)  # noqa: E731
    kind = kind_of(metric, TOOL)
    diff = ""
    if va not in (None, 0) and vb is not None:
        up = vb >= va
        if kind in ("percent", "ratio", "points", "score"):
            step = abs(float(vb) - float(va)) * (100 if kind == "ratio" else 1)
            diff = (
                f"{'高' if up else '低'} {step:.1f} 个点"
                if lang == "zh"
                else f"{'up' if up else 'down'} {step:.1f} points"
            )
        else:
            pct = abs(float(vb) / float(va) - 1) * 100
            diff = f"{'增加' if up else '减少'} {pct:.1f}%" if lang == "zh" else f"{'up' if up else 'down'} {pct:.1f}%"
    if lang == "zh":
        return f"{scope}{m_label}:{b} {f(vb)},{a} {f(va)}" + (f";{b}比{a}{diff}" if diff else "") + "。"
    head = f"{m_label[:1].upper()}{m_label[1:]}{' ' + scope if scope else ''}"
    return f"{head}: {b} {f(vb)}, {a} {f(va)}" + (f"; {b} is {diff} on {a}" if diff else "") + "."


def _plural(noun: str) -> str:
    """customer → customers, industry → industries, sales rep → sales reps."""
    if noun.endswith("s"):
        return noun
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"


def _name(row: list[Any], columns: list[str]) -> str | None:
    """The group a row is about: its name column when it has one (customer_name, rep name…), else its first text."""
    for c in columns:
        if c.endswith("_name") and isinstance(row[columns.index(c)], str):
            return str(row[columns.index(c)])
    return next((str(v) for v in row if isinstance(v, str)), None)


def _change(row: dict[str, Any], metric: str, compare: str, lang: str) -> str:
    pct, prev = row.get(f"{metric}_change_pct"), row.get(f"{metric}_previous")
    if prev is None:
        return ""
    against = COMPARED[compare][lang]
    prev_text = fmt(prev, metric, lang, TOOL)
    if pct is None:
        return f",{against}为 {prev_text}" if lang == "zh" else f" ({against}: {prev_text})"
    up = pct >= 0
    pct_text = f"{abs(pct):.1f}%"
    if lang == "zh":
        return f",比{against}({prev_text}){'增长' if up else '下降'} {pct_text}"
    return f", {'up' if up else 'down'} {pct_text} on {against} ({prev_text})"


def lead_sentence(result: ToolResult, lang: str, period: str | None) -> str | None:
    """The sentence that answers a metric question, or None when the result's shape has no one-line answer."""
    if result.tool != TOOL or not result.rows or not result.arguments.get("metrics"):
        return None
    args = result.arguments
    metric = str(args["metrics"][0])
    by = [str(b) for b in args.get("by") or []]
    zh = lang == "zh"
    scope = _scope(args, period, lang)
    m_label = label(metric, lang, TOOL)
    records = result.records()
    compare = str(args.get("compare") or "none")
    end = "。" if zh else "."
    if not by:
        row = records[0]
        value = fmt(row.get(metric), metric, lang, TOOL)
        change = _change(row, metric, compare, lang) if compare in COMPARED else ""
        if zh:
            return f"{scope}{m_label} {value}{change}{end}"
        return f"{m_label[:1].upper()}{m_label[1:]}{' ' + scope if scope else ''}: {value}{change}{end}"
    timed = len(by) == 1 and by[0] in ("day", "week", "month", "quarter", "year")
    # a period's key (2025, "2026-Q3") names its row when the row has no text
    names = [(_name(r, result.columns) or (str(r[0]) if timed else None), r) for r in result.rows]
    if any(n is None for n, _ in names):
        return None
    dim = label(by[0], lang, TOOL)
    if args.get("having"):
        n = len(result.rows)
        if result.figures.get("truncated"):
            # the rows stop at the limit: the count is a floor, not the answer
            if zh:
                return f"{scope}符合条件的{dim}超过 {n} 个,下表只列出前 {n} 个{end}"
            return f"More than {n} {_plural(dim)} match the conditions{' ' + scope if scope else ''}; the table shows the first {n}{end}"
        if zh:
            return f"{scope}符合条件的{dim}共 {n} 个{end}"
        return f"{n} {_plural(dim) if n != 1 else dim} match the conditions{' ' + scope if scope else ''}{end}"
    if len(by) == 1 and by[0] in ("day", "week", "month", "quarter", "year") and len(records) > 1:
        values = [
            (str(n), r[result.columns.index(metric)]) for n, r in names if r[result.columns.index(metric)] is not None
        ]
        if not values:
            return None
        hi = max(values, key=lambda x: x[1])
        lo = min(values, key=lambda x: x[1])
        last = values[-1]
        f = lambda v: fmt(v, metric, lang, TOOL)  # noqa: E731
        if len(values) == 2:
            return _two_periods(values, metric, m_label, scope, lang)
        if zh:
            return (
                f"{scope}{m_label}按{dim}:最高 {hi[0]}({f(hi[1])}),最低 {lo[0]}({f(lo[1])}),"
                f"最近一期 {last[0]}({f(last[1])}){end}"
            )
        return (
            f"{m_label[:1].upper()}{m_label[1:]} by {dim}{' ' + scope if scope else ''}: highest {hi[0]} ({f(hi[1])}), "
            f"lowest {lo[0]} ({f(lo[1])}), latest {last[0]} ({f(last[1])}){end}"
        )
    sort_key = str(args.get("sort_by") or metric)
    ranked = [(str(n), r) for n, r in names][:MAX_NAMES]

    def shown(r: list[Any]) -> str:
        key = sort_key if sort_key in result.columns else metric
        text = fmt(r[result.columns.index(key)], key, lang, TOOL)
        share = f"{metric}_share"
        if args.get("share") and share in result.columns:
            text += (
                ("," if zh else ", ") + ("占 " if zh else "") + fmt(r[result.columns.index(share)], share, lang, TOOL)
            )
            text += "" if zh else " of the total"
        return text

    listed = ("、" if zh else "; ").join(f"{n}({shown(r)})" if zh else f"{n} ({shown(r)})" for n, r in ranked)
    if len(result.rows) == 1 and args.get("top") == 1:
        n, r = ranked[0]
        key = metric if sort_key == metric else sort_key
        counted = kind_of(key, TOOL) == "count"  # "the most customers", not "the highest customers"
        asc = args.get("order") == "asc"
        word = ("最少" if asc else "最多") if counted else ("最低" if asc else "最高")
        en_word = ("fewest" if asc else "most") if counted else ("lowest" if asc else "highest")
        if zh:
            return f"{scope}{m_label if sort_key == metric else label(sort_key, lang, TOOL)}{word}的{dim}是{n}({shown(r)}){end}"
        key_label = m_label if sort_key == metric else label(sort_key, lang, TOOL)
        return f"The {dim} with the {en_word} {key_label}{' ' + scope if scope else ''} is {n} ({shown(r)}){end}"
    more = len(result.rows) - len(ranked)
    tail = (f"等 {len(result.rows)} 个" if zh else f" and {more} more") if more > 0 else ""
    if zh:
        return f"{scope}{m_label}按{dim}:{listed}{tail}{end}"
    return f"{m_label[:1].upper()}{m_label[1:]} by {dim}{' ' + scope if scope else ''}: {listed}{tail}{end}"
