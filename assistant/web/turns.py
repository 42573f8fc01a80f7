"""One answer as chat messages that stay in the conversation: text with its table and sources, the chart, the
downloads, how it was computed, and the next questions as chips.

Gradio groups consecutive assistant messages into one bubble, so the whole turn reads as one answer with one
👍/👎. Tables are HTML the chat's sanitizer keeps (classes and ``title`` attributes): headers in the reader's
language, cells formatted for reading, the raw value in each cell's ``title`` for sorting (``page.js``) and
for hovering; the first rows show, the rest behind "show all" (``page.css``, no script needed).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import gradio as gr

from assistant.answering.formatting import fmt
from assistant.web import views

# the text's own list of the first rows ("前 10 行(共 25 行):" …): the table below shows them, sortable
ROW_LIST = re.compile(r"\n*(?:前 \d+ 行\(共 \d+ 行\):|First \d+ of \d+ rows:)\n(?:\d+\. [^\n]*(?:\n|$))+")
SHOWN_ROWS = 10  # rows visible before "show all"
HTML_ROWS = 500  # rows put in the page at all; the downloads have every row

TEXT = {
    "zh": {
        "all": "显示全部 {n} 行",
        "capped": "页面上显示前 {shown} 行(共 {n} 行);完整数据请下载。",
        "how": "计算过程",
        "tool": "工具",
        "args": "参数",
        "as_of": "参考日",
        "rows": "结果行数",
        "files": "下载(CSV、Excel)",
        "sources": "出处",
        "part": "第 {i} 部分",
        "taught": "按团队确认过的说法理解",
    },
    "en": {
        "all": "Show all {n} rows",
        "capped": "The first {shown} of {n} rows are shown; download for every row.",
        "how": "How this was computed",
        "tool": "Tool",
        "args": "Arguments",
        "as_of": "Reference date",
        "rows": "Rows",
        "files": "Download (CSV, Excel)",
        "sources": "Sources",
        "part": "Part {i}",
        "taught": "Read as the team's confirmed phrasing",
    },
}


def _t(lang: str) -> dict[str, str]:
    return TEXT["zh" if lang == "zh" else "en"]


def shown_columns(columns: list[str], lang: str) -> list[int]:
    """The columns a reader sees: of a bilingual pair (``X_zh``/``X_en``, or ``X`` beside ``X_en``) only theirs."""
    own, other = ("_zh", "_en") if lang == "zh" else ("_en", "_zh")
    names = set(columns)

    def hidden(c: str) -> bool:
        if c.endswith(other):
            return c[:-3] + own in names or c[:-3] in names
        return not c.endswith(own) and c + own in names

    return [i for i, c in enumerate(columns) if not hidden(c)]


def _raw(v: Any) -> str | None:
    """A cell's raw value for sorting (numbers and dates); None for text, which sorts by what it shows."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    try:
        float(str(v))
    except ValueError:
        return None
    return str(v)


def table_html(columns: list[str], rows: list[list[Any]], lang: str, tool: str | None = None) -> str:
    """A readable, sortable table: labelled headers, formatted cells, the first rows with "show all"."""
    if not columns or not rows:
        return ""
    idx = shown_columns(columns, lang)
    head = "".join(
        f'<th title="{html.escape(columns[i])}">{html.escape(views.header(columns[i], lang, tool))}</th>' for i in idx
    )
    body = []
    for n, row in enumerate(rows[:HTML_ROWS]):
        cells = []
        for i in idx:
            v = row[i] if i < len(row) else None
            raw = _raw(v)
            shown = html.escape(fmt(v, columns[i], lang, tool))
            if raw:
                cells.append(f'<td class="num" title="{html.escape(raw)}">{shown}</td>')
            elif isinstance(v, str) and shown != html.escape(v):
                # a data value shown by its English name: the value itself on hover, as the data and downloads hold it
                cells.append(f'<td class="named" title="{html.escape(v)}">{shown}</td>')
            else:
                cells.append(f"<td>{shown}</td>")
        opening = '<tr class="more">' if n >= SHOWN_ROWS else "<tr>"
        body.append(f"{opening}{''.join(cells)}</tr>")
    t = _t(lang)
    more = ""
    if len(rows) > SHOWN_ROWS:
        more = f'<details class="more-rows"><summary>{t["all"].format(n=min(len(rows), HTML_ROWS))}</summary></details>'
    capped = (
        f'<p class="capped">{t["capped"].format(shown=HTML_ROWS, n=len(rows))}</p>' if len(rows) > HTML_ROWS else ""
    )
    return (
        f'<div class="ans-result">{more}<div class="ans-table-wrap"><table class="ans-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{capped}</div>"
    )


