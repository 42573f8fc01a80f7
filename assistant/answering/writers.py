"""The first sentences of an analysis answer, written from a table of templates (writers.yaml).

For each tool, the first variant whose ``when`` matches the result's arguments writes: a heading that says what was
asked (the filters, the period, the topic), a lead that answers (the winner, the count, the value), context (share,
rank, the previous period) and, where our methodology says what to do, advice quoted from it with its citation.

Templates name what they need and never compute: ``{churn_rate}`` is a figure, ``{max:revenue_share.class}`` the
``class`` of the row with the largest ``revenue_share`` (``class`` reads ``class_zh`` or ``class_en``), ``{first.name}``
the first row's name. A sentence whose values are missing is left out, so a template never prints a gap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assistant.answering.formatting import fmt, kind_of, label, row_layout, spec, text_value
from assistant.answering.names import REP_SCOPE
from assistant.answering.value_names import english_filters
from knowledge.ourdocs import find_section
from tools.base import ToolResult

TABLE = Path(__file__).with_name("writers.yaml")
FILTERS = ("region", "city", "industry", "size", "acquisition_channel", "channel", "category", "department")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_ROW = re.compile(r"^(first|last|(?:max|min)\d?:\w+)\.(\w+)$")
_LIST = re.compile(r"^list(\d)(asc)?:(\w+)$")
_SOME = re.compile(r"<<(.+?)>>")
_ITEM = re.compile(r"^\s*\d+\.\s+(.*)$")


class Missing(Exception):
    """A template asked for a value the result does not have: its sentence is left out."""


@dataclass(frozen=True)
class Advice:
    """A point of our methodology quoted as advice, and where it comes from (an answer's citation)."""

    doc: str
    section: str
    title: str
    heading: str
    snippet: str
    source: str
    citation: str


@dataclass
class Written:
    """What the writer says before the table: the heading, the answer's sentences, advice and its source."""

    heading: str | None = None
    lead: list[str] = field(default_factory=list)
    advice: Advice | None = None


@cache
def table() -> dict[str, Any]:
    return dict(yaml.safe_load(TABLE.read_text(encoding="utf-8")))


# ---- scope: the filters and the period the answer applies to --------------------------------------------------
def where(args: Mapping[str, Any], lang: str) -> str:
    """The filters as words: "华东、大型" / "华东, 大型"; a rep's customers by the rep's id."""
    values = [text_value(str(v), lang) for k in FILTERS for v in (args.get(k) or [])]
    rep = args.get("rep_id") or []
    if rep:  # a rep's customers: "R031 名下" / "rep R031's accounts"
        reps = "、".join(str(r) for r in rep)
        values.append(REP_SCOPE["zh" if lang == "zh" else "en"][1].format(rep=reps))
    return ("、" if lang == "zh" else ", ").join(values)


def heading(topic: str, args: Mapping[str, Any], period: str | None, lang: str) -> str:
    """ "华东 2026年第3季度 销售额 按 客户" / "Revenue by customer — 华东, Q3 2026"."""
    w = where(args, lang)
    if lang == "zh":
        return " ".join(p for p in (w, period or "", topic) if p)
    scope = ", ".join(p for p in (w, period or "") if p)
    return f"{topic[:1].upper()}{topic[1:]}" + (f" — {scope}" if scope else "")


def scope(args: Mapping[str, Any], period: str | None, lang: str, as_of: Any = None) -> str:
    """The opening of a Chinese lead ("2026年第3季度,华东的") or the tail of an English one
    (" in East China via Online (Q3 2026)")."""
    when = period or (("截至 " if lang == "zh" else "as of ") + str(as_of) if as_of else "")
    if lang == "zh":
        w = where(args, lang)
        return f"{when}{',' if when else ''}{w}{'的' if w else ''}"
    # each filter by its kind: " in East China via Online", " for rep R031's accounts"
    w = english_filters((k, text_value(str(v), lang)) for k in FILTERS for v in args.get(k) or [])
    if args.get("rep_id"):
        w = f"{w} for rep {'、'.join(str(r) for r in args['rep_id'])}'s accounts".strip()
    # a period in brackets ("(Q3 2026)"); a date as words: "136 customers as of 2026-10-30 (6.9%)", not "(…) (…)"
    return (f" {w}" if w else "") + (f" ({when})" if period else f" {when}" if when else "")


# ---- values --------------------------------------------------------------------------------------------------
class _Reader:
    """Resolves one template's placeholders against a result."""

    def __init__(self, result: ToolResult, lang: str, period: str | None, names: Mapping[str, str]) -> None:
        self.r, self.lang, self.names = result, lang, names
        self.tool = result.tool
        figures = dict(result.figures)
        if isinstance(figures.get("totals"), dict):
            figures = {**figures["totals"], **figures}
        self.figures = figures
        metric = figures.get("metric")
        self.metric = metric if isinstance(metric, str) else None
        self.layout = row_layout(result.columns, result.rows, lang, result.tool) if result.rows else None
        self.specials: dict[str, Callable[[], str]] = {
            "scope": lambda: scope(result.arguments, period, lang, None if period else result.as_of),
            "n": lambda: f"{len(result.rows):,}",
            "dim": self._dim,
            "dimension": lambda: label(str(result.arguments.get("dimension") or ""), lang, self.tool),
            "metric_label": lambda: label(self.metric or "", lang, self.tool),
            "drivers": self._drivers,
            "as_of": self._as_of,
        }

    def fmt(self, value: Any, key: str) -> str:
        if value is None or (isinstance(value, str) and not value):
            raise Missing(key)
        return fmt(value, key, self.lang, self.tool, metric=self.metric)

    def _as_of(self) -> str:
        if self.r.as_of is None:
            raise Missing("as_of")
        return self.r.as_of.isoformat()

    def _dim(self) -> str:
        if self.layout is None or self.layout.name is None:
            raise Missing("dim")
        return label(self.r.columns[self.layout.name], self.lang, self.tool)

    def _drivers(self) -> str:
        top = self.figures.get("top_drivers")
        if not isinstance(top, list) or not top:
            raise Missing("drivers")
        sep = "、" if self.lang == "zh" else "; "
        key = "name_zh" if self.lang == "zh" else "name_en"
        return sep.join(
            f"{text_value(str(d.get(key) or d['name']), self.lang)}({self.fmt(d['contribution'], 'contribution')})"
            if self.lang == "zh"
            else f"{text_value(str(d.get(key) or d['name']), self.lang)} ({self.fmt(d['contribution'], 'contribution')})"
            for d in top
        )

    # rows
    def _ranked(self, sel: str) -> list[Any]:
        rows = self.r.rows
        if sel == "first":
            return rows[:1]
        if sel == "last":
            return rows[-1:]
        how, col = sel.split(":")
        if col not in self.r.columns:
            raise Missing(col)
        i = self.r.columns.index(col)
        usable = [row for row in self._named(rows) if _number(row[i])]
        nth = int(how[3:] or 1)
        ordered = sorted(usable, key=lambda row: float(row[i]), reverse=how.startswith("max"))
        return ordered[nth - 1 : nth]

    def _named(self, rows: list[list[Any]]) -> list[list[Any]]:
        """Rows that name a group: "(无)" (tickets with no product …) is no winner."""
        if self.layout is None or self.layout.name is None:
            return rows
        return [r for r in rows if r[self.layout.name] != "(无)"]

    def row_name(self, row: list[Any]) -> str:
        cols = self.r.columns
        for c in ("customer_name", "name"):
            if c in cols and row[cols.index(c)]:
                return text_value(str(row[cols.index(c)]), self.lang)
        if "customer_id" in cols:
            cid = str(row[cols.index("customer_id")])
            return self.names.get(cid, cid)
        if self.layout is None or self.layout.name is None:
            raise Missing("name")
        i = self.layout.name
        return fmt(row[i], cols[i], self.lang, self.tool)

    def cell(self, row: list[Any], col: str) -> str:
        cols = self.r.columns
        if col == "name":
            return self.row_name(row)
        if col == "dimension":  # the column the result is cut by (product_distribution's region, month …)
            col = str(self.r.arguments.get("dimension") or "")
        if col == "customer":
            if "customer_id" not in cols:
                raise Missing(col)
            cid = str(row[cols.index("customer_id")])
            return self.names.get(cid, cid)
        for c in (f"{col}_{self.lang}", col):
            if c in cols:
                if c == col and f"{col}_en" in cols and self.lang == "en":
                    continue  # X beside X_en: X is the Chinese label
                return self.fmt(row[cols.index(c)], c)
        if self.lang == "en" and f"{col}_en" in cols:
            return self.fmt(row[cols.index(f"{col}_en")], f"{col}_en")
        raise Missing(col)

    def listing(self, n: int, asc: bool, col: str) -> str:
        if col not in self.r.columns:
            raise Missing(col)
        i = self.r.columns.index(col)
        usable = [row for row in self._named(self.r.rows) if _number(row[i])]
        ordered = sorted(usable, key=lambda row: float(row[i]), reverse=not asc)[:n]
        if len(ordered) < 2:
            raise Missing(col)
        zh = self.lang == "zh"
        parts = [
            f"{self.row_name(r)}({self.fmt(r[i], col)})" if zh else f"{self.row_name(r)} ({self.fmt(r[i], col)})"
            for r in ordered
        ]
        return ("、" if zh else "; ").join(parts)

    def value(self, expr: str) -> str:
        expr, _, flt = expr.partition("|")
        if expr in self.specials:
            return self.specials[expr]()
        if expr.startswith("arg:"):  # an argument the tool ran with (a rule's threshold)
            raw_arg = self.r.arguments.get(expr[4:])
            if raw_arg is None:
                raise Missing(expr)
            return self.fmt(raw_arg, expr[4:])
        if m := _LIST.match(expr):
            return self.listing(int(m.group(1)), bool(m.group(2)), m.group(3))
        if m := _ROW.match(expr):
            rows = self._ranked(m.group(1))
            if not rows:
                raise Missing(expr)
            return self.cell(rows[0], m.group(2))
        if expr not in self.figures or isinstance(self.figures[expr], (dict, list)):
            raise Missing(expr)
        raw = self.figures[expr]
        if flt == "updown":
            return _updown(raw, self.lang)
        if flt == "abs" and isinstance(raw, (int, float, Decimal)):
            # the size of a change, its direction said in words: written in its own kind, without a sign
            kind = spec(expr, self.tool).get("kind")
            kind = kind_of(self.metric, self.tool) if kind == "metric" and self.metric else kind
            return fmt(abs(raw), "", self.lang, self.tool, kind=kind)
        return self.fmt(raw, expr)

    def _fill(self, template: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.value(m.group(1)), template)

    def _some(self, parts: str) -> str:
        """``<<a|b|c>>``: the parts whose values exist, joined as a list; missing only when none does."""
        shown = []
        for part in parts.split("|"):
            try:
                shown.append(self._fill(part))
            except Missing:
                continue
        if not shown:
            raise Missing(parts)
        return ("、" if self.lang == "zh" else ", ").join(shown)

    def sentence(self, template: str) -> str:
        return self._fill(_SOME.sub(lambda m: self._some(m.group(1)), template))


def _number(v: Any) -> bool:
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def _updown(raw: Any, lang: str) -> str:
    if not isinstance(raw, (int, float, Decimal)):
        raise Missing("updown")
    up = float(raw) >= 0
    return ("增加" if up else "减少") if lang == "zh" else ("up" if up else "down")


# ---- choosing and writing ------------------------------------------------------------------------------------
def _matches(when: Mapping[str, Any], args: Mapping[str, Any]) -> bool:
    for k, want in when.items():
        have = args.get(k)
        wanted = want if isinstance(want, list) else [want]
        if have not in wanted and not (want == "*" and have):
            return False
    return True


def variant(result: ToolResult) -> dict[str, Any] | None:
    """The first template of the result's tool whose ``when`` matches its arguments."""
    for v in table().get(result.tool or "", []) if not (result.tool or "").startswith("_") else []:
        if _matches(v.get("when") or {}, result.arguments):
            return dict(v)
    return None


def _sentences(reader: _Reader, templates: Any) -> list[str]:
    out = []
    for t in templates if isinstance(templates, list) else [templates] if templates else []:
        try:
            out.append(reader.sentence(str(t)))
        except Missing:
            continue
    return out


def _first_capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def advice(doc: str, anchor: str, item: int, lang: str) -> Advice | None:
    """The ``item``-th point of a section of our documents (its bold lead-in unmarked), with the citation."""
    found = find_section(doc, lang, anchor)
    if found is None:
        return None
    d, s = found
    items = [m.group(1) for line in s.text.splitlines() if (m := _ITEM.match(line))]
    if not 0 < item <= len(items):
        return None
    text = items[item - 1].replace("**", "")
    source = f"knowledge/docs/{lang}/{doc}.md#{anchor}"
    return Advice(doc, anchor, d.title, s.heading, text, source, citation(doc, anchor, lang) or source)


def citation(doc: str, anchor: str, lang: str) -> str | None:
    """How an answer cites a section of our documents: 《title》§heading (path#anchor)."""
    found = find_section(doc, lang, anchor)
    if found is None:
        return None
    d, s = found
    source = f"knowledge/docs/{lang}/{doc}.md#{anchor}"
    return f"《{d.title}》§{s.heading} ({source})" if lang == "zh" else f"“{d.title}” §{s.heading} ({source})"


def contradicted(question: str, result: ToolResult, lang: str) -> str | None:
    """ "并没有下降:" when the question says a figure fell (or rose) and the result's change went the other way."""
    change = result.figures.get("change")
    cues = table().get("_direction", {})
    if not question or not _number(change) or not cues:
        return None
    q = question.lower()

    def says(word: str) -> bool:  # English words whole ("up" is not in "supply"), Chinese ones anywhere
        return bool(re.search(rf"\b{re.escape(word)}\b", q)) if word.isascii() else word in q

    said = next((d for d in ("fell", "rose") if any(says(w) for w in cues[d]["words"])), None)
    went = "rose" if float(change) > 0 else "fell" if float(change) < 0 else None
    if said is None or went is None or said == went:
        return None
    return str(cues[said][lang])


def write(
    result: ToolResult,
    lang: str,
    period: str | None,
    names: Mapping[str, str] | None = None,
    question: str = "",
) -> Written | None:
    """The heading, lead and advice for ``result``, or None when its tool has no template. With the ``question``,
    a lead that contradicts what it assumed says so first ("为什么下滑了" when the figure rose)."""
    v = variant(result)
    if v is None:
        return None
    reader = _Reader(result, lang, period, names or {})
    topic = v.get("topic", {}).get(lang)
    out = Written(heading=heading(_sentences(reader, topic)[0], result.arguments, period, lang) if topic else None)
    out.lead = [_first_capital(s) for s in _sentences(reader, v.get("lead", {}).get(lang))]
    if out.lead and (not_so := contradicted(question, result, lang)):
        out.lead[0] = not_so + (out.lead[0] if lang == "zh" else out.lead[0][:1].lower() + out.lead[0][1:])
    out.lead += [_first_capital(s) for s in _sentences(reader, v.get("context", {}).get(lang))]
    if not result.rows and "empty" in v:
        out.lead = _sentences(reader, v["empty"].get(lang))
    how = v.get("advice")
    if how and result.rows:
        out.advice = advice(str(how["doc"]), str(how["anchor"]), int(how["item"]), lang)
    return out


def advice_of(result: ToolResult, lang: str) -> Advice | None:
    """The advice ``write`` quotes for ``result`` (for the answer's citations), without writing the rest."""
    v = variant(result)
    how = v.get("advice") if v else None
    if not how or not result.rows:
        return None
    return advice(str(how["doc"]), str(how["anchor"]), int(how["item"]), lang)


def fill(result: ToolResult, lang: str, templates: Any, names: Mapping[str, str] | None = None) -> list[str]:
    """``templates`` (one or a list, with this module's placeholders) written from ``result``; missing ones left out."""
    return _sentences(_Reader(result, lang, None, names or {}), templates)
