"""The web app: `python app.py [--host H] [--port P] [--db PATH] [--index DIR] [--users FILE]`.

Environment: ASSISTANT_HOST, ASSISTANT_PORT, ASSISTANT_DB, ASSISTANT_INDEX, ASSISTANT_USERS. With
no users configured it runs single-user on 127.0.0.1 only and says so on the page; with users it
asks for a sign-in and each salesperson sees only their own customers.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: it phones home otherwise

from assistant.core import config
from assistant.warehouse.users import UserStore
from assistant.web.sessions import Sessions

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="客户分析助手 web app / customer-analysis assistant web app")
    parser.add_argument("--host", default=os.environ.get("ASSISTANT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ASSISTANT_PORT", "7860")))
    parser.add_argument("--db", default=None, help="DuckDB warehouse (env ASSISTANT_DB)")
    parser.add_argument("--index", default=None, help="knowledge index folder (env ASSISTANT_INDEX)")
    parser.add_argument("--users", default=None, help="user store (env ASSISTANT_USERS)")
    ns = parser.parse_args(argv)

    from assistant.web.ui import build

    users = UserStore(ns.users)
    sessions = Sessions(config.db_path(ns.db), config.index_path(ns.index), users)
    host = ns.host
    if not sessions.multi_user and host not in LOOPBACK:
        print(  # noqa: T201 — a start-up message for the operator
            f"没有配置用户:单用户模式只在 127.0.0.1 上提供服务(忽略 --host {host})。\n"
            f"No users configured: single-user mode serves 127.0.0.1 only (ignoring --host {host}).",
            file=sys.stderr,
        )
        host = "127.0.0.1"
    demo = build(sessions)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=host,
        server_port=ns.port,
        auth=sessions.authenticate if sessions.multi_user else None,
        auth_message="客户分析助手:请用您的账号登录 / Sign in with your account",
        footer_links=["api"],
    )


if __name__ == "__main__":
    main()
