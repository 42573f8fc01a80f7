"""The first sentence of a metric answer: the answer itself, with the filters and period it applies to.

"2026年,华东的销售额 2,346.6万,比去年同期(1,998.2万)增长 17.4%。" / "Revenue in 华东 (2026): 23,465,553, up 17.4%
on the same period last year (19,981,606)." The table and the figures follow; the text no longer needs the table
to be understood. Every number is read from the result (``fmt`` formats it).
"""

from __future__ import annotations

import re
from typing import Any

from assistant.answering.formatting import fmt, kind_of, label, text_value
from assistant.answering.names import REP_SCOPE
from assistant.answering.value_names import english_filters
from tools.base import ToolResult

TOOL = "metric_query"
MAX_NAMES = 5
FILTERS = (
    "region", "city", "industry", "size", "acquisition_channel", "channel", "category", "department", "team",
    "ticket_kind", "issue_category", "survey_score", "contact_channel", "contact_purpose", "cohort", "rep_id",
)  # fmt: skip
# codes a filter holds that the answer names in words
CODES = {"ticket_kind": "kind"}
COMPARED = {
    "previous_period": {"zh": "上一期", "en": "the previous period"},
    "same_period_last_year": {"zh": "去年同期", "en": "the same period last year"},
}


def _values(args: dict[str, Any], lang: str, keys: tuple[str, ...] = FILTERS) -> list[str]:
    """The filter values named, codes in words ("complaint" → 投诉), a rep as the customers they look after."""
    return [v for _, v in _named(args, lang, keys)]


def _named(args: dict[str, Any], lang: str, keys: tuple[str, ...] = FILTERS) -> list[tuple[str, str]]:
    out = []
    for k in keys:
        for v in args.get(k) or []:
            if k in CODES:
                v = fmt(str(v), CODES[k], lang)
            elif k == "cohort":
                v = "新客户" if lang == "zh" else "new customers"
            elif k == "survey_score":
                v = _score_words(str(v), lang)
            elif k == "rep_id":
                v = REP_SCOPE["zh" if lang == "zh" else "en"][0].format(rep=v)
            else:
                v = text_value(str(v), lang)
            out.append((k, str(v)))
    return out


def _scope(args: dict[str, Any], period: str | None, lang: str) -> str:
    """Where and when: "华东、大型" / "in East China among Large customers", and the period named."""
    if lang == "zh":
        named = _named(args, lang)
        whose = "、".join(v for k, v in named if k == "rep_id")  # "您负责的客户里,大型的…", not "大型、您负责的客户的…"
        where = "、".join(v for k, v in named if k != "rep_id")
        if whose:
            where = f"{whose}里,{where}" if where else whose
        return f"{period or ''}{(',' if period and where else '')}{where}{'的' if where else ''}"
    return " ".join(p for p in (english_filters(_named(args, lang)), f"({period})" if period else "") if p)


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


# a condition in words: "距上次下单天数超过 90" / "days since the last order over 90"
_OPS = {">": ("超过", "over"), ">=": ("不少于", "at least"), "<": ("少于", "under"), "<=": ("不超过", "at most"),
        "=": ("等于", "equal to"), "!=": ("不等于", "other than")}  # fmt: skip


def _conditions(having: list[Any], lang: str) -> str:
    zh = lang == "zh"
    out = []
    for h in having:
        h = h if isinstance(h, dict) else dict(h)
        metric, op = str(h.get("metric")), str(h.get("op"))
        words = _OPS.get(op, (op, op))[0 if zh else 1]
        out.append(f"{label(metric, lang, TOOL)}{'' if zh else ' '}{words} {fmt(h.get('value'), metric, lang, TOOL)}")
    return ("、" if zh else " and ").join(out)


