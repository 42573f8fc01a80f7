"""Answers: the text in the question's language, the table, a chart, citations and provenance.

Every number in the text is read from the tool result; nothing here computes a figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from assistant.core.jsonable import to_jsonable
from tools.base import ToolResult
from tools.tables import load as load_table

MAX_TEXT_ROWS = 10
CUSTOMER_ID_COLUMNS = ("customer_id", "customer")


@dataclass
class Citation:
    doc: str
    section: str
    title: str
    heading: str
    snippet: str
    source: str
    citation: str

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class Answer:
    question: str
    language: str
    answer: str
    tool: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    as_of: dt.date | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    definitions: list[dict[str, Any]] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    chart: dict[str, Any] | None = None
    notices: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    route: dict[str, Any] = field(default_factory=dict)
    elapsed_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "question": self.question,
                "language": self.language,
                "answer": self.answer,
                "tool": self.tool,
                "arguments": self.arguments,
                "as_of": self.as_of,
                "data": {"columns": self.columns, "rows": self.rows},
                "figures": self.figures,
                "definitions": self.definitions,
                "sql": self.sql,
                "citations": [c.to_dict() for c in self.citations],
                "chart": self.chart,
                "notices": self.notices,
                "suggestions": self.suggestions,
                "route": self.route,
                "elapsed_ms": round(self.elapsed_ms, 1),
            }
        )


# ---- formatting ---------------------------------------------------------------------------------
@cache
def _metric_meta() -> dict[str, Any]:
    sem = load_table("metrics")
    return {**sem["metrics"], **{f"dim:{k}": v for k, v in sem["dimensions"].items()}}


def label(key: str, lang: str) -> str:
    """A column or figure name in the reader's language (metric and dimension names from the semantic layer)."""
    meta = _metric_meta()
    base = key.removesuffix("_name")
    for k in (key, f"dim:{key}", f"dim:{base}"):
        if k in meta and meta[k].get(lang):
            suffix = "" if k != f"dim:{base}" or key == base else ("名称" if lang == "zh" else " name")
            return str(meta[k][lang]) + suffix
    for suffix, zh, en in (
        ("_change_pct", "变化%", "change %"),
        ("_change", "变化", "change"),
        ("_prev", "上期", "previous"),
    ):
        if key.endswith(suffix):
            return f"{label(key[: -len(suffix)], lang)} {zh if lang == 'zh' else en}"
    return key.replace("_", " ")


def fmt(value: Any, key: str = "", lang: str = "zh") -> str:
    """Numbers for reading: thousands separators, 万 for large Chinese amounts, two decimals at most."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        kind = _metric_meta().get(key, {}).get("format")
        if kind == "percent" or key.endswith("_pct"):
            return f"{value:,.1f}%"
        if key.endswith(("_rate", "_share")) and abs(value) <= 1:
            return f"{value:.1%}"
        if lang == "zh" and abs(value) >= 100_000 and kind in ("money", None):
            return f"{value / 10_000:,.1f}万"
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def _row_line(columns: list[str], row: list[Any], lang: str) -> str:
    name_col = next((c for c in ("customer_name", "name", "product_name", "rep_name") if c in columns), columns[0])
    skip = {name_col, *CUSTOMER_ID_COLUMNS} if name_col != columns[0] else {name_col}
    parts = [f"{label(c, lang)} {fmt(v, c, lang)}" for c, v in zip(columns, row, strict=True) if c not in skip][:5]
    sep = ":" if lang == "zh" else ": "
    return f"{fmt(row[columns.index(name_col)], name_col, lang)}{sep}{', '.join(parts)}"


def describe_result(
    tool_name: str, tool_zh: str, tool_en: str, result: ToolResult, lang: str, period: str | None
) -> str:
    """A short, faithful account of the result: what was computed, the headline figures, the first rows."""
    zh = lang == "zh"
    title = ""
    if result.chart is not None:
        title = result.chart.title_zh if zh else result.chart.title_en
    if not title:
        # The registry description starts with the tool's name: "RFM 分析:…" / "Churn and retention: …".
        desc = tool_zh if zh else tool_en
        title = desc.split(":")[0].split(":")[0].strip()
    lines = [f"**{title}**"]
    scope = []
    if period:
        scope.append(period)
    if result.as_of:
        scope.append(("参考日 " if zh else "as of ") + result.as_of.isoformat())
    if scope:
        lines.append("（" + ";".join(scope) + "）" if zh else "(" + "; ".join(scope) + ")")
    figs = {k: v for k, v in result.figures.items() if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)}
    totals = result.figures.get("totals")
    if isinstance(totals, dict):
        figs = {**{k: v for k, v in totals.items() if isinstance(v, (int, float, Decimal))}, **figs}
    skip = {"rows", "limit", "rows_returned", "truncated", "population", "customers_shown"}
    shown = [(k, v) for k, v in figs.items() if k not in skip][:8]
    if shown:
        lines.append("")
        lines += [f"- {label(k, lang)}: {fmt(v, k, lang)}" for k, v in shown]
    if result.rows and (len(result.rows) > 1 or len(result.columns) > len(shown) + 1):
        lines.append("")
        lines.append(
            f"前 {min(len(result.rows), MAX_TEXT_ROWS)} 行(共 {len(result.rows)} 行):"
            if zh
            else f"First {min(len(result.rows), MAX_TEXT_ROWS)} of {len(result.rows)} rows:"
        )
        for i, row in enumerate(result.rows[:MAX_TEXT_ROWS], 1):
            lines.append(f"{i}. {_row_line(result.columns, row, lang)}")
    elif not result.rows:
        lines.append("")
        lines.append("没有符合条件的数据。" if zh else "No data matches these conditions.")
    if result.figures.get("truncated"):
        lines.append("")
        lines.append(
            "结果已截断,表格只显示前面的行。"
            if zh
            else "The result was truncated; the table shows the first rows only."
        )
    return "\n".join(lines)


def result_text(tool_name: str, tool_zh: str, tool_en: str, result: ToolResult, lang: str, period: str | None) -> str:
    """The text for a tool result: its own narrative when it writes one (figures["markdown"]), else a description."""
    narrative = result.figures.get("markdown")
    if isinstance(narrative, str):
        return narrative
    return describe_result(tool_name, tool_zh, tool_en, result, lang, period)


def chart_for(result: ToolResult) -> dict[str, Any] | None:
    """The tool's own chart suggestion, or one chosen from the shape of the table."""
    if result.chart is not None:
        return result.chart.model_dump()
    if len(result.rows) < 2 or len(result.columns) < 2:
        return None  # one row (a profile, a total) reads better as text than as a chart
    numeric = [
        c
        for i, c in enumerate(result.columns)
        if all(isinstance(r[i], (int, float, Decimal)) or r[i] is None for r in result.rows)
    ]
    text = [c for c in result.columns if c not in numeric]
    if not numeric or not text:
        return None
    x = next((c for c in text if c in ("month", "quarter", "week", "day", "year")), None)
    if x:
        return {"kind": "line", "x": x, "y": numeric[:3], "color": None, "title_zh": "", "title_en": ""}
    x = next((c for c in text if c.endswith("name")), text[0])
    return {"kind": "bar", "x": x, "y": numeric[:2], "color": None, "title_zh": "", "title_en": ""}