def _sources(ans: dict[str, Any], lang: str) -> str:
    cites = ans.get("citations") or []
    if not cites:
        return ""
    return f"**{_t(lang)['sources']}**\n\n" + "\n".join(f"- {c['citation']}" for c in cites)


def how_computed(ans: dict[str, Any], lang: str) -> str:
    """Tool, arguments, reference date, rows and SQL, for the collapsed "how this was computed"."""
    t = _t(lang)
    data = ans.get("data") or {}
    lines = [
        f"- {t['tool']}: `{ans.get('tool')}`",
        f"- {t['as_of']}: {ans.get('as_of') or '—'}",
        f"- {t['rows']}: {len(data.get('rows') or [])}",
    ]
    example = (ans.get("route") or {}).get("example")
    if example:
        lines.append(f"- {t['taught']}: 「{example['rewrite']}」 (#{example['id']})")
    args = json.dumps(ans.get("arguments") or {}, ensure_ascii=False, indent=1, default=str)
    out = "\n".join(lines) + f"\n\n{t['args']}:\n```json\n{args}\n```"
    sql = "\n\n".join(ans.get("sql") or [])
    return out + (f"\n\nSQL:\n```sql\n{sql}\n```" if sql else "")


def _pieces(ans: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The parts that carry results, with their number in the answer's text ("**2.**"); else the answer."""
    parts = [(i, p) for i, p in enumerate(ans.get("parts") or [], 1) if (p.get("data") or {}).get("rows")]
    return parts or [(1, ans)]


def messages(ans: dict[str, Any], files: list[str] | None = None) -> list[dict[str, Any]]:
    """The assistant messages of one answer, in order; the follow-up questions are the last one's options."""
    lang = "zh" if ans.get("language") == "zh" else "en"
    t = _t(lang)
    text = ans.get("answer") or ""
    notices = [n for n in ans.get("notices") or [] if n not in text]
    text += "".join(f"\n\n> {n}" for n in notices)
    pieces = _pieces(ans)
    out: list[dict[str, Any]] = []
    several = len(pieces) > 1
    tables = []
    for i, p in pieces:
        data = p.get("data") or {}
        tab = table_html(data.get("columns") or [], data.get("rows") or [], lang, p.get("tool"))
        if tab:
            tables.append((f"**{t['part'].format(i=i)}**\n\n" if several else "") + tab)
    if tables:
        text = ROW_LIST.sub("\n", text).rstrip()
    body = "\n\n".join([text, *tables, _sources(ans, lang)]).strip()
    out.append({"role": "assistant", "content": body})
    for _, p in pieces:
        fig = views.figure(p)
        if fig is not None:
            out.append({"role": "assistant", "content": gr.Plot(fig, show_label=False)})
    for f in files or []:  # one message per file: shown as a download link with its name
        out.append({"role": "assistant", "content": {"path": f, "alt_text": t["files"]}})
    if ans.get("tool"):
        out.append(
            {
                "role": "assistant",
                "content": how_computed(ans, lang),
                "metadata": {"title": t["how"], "status": "done"},
            }
        )
    chips = [*(ans.get("suggestions") or []), *(ans.get("follow_ups") or [])][:4]
    if chips:  # shown under the latest answer (the chat offers a message's options while it is the last one)
        out[-1]["options"] = [{"value": q, "label": q} for q in chips]
    return out