def _matching(result: ToolResult, dim: str, period: str | None, lang: str) -> str:
    """How many groups meet the conditions, the conditions in words, the filters after them:
    "距上次下单天数超过 90 的客户共 36 个(R001 负责的客户)。" / "36 customers have … over 90 (R001's customers)."."""
    n, args = len(result.rows), result.arguments
    cond, where = _conditions(args["having"], lang), _values(args, lang)
    if lang == "zh":
        scope = f"({'、'.join(where)})" if where else ""
        when = f"{period}," if period else ""
        if result.figures.get("truncated"):  # the rows stop at the limit: the count is a floor, not the answer
            return f"{when}{cond} 的{dim}超过 {n} 个{scope},下表只列出前 {n} 个。"
        return f"{when}{cond} 的{dim}共 {n} 个{scope}。"
    scope = "".join(f" ({p})" for p in (", ".join(where), period) if p)
    if result.figures.get("truncated"):
        return f"More than {n} {_plural(dim)} have {cond}{scope}; the table shows the first {n}."
    return f"{n} {_plural(dim) if n != 1 else dim} {'have' if n != 1 else 'has'} {cond}{scope}."


def _plural(noun: str) -> str:
    """customer → customers, industry → industries, sales rep → sales reps."""
    if noun.endswith("s"):
        return noun
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"


def _is_group(row: list[Any], values: set[str]) -> bool:
    """Whether the row is one of the groups named (by its key, before any English name is put on it)."""
    return bool(row) and str(row[0]) in values


def _name(row: list[Any], columns: list[str], lang: str) -> str | None:
    """The group a row is about: its name column when it has one (customer_name, rep name…), else its first text."""
    for c in columns:
        if c.endswith("_name") and isinstance(row[columns.index(c)], str):
            return str(row[columns.index(c)])
    return next((text_value(str(v), lang) for v in row if isinstance(v, str)), None)


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
    if args.get("share_of") and not by:
        return _part_of_whole(records[0], args, period, lang)
    top_share = result.figures.get("top_share")
    if isinstance(top_share, dict) and by:
        return _top_together(top_share, args, period, lang)
    if not by:
        row = records[0]
        value = fmt(row.get(metric), metric, lang, TOOL) + _unit(row.get(metric), metric, lang)
        change = _change(row, metric, compare, lang) if compare in COMPARED else ""
        if zh:
            return f"{scope}{m_label} {value}{change}{end}"
        return f"{m_label[:1].upper()}{m_label[1:]}{' ' + scope if scope else ''}: {value}{change}{end}"
    timed = len(by) == 1 and by[0] in ("day", "week", "month", "quarter", "year")
    # a period's key (2025, "2026-Q3") names its row when the row has no text
    names = [(_name(r, result.columns, lang) or (str(r[0]) if timed else None), r) for r in result.rows]
    if any(n is None for n, _ in names):
        return None
    dim = label(by[0], lang, TOOL)
    if args.get("having"):
        return _matching(result, dim, period, lang)
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

    focus = {str(v) for v in args.get("focus") or []}
    asked = [(n, r) for n, r in names if focus and _is_group(r, focus)]
    if asked and len(result.rows) > 1:
        # "what fraction of our customers are individuals": that group first, then the others for comparison
        first = ("、" if zh else "; ").join(f"{n}({shown(r)})" if zh else f"{n} ({shown(r)})" for n, r in asked)
        others = [(str(n), r) for n, r in names if (n, r) not in asked][: MAX_NAMES - 1]
        rest = ("、" if zh else "; ").join(f"{n}({shown(r)})" if zh else f"{n} ({shown(r)})" for n, r in others)
        if zh:
            return f"{scope}{m_label}:{first}{end}其他{dim}:{rest}{end}"
        return f"{m_label[:1].upper()}{m_label[1:]}{' ' + scope if scope else ''}: {first}{end} Others: {rest}{end}"
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


