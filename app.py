"""The web app: `python app.py [--host H] [--port P] [--db PATH] [--index DIR] [--users FILE] ...`.

Environment: ASSISTANT_HOST, ASSISTANT_PORT, ASSISTANT_DB, ASSISTANT_INDEX, ASSISTANT_USERS, ASSISTANT_AUDIT,
ASSISTANT_SESSION_IDLE_MINUTES, ASSISTANT_MAX_UPLOAD_MB, ASSISTANT_SSL_CERTFILE, ASSISTANT_SSL_KEYFILE, ASSISTANT_ENGINE
(`--engine spark`: questions on Spark, single-user mode only; see assistant/web/spark_sessions.py).

Single-user mode is decided here, once: no users and a loopback host. With users, everyone signs in, and a
user file that later goes missing, empty or corrupt refuses everyone (it never falls back to single-user).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: it phones home otherwise
os.environ["GRADIO_SSR_MODE"] = "False"  # no Node server beside ours
os.environ.setdefault("HF_HUB_OFFLINE", "1")

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _say(zh: str, en: str) -> None:
    print(f"{zh}\n{en}", file=sys.stderr)  # noqa: T201 — a start-up message for the operator


def main(argv: list[str] | None = None) -> None:
    env = os.environ.get
    parser = argparse.ArgumentParser(description="客户分析助手 web app / customer-analysis assistant web app")
    parser.add_argument("--host", default=env("ASSISTANT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("ASSISTANT_PORT", "7860")))
    parser.add_argument("--db", default=None, help="DuckDB warehouse (env ASSISTANT_DB)")
    parser.add_argument("--index", default=None, help="knowledge index folder (env ASSISTANT_INDEX)")
    parser.add_argument("--users", default=None, help="user store (env ASSISTANT_USERS)")
    parser.add_argument("--audit", default=None, help="audit log, JSON lines (env ASSISTANT_AUDIT)")
    parser.add_argument(
        "--session-idle-minutes",
        type=float,
        default=float(env("ASSISTANT_SESSION_IDLE_MINUTES", "30")),
        help="sign out after this many idle minutes (env ASSISTANT_SESSION_IDLE_MINUTES)",
    )
    parser.add_argument(
        "--max-upload-mb",
        type=float,
        default=float(env("ASSISTANT_MAX_UPLOAD_MB", "100")),
        help="largest upload in MB (env ASSISTANT_MAX_UPLOAD_MB)",
    )
    parser.add_argument("--ssl-certfile", default=env("ASSISTANT_SSL_CERTFILE"), help="TLS certificate (PEM)")
    parser.add_argument("--ssl-keyfile", default=env("ASSISTANT_SSL_KEYFILE"), help="TLS private key (PEM)")
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default=None,
        help="SQL engine for questions: duckdb (default) or spark, single-user mode only (env ASSISTANT_ENGINE)",
    )
    ns = parser.parse_args(argv)

    if bool(ns.ssl_certfile) != bool(ns.ssl_keyfile):
        _say(
            "--ssl-certfile 和 --ssl-keyfile 需要同时给出。", "Pass both --ssl-certfile and --ssl-keyfile, or neither."
        )
        sys.exit(2)
    if ns.session_idle_minutes <= 0 or ns.max_upload_mb <= 0:
        _say(
            "--session-idle-minutes 和 --max-upload-mb 必须大于 0。",
            "--session-idle-minutes and --max-upload-mb must be above 0.",
        )
        sys.exit(2)
    os.umask(0o077)  # every file the server writes (warehouse, backups, rejects, exports, audit) is the owner's only

    from assistant.core import config
    from assistant.warehouse.audit import AuditLog
    from assistant.warehouse.db import clean_leftovers
    from assistant.warehouse.users import UserStore, UserStoreUnavailable

    users = UserStore(ns.users)
    if users.path.exists():
        try:
            users.load_strict()
            multi_user = True
        except UserStoreUnavailable as exc:
            if users.path.stat().st_size and "holds no users" not in exc.en:
                _say(exc.zh, exc.en)  # corrupt: refuse to start rather than guess
                sys.exit(2)
            multi_user = False
    else:
        multi_user = False
    host = ns.host
    if not multi_user and host not in LOOPBACK:
        _say(
            f"没有配置用户:单用户模式只在 127.0.0.1 上提供服务(忽略 --host {host})。",
            f"No users configured: single-user mode serves 127.0.0.1 only (ignoring --host {host}).",
        )
        host = "127.0.0.1"

    db = config.db_path(ns.db)
    # Gradio's cache holds every file handed to or received from users: one folder per server, emptied now.
    cache = Path(tempfile.gettempdir()) / f"assistant-web-{os.getuid()}" / str(ns.port)
    os.environ["GRADIO_TEMP_DIR"] = str(cache)
    clean_leftovers(db)

    from assistant.core.errors import ConfigError
    from assistant.web.auth import SessionStore
    from assistant.web.context import Settings, Web
    from assistant.web.files import FileStore
    from assistant.web.server import serve
    from assistant.web.spark_sessions import sessions_for

    files = FileStore(cache)
    files.reset()
    settings = Settings(
        host=host,
        port=ns.port,
        idle_minutes=ns.session_idle_minutes,
        max_upload_mb=ns.max_upload_mb,
        ssl_certfile=ns.ssl_certfile,
        ssl_keyfile=ns.ssl_keyfile,
    )
    audit = AuditLog(ns.audit)
    try:
        sessions = sessions_for(ns.engine, db, config.index_path(ns.index), users, multi_user=multi_user, audit=audit)
    except ConfigError as exc:  # Spark with users configured, or ASSISTANT_ENGINE set to something else
        _say(exc.zh, exc.en)
        sys.exit(2)
    sessions.clean_views()
    store = SessionStore(users, idle_seconds=settings.idle_minutes * 60) if multi_user else None
    web = Web(sessions=sessions, files=files, audit=audit, settings=settings, store=store)
    audit.write("server_start", None, multi_user=multi_user, host=host, port=ns.port, tls=settings.secure)
    scheme = "https" if settings.secure else "http"
    _say(f"客户分析助手:{scheme}://{host}:{ns.port}/", f"Customer-analysis assistant: {scheme}://{host}:{ns.port}/")
    serve(web)


if __name__ == "__main__":
    main()
