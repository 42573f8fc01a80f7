"""Answers: the text in the question's language, the table, a chart, citations and provenance.

Every number in the text is read from the tool result; nothing here computes a figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from assistant.answering.formatting import (  # noqa: F401 (re-exported: callers read formatting from here)
    NAME_COLUMNS,
    RowLayout,
    _row_line,
    cell_kind,
    fmt,
    is_detail,
    kind_of,
    label,
    row_layout,
    spec,
    text_value,
)
from assistant.answering.lead import lead_sentence
from assistant.answering.writers import heading, write
from assistant.core.jsonable import to_jsonable
from tools.base import ToolResult

MAX_TEXT_ROWS = 10


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
    suggestions: list[str] = field(default_factory=list)  # likelier readings of a question not understood
    follow_ups: list[str] = field(default_factory=list)  # next questions worth asking (assistant.answering.follow_ups)
    route: dict[str, Any] = field(default_factory=dict)
    elapsed_ms: float = 0.0
    parts: list[Answer] = field(default_factory=list)  # one answer per part of a question that asks several things

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
                "follow_ups": self.follow_ups,
                "route": self.route,
                "elapsed_ms": round(self.elapsed_ms, 1),
                **({"parts": [p.to_json() for p in self.parts]} if self.parts else {}),
            }
        )


def _topic(tool_name: str, tool_zh: str, tool_en: str, result: ToolResult, lang: str) -> str:
    """What was computed, in a few words: the chart's title, the metrics asked for, or the tool's name."""
    zh = lang == "zh"
    if result.chart is not None and (result.chart.title_zh if zh else result.chart.title_en):
        return str(result.chart.title_zh if zh else result.chart.title_en)
    metrics = result.arguments.get("metrics") if tool_name == "metric_query" else None
    if metrics:
        return ("、" if zh else ", ").join(label(str(m), lang, tool_name) for m in metrics)
    # The registry description starts with the tool's name: "RFM 分析:…" / "Churn and retention: …".
    desc = tool_zh if zh else tool_en
    return desc.split(":")[0].split(":")[0].strip()


def describe_result(
    tool_name: str,
    tool_zh: str,
    tool_en: str,
    result: ToolResult,
    lang: str,
    period: str | None,
    names: Mapping[str, str] | None = None,
    question: str = "",
) -> str:
    """The answer first (writers.yaml, or the metric layer's lead sentence), what our methodology says to do, then
    a heading that says what was asked, the headline figures and the first rows. ``names``: customer names by id,
    for results that list customers by id only."""
    zh = lang == "zh"
    tool = tool_name or result.tool or None
    written = write(result, lang, period, names, question) if tool != "metric_query" else None
    lead = [s for s in [lead_sentence(result, lang, period)] if s] if tool == "metric_query" else []
    lead += written.lead if written else []
    topic = _topic(tool_name, tool_zh, tool_en, result, lang)
    title = (written.heading if written else None) or heading(topic, result.arguments, period, lang)
    lines = []
    if lead:
        lines += [("" if zh else " ").join(lead), ""]
    if written and written.advice:
        how = written.advice
        # quoted as the methodology words it (its own terms may be in either language), with where it comes from
        lines += ["**怎么做:**" if zh else "**What to do:**", f"> {how.snippet}", f"> —— {how.citation}", ""]
    lines.append(f"**{title}**")
    scope = []
    if result.as_of:
        scope.append(("参考日 " if zh else "as of ") + result.as_of.isoformat())
    if scope:
        lines.append("（" + ";".join(scope) + "）" if zh else "(" + "; ".join(scope) + ")")
    figs = {k: v for k, v in result.figures.items() if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)}
    totals = result.figures.get("totals")
    if isinstance(totals, dict):
        figs = {**{k: v for k, v in totals.items() if isinstance(v, (int, float, Decimal))}, **figs}
    metric = result.figures.get("metric")
    metric = metric if isinstance(metric, str) else None
    shown = [(k, v) for k, v in figs.items() if not is_detail(k, tool)][:8]
    if (
        not lead
        and len(result.rows) == 1
        and any(isinstance(v, str) for v in result.rows[0])
        and tool != "metric_query"
    ):
        # One named row is the answer ("哪个渠道…最多"): say it first, not only in the table.
        layout = row_layout(result.columns, result.rows, lang, tool)
        lines.append("")
        lines.append(
            ("**结果:** " if zh else "**Answer:** ")
            + _row_line(result.columns, result.rows[0], lang, layout, tool, metric)
        )
    if shown:
        lines.append("")
        lines += [f"- {label(k, lang, tool)}: {fmt(v, k, lang, tool, metric=metric)}" for k, v in shown]
    if result.rows and (len(result.rows) > 1 or len(result.columns) > len(shown) + 1):
        lines.append("")
        lines.append(
            f"前 {min(len(result.rows), MAX_TEXT_ROWS)} 行(共 {len(result.rows)} 行):"
            if zh
            else f"First {min(len(result.rows), MAX_TEXT_ROWS)} of {len(result.rows)} rows:"
        )
        layout = row_layout(result.columns, result.rows, lang, tool)
        for i, row in enumerate(result.rows[:MAX_TEXT_ROWS], 1):
            lines.append(f"{i}. {_row_line(result.columns, row, lang, layout, tool, metric)}")
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


def result_text(
    tool_name: str,
    tool_zh: str,
    tool_en: str,
    result: ToolResult,
    lang: str,
    period: str | None,
    names: Mapping[str, str] | None = None,
    question: str = "",
) -> str:
    """The text for a tool result: its own narrative when it writes one (figures["markdown"]), else a description."""
    narrative = result.figures.get("markdown")
    if isinstance(narrative, str):
        return narrative
    return describe_result(tool_name, tool_zh, tool_en, result, lang, period, names, question)


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
