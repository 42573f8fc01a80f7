"""A report as Markdown, HTML with charts, Excel (a sheet per section) or PDF (the HTML printed by Chromium)."""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from assistant.core.errors import ConfigError
from assistant.report.build import Figure, Report


def _fmt(v: Any, unit: str, lang: str) -> str:
    if v is None:
        return "—"
    if unit == "count":
        return f"{int(v):,}"
    if unit == "pct":
        return f"{float(v):.1f}%"
    if unit == "money":
        return f"{float(v):,.0f}" + (" 元" if lang == "zh" else " CNY")
    return f"{float(v):,.2f}"


def _cell(v: Any) -> str:
    """A table cell: thousands separated; a figure rounded to one decimal (a share in %) shows that one."""
    if v is None:
        return "—"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:,.1f}" if v == round(v, 1) else f"{v:,.2f}"


def _change(f: Figure, other: Any, lang: str) -> str:
    if other is None or f.value is None:
        return "—"
    if f.unit == "pct":
        d = float(f.value) - float(other)
        return f"{d:+.1f} " + ("个百分点" if lang == "zh" else "pts")
    if f.unit == "points":  # a score (NPS runs -100..100, CES 1..7): how far it moved, not a percentage of itself
        d = float(f.value) - float(other)
        return f"{d:+.2f} " + ("分" if lang == "zh" else "pts")
    pct = f.change_pct(other)
    return "—" if pct is None else f"{pct:+.1f}%"


def _title(rep: Report) -> str:
    zh = rep.lang == "zh"
    scope = (
        ", ".join(f"{k}={'/'.join(map(str, v))}" for k, v in rep.scope.items())
        if rep.scope
        else ("全部客户" if zh else "all customers")
    )
    return (
        f"客户经营情况总结:{rep.period.zh}({scope})" if zh else f"Customer business review: {rep.period.en} ({scope})"
    )


def figure_rows(rep: Report, section_figs: list[Figure]) -> tuple[list[str], list[list[str]]]:
    zh = rep.lang == "zh"
    cols = (
        ["指标", "本期", "上期", "环比", "去年同期", "同比"]
        if zh
        else ["measure", "this period", "previous", "change", "last year", "vs last year"]
    )
    rows = []
    for f in section_figs:
        rows.append(
            [
                f.zh if zh else f.en,
                _fmt(f.value, f.unit, rep.lang),
                _fmt(f.previous, f.unit, rep.lang),
                _change(f, f.previous, rep.lang),
                _fmt(f.last_year, f.unit, rep.lang),
                _change(f, f.last_year, rep.lang),
            ]
        )
    return cols, rows


def summary(rep: Report) -> str:
    """The report in two or three sentences, first: revenue and its changes, buyers and churn, then what to watch
    (each section's first call-out but the actions'). Every figure is one of the report's own."""
    zh = rep.lang == "zh"
    parts = []
    revenue, buyers, churn = rep.figure("revenue"), rep.figure("customers"), rep.figure("churn_rate")
    if revenue is not None and revenue.value is not None:
        changes = [
            (word, _change(revenue, other, rep.lang))
            for word, other in (
                (("环比", "on the previous period"), revenue.previous),
                (("同比", "on last year"), revenue.last_year),
            )
        ]
        said = [f"{w[0]} {c}" if zh else f"{c} {w[1]}" for w, c in changes if c != "—"]
        parts.append(
            f"本期销售额 {_fmt(revenue.value, 'money', rep.lang)}" + (f"({'、'.join(said)})" if said else "")
            if zh
            else f"Revenue this period was {_fmt(revenue.value, 'money', rep.lang)}"
            + (f" ({', '.join(said)})" if said else "")
        )
    if buyers is not None and buyers.value is not None:
        parts.append(
            f"成交客户 {_fmt(buyers.value, 'count', rep.lang)} 个"
            if zh
            else f"{_fmt(buyers.value, 'count', rep.lang)} customers bought"
        )
    if churn is not None and churn.value is not None:
        prev = (
            ""
            if churn.previous is None
            else (
                f"(上期 {_fmt(churn.previous, 'pct', rep.lang)})"
                if zh
                else f" (previous {_fmt(churn.previous, 'pct', rep.lang)})"
            )
        )
        parts.append(
            f"流失率 {_fmt(churn.value, 'pct', rep.lang)}{prev}"
            if zh
            else f"the churn rate was {_fmt(churn.value, 'pct', rep.lang)}{prev}"
        )
    head = ("**要点**:" + ",".join(parts) + "。") if zh else ("**Summary**: " + "; ".join(parts) + ".")
    watch = [s.callouts[0] for s in rep.sections if s.callouts and s.key != "actions"]
    if watch:
        head += (
            ("需要关注:" + "".join(w if w.endswith("。") else w + "。" for w in watch))
            if zh
            else (" Watch: " + " ".join(watch))
        )
    if any(s.key == "actions" and s.callouts for s in rep.sections):
        head += "各类客户的建议行动见文末。" if zh else " Actions for each customer type are at the end."
    return head


