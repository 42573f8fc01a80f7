"""The knowledge tab: what is indexed, search with citations, and adding users' documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from assistant.core.errors import AssistantError
from assistant.web.context import Web, hide_paths, under


def knowledge_tab(web: Web) -> None:
    import knowledge

    sessions = web.sessions

    def status() -> str:
        st = knowledge.open_index(sessions.index).status()
        return (
            f"索引 / index: `{Path(str(st['index'])).name}` — 文档 / documents {st['documents']}, 用户文档 / user documents {st['user_documents']}, "
            f"段落 / chunks {st['chunks']}, 语言 / languages {st['languages']}"
        )

    try:
        first = status()
    except AssistantError as exc:
        first = f"{exc.zh} / {exc.en}"
    info = gr.Markdown(first)
    with gr.Row():
        query = gr.Textbox(label="搜索方法论 / search the methodology", scale=6, elem_id="kb-query")
        lang = gr.Radio(["全部 all", "zh", "en"], value="全部 all", label="语言 / language", scale=2)
        go = gr.Button("搜索 / Search", scale=1, elem_id="kb-search")
    hits = gr.Dataframe(interactive=False, label="结果 / results", elem_id="kb-hits", wrap=True)

    def on_search(q: str, lg: str) -> tuple[pd.DataFrame, str]:
        if not (q or "").strip():
            return pd.DataFrame(), "请输入要搜索的内容。 / Type something to search for."
        try:
            found = knowledge.search(q, k=8, lang=None if lg.startswith("全部") else lg, index=sessions.index)
        except AssistantError as exc:
            return pd.DataFrame(), f"{exc.zh} / {exc.en}"
        rows: list[dict[str, Any]] = [
            {"score": round(h.score, 3), "citation": h.citation(), "snippet": h.snippet[:240]} for h in found
        ]
        return pd.DataFrame(rows), status()

    go.click(on_search, [query, lang], [hits, info], api_visibility="private")
    query.submit(on_search, [query, lang], [hits, info], api_visibility="private")

    gr.Markdown(
        "### 添加文档 / Add documents\nMarkdown、文本、HTML、PDF、Word(.docx)。 / Markdown, text, HTML, PDF, Word."
    )
    upload = gr.File(
        file_count="multiple", file_types=[".md", ".txt", ".html", ".htm", ".pdf", ".docx"], label="文档 / documents"
    )
    add = gr.Button("加入知识库 / Add to the knowledge base", elem_id="kb-add")
    added = gr.Markdown()

    def on_add(paths: list[str] | None, request: gr.Request) -> tuple[str, str]:
        try:
            c = web.caller(request)
        except AssistantError as exc:
            return f"{exc.zh}\n\n{exc.en}", ""
        if c.who.role != "manager":  # uploads are for managers only (the server refuses anyone else's upload)
            return "只有经理可以添加文档。 / Only managers can add documents.", status()
        paths = [p for p in paths or [] if under(p, web.files.root) and web.files.owner_of(p) == c.who.name]
        if not paths:
            return "请先选择文件。 / Choose files first.", status()
        try:
            out = knowledge.open_index(sessions.index).add(paths)
        except AssistantError as exc:
            return f"{hide_paths(exc.zh)}\n\n{hide_paths(exc.en)}", status()
        web.audit.write("documents_added", c.who.name, files=[Path(p).name for p in paths])
        return f"```\n{hide_paths(str(out))}\n```", status()

    add.click(on_add, [upload], [added, info], api_visibility="private")
