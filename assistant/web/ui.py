"""The page: chat (every answer with its table, chart, sources and how it was computed), data, knowledge and
(for managers) feedback tabs."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.core.errors import AssistantError
from assistant.web.chat_tab import chat_tab
from assistant.web.context import Web
from assistant.web.data_summary import warehouse_md
from assistant.web.feedback_tab import feedback_tab


def build(web: Web) -> gr.Blocks:
    sessions = web.sessions
    banner = (
        "已登录多用户模式:每位销售只看到自己负责的客户。 / Multi-user mode: each salesperson sees only their own customers."
        if sessions.multi_user
        else "单用户模式,仅本机 127.0.0.1 可访问;用 `python -m assistant users add` 添加用户后启用登录。 / "
        "Single-user mode on 127.0.0.1 only; add users with `python -m assistant users add` to enable sign-in."
    )
    # delete_cache: a backstop for files no session end cleaned up (a killed browser, a crash).
    with gr.Blocks(
        title="客户分析助手 · Customer-analysis assistant", fill_height=True, delete_cache=(3600, 4 * 3600)
    ) as demo:
        with gr.Row():
            gr.Markdown(f"# 客户分析助手 · Customer-analysis assistant\n{banner}", elem_id="banner")
            who_md = gr.Markdown(elem_id="signed-in-as")
            if sessions.multi_user:
                gr.Button("退出登录 / Sign out", link="/logout", size="sm", scale=0, elem_id="logout")
        with gr.Tab("对话 Chat", id="chat"):
            chat_tab(web)

        with gr.Tab("数据 Data", id="data"):
            info = gr.Markdown(elem_id="warehouse-info")
            refresh = gr.Button("刷新 / Refresh", elem_id="refresh-info")

            def show_warehouse(request: gr.Request) -> str:
                return warehouse_md(web, request)

            demo.load(show_warehouse, None, info, api_visibility="private")
            refresh.click(show_warehouse, None, info, api_visibility="private")
            from assistant.web.data_tab import data_tab, manager_controls

            boxes = data_tab(web, info)
            if sessions.multi_user:

                def show_controls(request: gr.Request) -> tuple[Any, Any]:
                    return manager_controls(web, request)

                demo.load(show_controls, None, list(boxes), api_visibility="private")

        with gr.Tab("知识库 Knowledge", id="knowledge"):
            from assistant.web.knowledge_tab import knowledge_tab

            knowledge_tab(web)

        # Managers review feedback; the tab is shown to them only, and every action checks the role again.
        with gr.Tab("反馈 Feedback", id="feedback", visible=not sessions.multi_user) as feedback:
            table, said, on_show, show = feedback_tab(web)

        def show_feedback(s: str, request: gr.Request) -> tuple[Any, Any, str]:
            try:
                is_manager = web.caller(request).who.role == "manager"
            except AssistantError:
                is_manager = False
            if not is_manager:
                return gr.update(visible=False), gr.update(), ""
            return (gr.update(visible=True), *on_show(s, request))

        demo.load(show_feedback, [show], [feedback, table, said], api_visibility="private")

        # The API: the same JSON as `python -m assistant ask --json`, usable from gradio_client.
        def ask_api(question: str, request: gr.Request) -> dict[str, Any]:
            username = getattr(request, "username", None)
            return sessions.ask(username, f"api:{request.session_hash or 'default'}", question)

        gr.api(ask_api, api_name="ask")

        def signed_in_as(request: gr.Request) -> str:
            try:
                who = web.caller(request).who
            except AssistantError:
                return ""
            return f"**{who.name}** · {who.role}" + (f" · {who.rep_id}" if who.rep_id else "")

        demo.load(signed_in_as, None, who_md, api_visibility="private")

        def forget(request: gr.Request) -> None:
            # The tab is closed: its conversation and its files go.
            sessions.forget_session(request.session_hash or "default")
            web.files.forget(browser=request.session_hash or "default")

        demo.unload(forget)
    return demo
