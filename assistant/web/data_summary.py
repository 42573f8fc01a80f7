"""What is loaded, for the signed-in user: the row counts and date range their session sees."""

from __future__ import annotations

from typing import Any

from assistant.core.errors import AssistantError
from assistant.web.context import Web, hide_paths

TABLES = (
    "customers",
    "orders",
    "order_items",
    "invoices",
    "surveys",
    "tickets",
    "interactions",
    "products",
    "sales_reps",
)


def warehouse_md(web: Web, request: Any = None) -> str:
    try:
        who = web.caller(request).who
        with web.sessions.using(who) as bot:
            rows = [f"| {t} | {bot.con.execute(f'SELECT count(*) FROM {t}').fetchone()[0]:,} |" for t in TABLES]
            first, last = bot.con.execute("SELECT min(order_date), max(order_date) FROM orders").fetchone()
    except AssistantError as exc:
        return f"**{hide_paths(exc.zh)}**\n\n**{hide_paths(exc.en)}**"
    scope = (
        "全部数据 / all data" if who.sees_everything else f"仅 {who.rep_id} 负责的客户 / only customers of {who.rep_id}"
    )
    return (
        f"**{who.name}** ({who.role}) — {scope}\n\n订单日期 / orders: {first} → {last}\n\n"
        "| 表 table | 行数 rows |\n|---|---|\n" + "\n".join(rows)
    )
