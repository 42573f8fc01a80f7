"""Turning an answer's JSON into what the page shows: chart, table, citations, provenance."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from assistant.answering.formatting import fmt, kind_of, label


def table(ans: dict[str, Any]) -> pd.DataFrame:
    data = ans.get("data") or {}
    return pd.DataFrame(data.get("rows") or [], columns=data.get("columns") or [])


def header(column: str, lang: str, tool: str | None = None) -> str:
    """A column's heading, axis title or legend entry: its label in the reader's language, capitalised in
    English ("Customer name")."""
    text = label(column, lang, tool)
    return text if lang == "zh" else text[:1].upper() + text[1:]


def _axis_column(name: str | None, columns: list[str], lang: str) -> str | None:
    """A bilingual pair's column in the reader's language (``class_zh`` → ``class_en`` for English)."""
    if not name:
        return None
    base = name[:-3] if name.endswith(("_zh", "_en")) else name
    return next((c for c in (f"{base}_{lang}", base, name) if c in columns), None)


def _title(spec: dict[str, Any], x: str, ys: list[str], lang: str, tool: str | None) -> str:
    title = str(spec.get("title_zh" if lang == "zh" else "title_en") or "")
    if title:
        return title[:1].upper() + title[1:]
    # words inside a sentence: labels as they are, only the title's first letter capitalised
    ys_label = ("、" if lang == "zh" else ", ").join(label(y, lang, tool) for y in ys)
    by = label(x, lang, tool)
    return f"按{by}的{ys_label}" if lang == "zh" else f"{ys_label[:1].upper()}{ys_label[1:]} by {by}"


def figure(ans: dict[str, Any]) -> go.Figure | None:
    """A plotly figure from the answer's chart spec, every word in the reader's language; None when there is
    nothing to draw. Measures of different kinds (an amount beside a count) are not drawn on one axis: the
    chart shows the first, the table all."""
    spec = ans.get("chart")
    df = table(ans)
    if not spec or df.empty:
        return None
    lang = "zh" if ans.get("language", "zh") == "zh" else "en"
    tool = ans.get("tool")
    columns = list(df.columns)
    x = _axis_column(spec.get("x"), columns, lang)
    y = spec.get("y")
    ys = [c for c in ([y] if isinstance(y, str) else list(y or [])) if c in columns]
    if x is None or not ys:
        return None
    ys = [c for c in ys if kind_of(c, tool) == kind_of(ys[0], tool)]
    color = _axis_column(spec.get("color"), columns, lang)
    labels = {c: header(c, lang, tool) for c in [x, *ys, *([color] if color else [])]}
    title = _title(spec, x, ys, lang, tool)
    kind = spec.get("kind", "bar")
    df = df.head(200).copy()
    for c in (x, color):
        if c and df[c].dtype == object:
            df[c] = [fmt(v, c, lang, tool) if v is not None else "" for v in df[c]]
    df = df.rename(columns=labels)
    X, YS, C = labels[x], [labels[c] for c in ys], labels.get(color) if color else None
    value = {"value": YS[0] if len(YS) == 1 else ("、" if lang == "zh" else ", ").join(YS), "variable": ""}
    if kind in ("line", "area"):
        fig = (px.area if kind == "area" else px.line)(df, x=X, y=YS, color=C, title=title, labels=value, markers=True)
    elif kind == "pie":
        fig = px.pie(df, names=X, values=YS[0], title=title)
    elif kind == "scatter":
        fig = px.scatter(df, x=X, y=YS[0], color=C, title=title)
    elif kind == "heatmap" and C:
        pivot = df.pivot_table(index=C, columns=X, values=YS[0], aggfunc="sum")
        fig = px.imshow(pivot, title=title, aspect="auto", labels={"x": X, "y": C, "color": YS[0]})
    else:
        fig = px.bar(df, x=X, y=YS, color=C, title=title, labels=value, barmode="group")
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=340,
        legend_title_text="",
        showlegend=len(YS) > 1 or C is not None,
        separators=".,",
    )
    if lang == "zh" and kind not in ("pie", "heatmap"):
        fig.update_yaxes(tickformat=",~r")  # "1,200,000" rather than "1.2M" in a Chinese chart
    if df[X].dtype == object:
        fig.update_xaxes(type="category")  # "2026-01" is a label, not a date to re-format as "Jan 2026"
    return fig


def citations_md(ans: dict[str, Any]) -> str:
    cites = ans.get("citations") or []
    if not cites:
        return ""
    head = "**出处**" if ans.get("language") == "zh" else "**Sources**"
    return head + "\n\n" + "\n".join(f"- {c['citation']}" for c in cites)


def provenance(ans: dict[str, Any]) -> tuple[str, str]:
    """How it was computed: tool, arguments, reference date, row count; and the SQL."""
    data = ans.get("data") or {}
    info = {
        "tool": ans.get("tool"),
        "arguments": ans.get("arguments"),
        "as_of": ans.get("as_of"),
        "rows": len(data.get("rows") or []),
        "route": (ans.get("route") or {}).get("reason"),
        "elapsed_ms": ans.get("elapsed_ms"),
    }
    return json.dumps(info, ensure_ascii=False, indent=2, default=str), "\n\n".join(ans.get("sql") or [])
