"""The chat: every answer keeps its table, chart, downloads and "how this was computed" in the conversation,
with follow-up chips and 👍/👎 (a 👎 may say what it should have been; managers review it on the feedback tab).

A question is shown at once with a "computing" line (the progress a person sees), then replaced by the answer.
The turns of a conversation (question, answer JSON, where its messages sit) are kept per browser tab, so a
verdict is stored with the answer it is about.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.core.errors import AssistantError
from assistant.core.lang import detect_language
from assistant.web import turns as render
from assistant.web import views
from assistant.web.context import Web
from assistant.web.presets import LANGS, examples_for, presets

WORKING = {"zh": "正在计算…", "en": "Working on it…"}
THANKS = {
    "up": ("谢谢!已记下这个回答是对的。", "Thanks! Noted that this answer was right."),
    "down": (
        "已记下这个回答不对。可以在下面写上它应该是什么(比如换一种说法),经理审核后助手就会照此理解。",
        "Noted that this answer was wrong. Say below what it should have been (e.g. another phrasing); once a "
        "manager accepts it, the assistant reads the question that way.",
    ),
    "sent": ("谢谢,纠正已提交,等经理审核。", "Thanks, your correction was sent for a manager to review."),
    "nothing": ("请先点某个回答下的 👎。", "Click 👎 under an answer first."),
}


def _bi(pair: tuple[str, str]) -> str:
    return f"{pair[0]} / {pair[1]}"


def _headers(columns: list[str], lang: str, tool: str | None) -> list[str]:
    """Readable, unique headers for the downloads (the raw column name added where two labels agree)."""
    shown = [views.header(c, lang, tool) for c in columns]
    return [f"{s} ({c})" if shown.count(s) > 1 else s for s, c in zip(shown, columns, strict=True)]


def _text_of(message: dict[str, Any]) -> str:
    """A message's text, whether as sent (a string) or as the chat hands it back (a list of parts)."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
    return content if isinstance(content, str) else ""