def to_markdown(rep: Report) -> str:
    zh = rep.lang == "zh"
    out = [f"# {_title(rep)}", ""]
    out.append(
        f"期间 {rep.period.start} 至 {rep.period.end};上期 {rep.previous.start} 至 {rep.previous.end};去年同期 {rep.last_year.start} 至 {rep.last_year.end}。"
        if zh
        else f"Period {rep.period.start} to {rep.period.end}; previous {rep.previous.start} to {rep.previous.end}; last year {rep.last_year.start} to {rep.last_year.end}."
    )
    out += ["", summary(rep)]
    for s in rep.sections:
        out += ["", f"## {s.zh if zh else s.en}", ""]
        if s.figures:
            cols, rows = figure_rows(rep, s.figures)
            keep = [i for i, c in enumerate(cols) if any(r[i] != "—" for r in rows)]
            out.append("| " + " | ".join(cols[i] for i in keep) + " |")
            out.append("|" + "---|" * len(keep))
            out += ["| " + " | ".join(r[i] for i in keep) + " |" for r in rows]
        for title, cols, rows in s.tables:
            out += ["", f"**{title}**", ""] if title else [""]
            out.append("| " + " | ".join(map(str, cols)) + " |")
            out.append("|" + "---|" * len(cols))
            out += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in rows]
        if s.callouts:
            out += ["", "**值得注意 / 行动**" if zh else "**Notable / actions**"]
            out += [f"- {c}" for c in s.callouts]
        for text, cite in s.explain:
            out += ["", f"> {text}", f"> —— {cite}" if zh else f"> — {cite}"]
    return "\n".join(out) + "\n"


def to_html(rep: Report) -> str:
    import markdown_it  # ships with gradio's dependencies

    body = markdown_it.MarkdownIt("commonmark").enable("table").render(to_markdown(rep))
    charts = _charts_html(rep)
    css = (
        "body{font-family:'WenQuanYi Micro Hei','Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}blockquote{color:#555;border-left:3px solid #ddd;margin:.5em 0;padding-left:1em}"
    )
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(_title(rep))}</title><style>{css}</style></head><body>{body}{charts}</body></html>"


def _charts_html(rep: Report) -> str:
    """Charts of the class distributions, with plotly.js inlined so the file works offline."""
    import plotly.graph_objects as go

    parts = []
    first = True
    for s in rep.sections:
        for _, cols, rows in s.tables:
            if s.key in ("rfm", "customer_types") and rows:
                fig = go.Figure(
                    [
                        go.Bar(name=cols[3], x=[r[0] for r in rows], y=[r[3] for r in rows]),
                        go.Bar(name=cols[2], x=[r[0] for r in rows], y=[r[2] for r in rows]),
                    ]
                )
                fig.update_layout(title=s.zh if rep.lang == "zh" else s.en, barmode="group", height=360)
                parts.append(fig.to_html(full_html=False, include_plotlyjs=True if first else False))
                first = False
    return "".join(parts)


def to_xlsx(rep: Report, path: Path) -> None:
    # Only the Excel export needs pandas (exports imports it too); it costs every other command ~0.25 s.
    import pandas as pd

    from assistant.answering.exports import safe_cell

    zh = rep.lang == "zh"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame(
            {"report": [_title(rep)], "start": [str(rep.period.start)], "end": [str(rep.period.end)]}
        ).to_excel(xw, sheet_name="summary", index=False)
        for s in rep.sections:
            name = (s.zh if zh else s.en)[:31]
            frames = []
            if s.figures:
                cols, rows = figure_rows(rep, s.figures)
                frames.append(pd.DataFrame(rows, columns=cols))
            for _t, cols, rows in s.tables:
                frames.append(pd.DataFrame([[safe_cell(v) for v in r] for r in rows], columns=cols))
            if s.callouts:
                frames.append(pd.DataFrame({"notes": s.callouts}))
            if s.explain:
                frames.append(
                    pd.DataFrame({"explanation": [t for t, _ in s.explain], "source": [c for _, c in s.explain]})
                )
            row = 0
            for df in frames or [pd.DataFrame()]:
                df.to_excel(xw, sheet_name=name, index=False, startrow=row)
                row += len(df) + 2


def to_pdf(rep: Report, path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        raise ConfigError(
            "导出 PDF 需要 Chromium(Debian 包 chromium);请安装后重试,或导出 html。",
            "PDF export needs Chromium (Debian package chromium); install it, or export html instead.",
        )
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(to_html(rep), encoding="utf-8")
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp}/profile",
            "--no-pdf-header-footer",
            f"--print-to-pdf={path}",
            src.as_uri(),
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)  # noqa: S603
    if not path.exists() or path.stat().st_size == 0:
        raise ConfigError("Chromium 没有生成 PDF。", "Chromium did not produce the PDF.")


def write(rep: Report, fmt: str, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "md":
        out.write_text(to_markdown(rep), encoding="utf-8")
    elif fmt == "html":
        out.write_text(to_html(rep), encoding="utf-8")
    elif fmt == "xlsx":
        to_xlsx(rep, out)
    elif fmt == "pdf":
        to_pdf(rep, out)
    else:
        raise ConfigError(
            f"不支持的格式 {fmt};可用 md、html、xlsx、pdf。", f"Unknown format {fmt}; use md, html, xlsx or pdf."
        )
    return out
