"""The web app: `python app.py [--host H] [--port P] [--db PATH]` (env ASSISTANT_HOST, ASSISTANT_PORT, ASSISTANT_DB).

Until the chat assistant lands (issue 7), the page shows what is loaded and runs
any registered analysis tool with JSON arguments, so the data and the tools can
be checked by hand in a browser.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: it phones home otherwise

import gradio as gr
import pandas as pd

from assistant import config
from assistant.errors import AssistantError
from assistant.warehouse.db import connect, table_counts


def warehouse_summary(db: Path) -> str:
    try:
        con = connect(db)
    except AssistantError as exc:
        return f"**{exc.zh}**\n\n{exc.en}"
    try:
        counts = table_counts(con)
        first, last = con.execute("SELECT min(order_date), max(order_date) FROM orders").fetchone()
    finally:
        con.close()
    rows = "\n".join(f"| {t} | {n:,} |" for t, n in counts.items())
    return f"数据仓库 / warehouse: `{db}`  \n订单日期 / orders: {first} → {last}\n\n| 表 table | 行数 rows |\n|---|---|\n{rows}"


def run_tool(db: Path, name: str, args_text: str) -> tuple[str, pd.DataFrame]:
    from pydantic import ValidationError

    from tools import load_all

    spec = load_all().get(name)
    if spec is None:
        return f"未知工具 / unknown tool: {name}", pd.DataFrame()
    try:
        args: dict[str, Any] = json.loads(args_text or "{}")
    except json.JSONDecodeError as exc:
        return f"参数不是合法 JSON / arguments are not valid JSON: {exc}", pd.DataFrame()
    con = connect(db)
    try:
        result = spec.run(con, args)
    except ValidationError as exc:
        return f"参数有误 / invalid arguments:\n```\n{exc}\n```", pd.DataFrame()
    except AssistantError as exc:
        return f"{exc.zh}\n\n{exc.en}", pd.DataFrame()
    finally:
        con.close()
    out = result.to_json()
    how = json.dumps(
        {k: out[k] for k in ("tool", "arguments", "as_of", "figures", "definitions")}, ensure_ascii=False, indent=1
    )
    sql = "\n\n".join(out["sql"])
    text = f"**{spec.zh} / {spec.en}**\n\n```json\n{how}\n```\n\n<details><summary>SQL</summary>\n\n```sql\n{sql}\n```\n</details>"
    return text, pd.DataFrame(out["rows"], columns=out["columns"])


def build(db: Path) -> gr.Blocks:
    from tools import load_all

    names = sorted(load_all())
    with gr.Blocks(title="客户分析助手 · Customer-analysis assistant") as demo:
        gr.Markdown(
            "# 客户分析助手 · Customer-analysis assistant\n"
            "单用户模式,仅本机访问 / single-user mode on this machine. 聊天助手即将上线;"
            "现在可以直接运行分析工具 / the chat is coming; meanwhile run any analysis tool directly."
        )
        with gr.Tab("数据 Data"):
            summary = gr.Markdown(warehouse_summary(db))
            gr.Button("刷新 Refresh").click(lambda: warehouse_summary(db), outputs=summary)
        with gr.Tab("工具 Tools"):
            name = gr.Dropdown(names, value=names[0] if names else None, label="工具 / tool")
            args = gr.Code(
                '{"by": "segment"}' if "rfm" in names else "{}", language="json", label="参数 / arguments (JSON)"
            )
            go = gr.Button("运行 Run", variant="primary")
            text = gr.Markdown()
            table = gr.Dataframe(label="结果 / result")
            go.click(lambda n, a: run_tool(db, n, a), inputs=[name, args], outputs=[text, table])
    return demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="客户分析助手 web app / customer-analysis assistant web app")
    parser.add_argument("--host", default=os.environ.get("ASSISTANT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ASSISTANT_PORT", "7860")))
    parser.add_argument("--db", default=None, help="DuckDB warehouse (env ASSISTANT_DB)")
    ns = parser.parse_args(argv)
    build(config.db_path(ns.db)).launch(server_name=ns.host, server_port=ns.port, footer_links=["api"])


if __name__ == "__main__":
    main()
