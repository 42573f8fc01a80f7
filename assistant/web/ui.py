"""The page: chat (answer, table, chart, sources, how it was computed), data, and knowledge tabs."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import gradio as gr
import yaml

from assistant.core.errors import AssistantError
from assistant.web import views
from assistant.web.context import Web
from assistant.web.data_summary import warehouse_md

LANGS = {"中文": "zh", "English": "en"}


@cache
def presets() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(Path(__file__).with_name("presets.yaml").read_text(encoding="utf-8"))


def examples_for(role: str, lang: str) -> list[list[str]]:
    return [[q] for q in presets()[role][lang]]


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
            with gr.Row():
                role = gr.Radio(list(presets()), value="销售", label="角色 / role", scale=2)
                lang = gr.Radio(list(LANGS), value="中文", label="语言 / language", scale=1)
                new_chat = gr.Button("新对话 / New chat", scale=1, elem_id="new-chat")
            chatbot = gr.Chatbot(label="对话 / conversation", height=420, elem_id="chatbot")
            with gr.Row():
                question = gr.Textbox(
                    placeholder="问一个关于客户的问题… / Ask about your customers…",
                    show_label=False,
                    scale=8,
                    elem_id="question",
                )
                send = gr.Button("发送 / Send", variant="primary", scale=1, elem_id="send")
            examples = gr.Dataset(
                components=[question],
                samples=examples_for("销售", "zh"),
                label="示例问题 / examples",
                elem_id="examples",
            )
            chart = gr.Plot(label="图表 / chart", elem_id="chart")
            table = gr.Dataframe(
                label="结果表 / result table", interactive=False, elem_id="result-table", show_search=True
            )
            downloads = gr.File(
                label="下载 CSV / Excel · download", file_count="multiple", interactive=False, elem_id="downloads"
            )
            sources = gr.Markdown(elem_id="sources")
            with gr.Accordion("计算过程 / How this was computed", open=False, elem_id="provenance"):
                how = gr.Code(language="json", label="工具、参数、参考日 / tool, arguments, reference date")
                sql = gr.Code(language="sql", label="SQL")

            def on_ask(message: str, history: list[dict[str, Any]], request: gr.Request) -> tuple[Any, ...]:
                message = (message or "").strip()
                if not message:
                    return history, gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), ""
                try:
                    c = web.caller(request)
                except AssistantError as exc:
                    text = f"{exc.zh}\n\n{exc.en}"
                    history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": text}]
                    return history, None, None, None, "", "", "", ""
                ans = sessions.ask(c.who.name if sessions.multi_user else None, c.browser, message)
                text = ans["answer"] + "".join(f"\n\n> {n}" for n in ans.get("notices") or [])
                history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": text}]
                prov, sql_text = views.provenance(ans)
                data = ans.get("data") or {}
                files = web.files.write_exports(
                    data.get("columns") or [], data.get("rows") or [], c.who.name, token=c.token, browser=c.browser
                )
                if files:
                    web.audit.write(
                        "export", c.who.name, files=[Path(f).name for f in files], rows=len(data.get("rows") or [])
                    )
                return (
                    history,
                    views.figure(ans),
                    views.table(ans),
                    files or None,
                    views.citations_md(ans),
                    prov,
                    sql_text,
                    "",
                )

            outs = [chatbot, chart, table, downloads, sources, how, sql, question]
            send.click(on_ask, [question, chatbot], outs, show_progress="minimal", api_visibility="private")
            question.submit(on_ask, [question, chatbot], outs, show_progress="minimal", api_visibility="private")
            examples.click(lambda s: s[0], examples, question, api_visibility="private")

            def on_presets(r: str, lang_label: str) -> Any:
                return gr.Dataset(samples=examples_for(r, LANGS[lang_label]))

            role.change(on_presets, [role, lang], examples, api_visibility="private")
            lang.change(on_presets, [role, lang], examples, api_visibility="private")

            def on_new(request: gr.Request) -> tuple[Any, ...]:
                c = web.caller(request)
                sessions.new_conversation(c.browser, c.who)
                web.files.forget(browser=c.browser)
                return [], None, None, None, "", "", ""

            new_chat.click(
                on_new, None, [chatbot, chart, table, downloads, sources, how, sql], api_visibility="private"
            )

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