def _part_of_whole(row: dict[str, Any], args: dict[str, Any], period: str | None, lang: str) -> str | None:
    """A share as two figures and their ratio, the share first: "2026年,退货单数占全部订单数的 3.1%:全部订单数
    7,579,其中退货单数 236。" The whole is named with the filters both sides share; the part with its own."""
    metric = str(args["metrics"][0])
    whole = str(args["share_of"]["metric"])
    share, part_v, whole_v = row.get(f"{metric}_share"), row.get(metric), row.get(f"whole_{whole}")
    if share is None:
        return None
    drop = tuple(args["share_of"].get("drop") or [])
    zh = lang == "zh"
    sep = "、" if zh else ", "
    where = sep.join(_values({k: v for k, v in args.items() if k not in drop}, lang))
    who = sep.join(_values(args, lang, drop))
    p_label, w_label = label(metric, lang, TOOL), label(whole, lang, TOOL)
    same = metric == whole
    f = lambda v, k: fmt(v, k, lang, TOOL)  # noqa: E731
    pct = fmt(share, f"{metric}_share", lang, TOOL)
    if zh:
        part_name = f"{who}的{p_label}" if who else p_label
        whole_name = f"{where}{'全部' if same else '的'}{w_label}" if where else f"{'全部' if same else ''}{w_label}"
        when = f"{period}," if period else ""
        return f"{when}{part_name}占{whole_name}的 {pct}:{whole_name} {f(whole_v, whole)},其中{part_name} {f(part_v, metric)}。"
    part_name = f"{p_label} ({who})" if who else p_label
    whole_name = f"{'all ' if same else ''}{w_label}"
    when = f" ({'; '.join(x for x in (where, period) if x)})" if where or period else ""
    return (
        f"{part_name[:1].upper()}{part_name[1:]} as a share of {whole_name}{when}: {pct} "
        f"({f(part_v, metric)} of {f(whole_v, whole)})."
    )


def _top_together(top: dict[str, Any], args: dict[str, Any], period: str | None, lang: str) -> str:
    """The top N rows together, first: "2026年销售额前 10 的客户合计 1,162.8万,占全部(7,715.1万)的 15.1%。"."""
    metric, n = str(top["metric"]), int(top["n"])
    dim = label(str(args["by"][0]), lang, TOOL)
    scope = _scope(args, period, lang)
    f = lambda v: fmt(v, metric, lang, TOOL)  # noqa: E731
    pct = fmt(top["share"], f"{metric}_share", lang, TOOL)
    m_label = label(metric, lang, TOOL)
    if lang == "zh":
        return f"{scope}{m_label}前 {n} 的{dim}合计 {f(top['value'])},占全部({f(top['total'])})的 {pct}。"
    where = f" {scope}" if scope else ""
    return f"The top {n} {_plural(dim)} by {m_label}{where} together: {f(top['value'])}, {pct} of the total ({f(top['total'])})."


def _unit(value: Any, metric: str, lang: str) -> str:
    """A duration's unit, and in days too when it runs past a day ("62.3 小时(约 2.6 天)"): people ask in either."""
    if kind_of(metric, TOOL) != "hours" or not isinstance(value, (int, float)):
        return ""
    days = float(value) / 24
    if lang == "zh":
        return " 小时" + (f"(约 {days:.1f} 天)" if days >= 1 else "")
    return " hours" + (f" (about {days:.1f} days)" if days >= 1 else "")


SCORE_NAMES = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
SCORE_OPS = {"=": ("", ""), ">=": ("及以上", " or more"), "<=": ("及以下", " or less"), ">": ("以上", " or more"),
             "<": ("以下", " or less")}  # fmt: skip


def _score_words(spec: str, lang: str) -> str:
    """ "nps=0" → "NPS 打 0 分" / "NPS 0"; "ces>=5" → "CES 打 5 分及以上" / "CES 5 or more"."""
    m = re.match(r"^(nps|csat|ces)(>=|<=|=|>|<)(\d+(?:\.\d+)?)$", spec)
    if not m:
        return spec
    name, (zh_op, en_op) = SCORE_NAMES[m.group(1)], SCORE_OPS.get(m.group(2), ("", ""))
    n = m.group(3)
    return f"{name} 打 {n} 分{zh_op}" if lang == "zh" else f"{name} {n}{en_op}"
