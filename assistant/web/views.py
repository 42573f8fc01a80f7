"""Turning an answer's JSON into what the page shows: chart, table, citations, provenance."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from assistant.answering.answer import label


def table(ans: dict[str, Any]) -> pd.DataFrame:
    data = ans.get("data") or {}
    return pd.DataFrame(data.get("rows") or [], columns=data.get("columns") or [])


def figure(ans: dict[str, Any]) -> go.Figure | None:
    """A plotly figure from the answer's chart spec; None when there is nothing to draw."""
    spec = ans.get("chart")
    df = table(ans)
    if not spec or df.empty:
        return None
    lang = ans.get("language", "zh")
    x, y = spec.get("x"), spec.get("y")
    ys = [c for c in ([y] if isinstance(y, str) else list(y or [])) if c in df.columns]
    if x not in df.columns or not ys:
        return None
    color = spec.get("color") if spec.get("color") in df.columns else None
    title = spec.get("title_zh" if lang == "zh" else "title_en") or ""
    labels = {c: label(c, lang) for c in [x, *ys, *([color] if color else [])]}
    kind = spec.get("kind", "bar")
    df = df.head(200)
    if kind == "line" or kind == "area":
        fig = (px.area if kind == "area" else px.line)(
            df, x=x, y=ys, color=color, title=title, labels=labels, markers=True
        )
    elif kind == "pie":
        fig = px.pie(df, names=x, values=ys[0], title=title, labels=labels)
    elif kind == "scatter":
        fig = px.scatter(df, x=x, y=ys[0], color=color, title=title, labels=labels)
    elif kind == "heatmap" and color:
        pivot = df.pivot_table(index=color, columns=x, values=ys[0], aggfunc="sum")
        fig = px.imshow(pivot, title=title, aspect="auto")
    else:
        fig = px.bar(df, x=x, y=ys, color=color, title=title, labels=labels, barmode="group")
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10}, height=380, legend_title_text="")
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