def chat_tab(web: Web) -> None:
    sessions = web.sessions
    with gr.Row():
        role = gr.Radio(list(presets()), value="销售", label="角色 / role", scale=2, min_width=200)
        lang = gr.Radio(list(LANGS), value="中文", label="语言 / language", scale=1, min_width=160)
        new_chat = gr.Button("新对话 / New chat", scale=1, min_width=120, elem_id="new-chat")
    chatbot = gr.Chatbot(
        label="对话 / conversation",
        height="70vh",
        elem_id="chatbot",
        feedback_options=("Like", "Dislike"),
        buttons=["copy"],
        autoscroll=True,
    )
    with gr.Row(elem_id="ask-row"):
        question = gr.Textbox(
            placeholder="问一个关于客户的问题…(回车发送) / Ask about your customers… (Enter sends)",
            show_label=False,
            scale=8,
            min_width=200,
            elem_id="question",
        )
        send = gr.Button("发送 / Send", variant="primary", scale=1, min_width=80, elem_id="send")
    with gr.Row(visible=False, elem_id="correction-row") as correction_row:
        correction = gr.Textbox(
            label="它应该是… / It should have been …",
            placeholder="例如:今年销售额前十的客户 / e.g. top 10 customers by revenue this year",
            scale=8,
            min_width=200,
            elem_id="correction",
        )
        send_fix = gr.Button("提交纠正 / Send correction", scale=1, min_width=120, elem_id="send-correction")
    said = gr.Markdown(elem_id="feedback-said")
    examples = gr.Dataset(
        components=[question], samples=examples_for("销售", "zh"), label="示例问题 / examples", elem_id="examples"
    )
    # per browser tab: the turns (question, answer JSON, message span) and the turn a 👎 is about
    turns = gr.State([])
    pending = gr.State(None)

    def on_question(message: str, history: list[dict[str, Any]]) -> tuple[Any, ...]:
        message = (message or "").strip()
        if not message:
            return history, gr.update(), ""
        lang_ = detect_language(message)
        shown = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": WORKING[lang_]}]
        return shown, message, ""

    def on_answer(
        asked: str, history: list[dict[str, Any]], kept: list[dict[str, Any]], request: gr.Request
    ) -> tuple[Any, ...]:
        if not asked:
            return history, kept
        base = history[:-1] if history and _text_of(history[-1]) in WORKING.values() else history
        try:
            c = web.caller(request)
        except AssistantError as exc:
            return [*base, {"role": "assistant", "content": f"{exc.zh}\n\n{exc.en}"}], kept
        ans = sessions.ask(c.who.name if sessions.multi_user else None, c.browser, asked)
        data = ans.get("data") or {}
        lang_ = "zh" if ans.get("language") == "zh" else "en"
        files = web.files.write_exports(
            data.get("columns") or [],
            data.get("rows") or [],
            c.who.name,
            token=c.token,
            browser=c.browser,
            headers=_headers(data.get("columns") or [], lang_, ans.get("tool")),
        )
        if files:
            web.audit.write("export", c.who.name, files=[Path(f).name for f in files], rows=len(data.get("rows") or []))
        msgs = render.messages(ans, files)
        start = len(base)
        turn = {"id": secrets.token_hex(8), "start": start, "end": start + len(msgs) - 1, "question": asked}
        turn["answer"] = ans
        return [*base, *msgs], [*kept, turn]

    asked = gr.State("")
    ask_outs = [chatbot, asked, question]
    for trigger in (send.click, question.submit):
        trigger(on_question, [question, chatbot], ask_outs, queue=False, api_visibility="private").then(
            on_answer, [asked, chatbot, turns], [chatbot, turns], show_progress="minimal", api_visibility="private"
        )

    def on_chip(choice: gr.SelectData, history: list[dict[str, Any]]) -> tuple[Any, ...]:
        return on_question(str(choice.value), history)

    chatbot.option_select(on_chip, [chatbot], ask_outs, queue=False, api_visibility="private").then(
        on_answer, [asked, chatbot, turns], [chatbot, turns], show_progress="minimal", api_visibility="private"
    )
    examples.click(lambda s: s[0], examples, question, api_visibility="private")

    def _turn_of(index: Any, kept: list[dict[str, Any]]) -> dict[str, Any] | None:
        i = index[0] if isinstance(index, (list, tuple)) else index
        return next((t for t in kept if isinstance(i, int) and t["start"] <= i <= t["end"]), None)

    def record(request: gr.Request, turn: dict[str, Any], verdict: str, correction: str | None = None) -> None:
        """Store a verdict on a turn as the signed-in user (their account as it is now)."""
        c = web.caller(request)
        fid = sessions.feedback.add(
            who=c.who.name,
            role=c.who.role,
            question=turn["question"],
            answer=turn["answer"],
            verdict=verdict,
            correction=correction,
            turn=f"{c.browser}:{turn['id']}",
        )
        web.audit.write("feedback", c.who.name, feedback=fid, verdict=verdict, correction=correction is not None)

    def on_verdict(vote: gr.LikeData, kept: list[dict[str, Any]], request: gr.Request) -> tuple[Any, ...]:
        turn = _turn_of(vote.index, kept)
        if turn is None or vote.liked not in (True, False):
            return gr.update(visible=False), None, ""  # a vote withdrawn, or on a message that is not an answer
        verdict = "up" if vote.liked else "down"
        try:
            record(request, turn, verdict)
        except AssistantError as exc:
            return gr.update(visible=False), None, f"{exc.zh} / {exc.en}"
        return gr.update(visible=verdict == "down"), turn["id"] if verdict == "down" else None, _bi(THANKS[verdict])

    chatbot.like(on_verdict, [turns], [correction_row, pending, said], api_visibility="private")

    def on_correction(text: str, about: str | None, kept: list[dict[str, Any]], request: gr.Request) -> tuple:
        turn = next((t for t in kept if t["id"] == about), None)
        if turn is None:
            return gr.update(), text, _bi(THANKS["nothing"])
        try:
            record(request, turn, "down", text)
        except AssistantError as exc:
            return gr.update(), text, f"{exc.zh} / {exc.en}"  # the text stays, to be fixed
        return gr.update(visible=False), "", _bi(THANKS["sent"])

    send_fix.click(
        on_correction, [correction, pending, turns], [correction_row, correction, said], api_visibility="private"
    )
    correction.submit(
        on_correction, [correction, pending, turns], [correction_row, correction, said], api_visibility="private"
    )

    def on_presets(r: str, lang_label: str) -> Any:
        return gr.Dataset(samples=examples_for(r, LANGS[lang_label]))

    role.change(on_presets, [role, lang], examples, api_visibility="private")
    lang.change(on_presets, [role, lang], examples, api_visibility="private")

    def on_new(request: gr.Request) -> tuple[Any, ...]:
        c = web.caller(request)
        sessions.new_conversation(c.browser, c.who)
        web.files.forget(browser=c.browser)
        return [], [], None, gr.update(visible=False), ""

    new_chat.click(on_new, None, [chatbot, turns, pending, correction_row, said], api_visibility="private")
