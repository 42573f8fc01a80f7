"""The feedback tab, for managers: what users said about answers, and accepting or rejecting corrections.

Every action checks the signed-in user's role as it is now (fail closed); the tab is hidden from everyone else.
An accepted correction must itself be understood (``check_phrasing``); from the next question on, every
assistant on this warehouse reads the user's phrasing as it.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from assistant.agent.examples import check_phrasing
from assistant.core.errors import AssistantError, InputError
from assistant.web.context import Web

COLUMNS = ["编号 id", "状态 status", "评价 verdict", "用户 user", "时间 time", "问题 question", "应该是 should be"]
ONLY_MANAGERS = InputError("只有经理可以审核反馈。", "Only managers can review feedback.")


def feedback_tab(web: Web) -> tuple[Any, ...]:
    """Builds the tab's contents; returns what ``demo.load`` refreshes (the table and the tab's visibility)."""
    store = web.sessions.feedback

    def manager(request: gr.Request) -> Any:
        c = web.caller(request)
        if c.who.role != "manager":
            raise ONLY_MANAGERS
        return c

    def rows(show: str) -> pd.DataFrame:
        items = store.list(None if show == "all" else show)
        return pd.DataFrame(
            [
                [
                    i.id,
                    i.status,
                    "👍" if i.verdict == "up" else "👎",
                    i.who,
                    i.created_at.replace("T", " ")[:16],
                    i.question,
                    i.rewrite or i.correction or "",
                ]
                for i in reversed(items)
            ],
            columns=COLUMNS,
        )

    with gr.Row():
        show = gr.Radio(["new", "accepted", "rejected", "all"], value="new", label="显示 / show", scale=3)
        refresh = gr.Button("刷新 / Refresh", scale=1, elem_id="feedback-refresh")
    table = gr.Dataframe(interactive=False, wrap=True, elem_id="feedback-table", label="反馈 / feedback")
    with gr.Row():
        fid = gr.Number(label="编号 / id", precision=0, minimum=1, scale=1, elem_id="feedback-id")
        phrasing = gr.Textbox(
            label="正确的说法(留空则用用户写的)/ the right phrasing (empty: the user's)",
            scale=5,
            elem_id="feedback-phrasing",
        )
    with gr.Row():
        accept = gr.Button("接受 / Accept", variant="primary", elem_id="feedback-accept")
        reject = gr.Button("不采纳 / Reject", elem_id="feedback-reject")
    result = gr.Markdown(elem_id="feedback-result")

    def on_show(s: str, request: gr.Request) -> tuple[Any, str]:
        try:
            manager(request)
        except AssistantError as exc:
            return pd.DataFrame(columns=COLUMNS), f"{exc.zh} / {exc.en}"
        return rows(s), ""

    def on_review(status: str, number: float | None, text: str, s: str, request: gr.Request) -> tuple[Any, str]:
        try:
            c = manager(request)
            if not number:
                raise InputError("请先填写要审核的反馈编号。", "Fill in the number of the feedback to review.")
            item = store.get(int(number))
            if status == "accepted":
                wanted = (text or "").strip() or item.correction or ""
                if wanted:
                    with web.sessions.using(c.who) as bot:
                        check_phrasing(bot.router, wanted)
            done = store.review(int(number), status, c.who.name, (text or "").strip() or None)
        except AssistantError as exc:
            return gr.update(), f"{exc.zh} / {exc.en}"
        web.audit.write(f"feedback_{status}", c.who.name, feedback=done.id)
        said = (
            f"已接受 #{done.id}:「{done.question}」→「{done.rewrite}」 / Accepted #{done.id}"
            if status == "accepted"
            else f"未采纳 #{done.id} / Rejected #{done.id}"
        )
        return rows(s), said

    def on_accept(number: float | None, text: str, s: str, request: gr.Request) -> tuple[Any, str]:
        return on_review("accepted", number, text, s, request)

    def on_reject(number: float | None, text: str, s: str, request: gr.Request) -> tuple[Any, str]:
        return on_review("rejected", number, text, s, request)

    for trigger in (refresh.click, show.change):
        trigger(on_show, [show], [table, result], api_visibility="private")
    accept.click(on_accept, [fid, phrasing, show], [table, result], api_visibility="private")
    reject.click(on_reject, [fid, phrasing, show], [table, result], api_visibility="private")
    return table, result, on_show, show
