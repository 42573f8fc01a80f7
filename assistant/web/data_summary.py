"""What is loaded, for the signed-in user: the row counts and date range their session sees."""

from __future__ import annotations

import gradio as gr

from assistant.web.sessions import Sessions


def user_of(request: gr.Request | None) -> tuple[str | None, str]:
    if request is None:
        return None, "api"
    return getattr(request, "username", None), request.session_hash or "default"


def warehouse_md(sessions: Sessions, request: gr.Request | None = None) -> str:
    username, _ = user_of(request)
    try:
        who = sessions.principal(username)
        bot, lock = sessions.assistant(who)
    except Exception as exc:
        return f"**{exc}**"
    with lock:
        rows = []
        for t in (
            "customers",
            "orders",
            "order_items",
            "invoices",
            "surveys",
            "tickets",
            "interactions",
            "products",
            "sales_reps",
        ):
            rows.append(f"| {t} | {bot.con.execute(f'SELECT count(*) FROM {t}').fetchone()[0]:,} |")
        first, last = bot.con.execute("SELECT min(order_date), max(order_date) FROM orders").fetchone()
    scope = (
        "全部数据 / all data" if who.sees_everything else f"仅 {who.rep_id} 负责的客户 / only customers of {who.rep_id}"
    )
    return (
        f"**{who.name}** ({who.role}) — {scope}\n\n订单日期 / orders: {first} → {last}\n\n"
        "| 表 table | 行数 rows |\n|---|---|\n" + "\n".join(rows)
    )
