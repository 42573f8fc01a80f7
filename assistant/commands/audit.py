"""``audit``: read the audit log (sign-ins, questions, exports, imports, user changes)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

audit_app = typer.Typer(help="审计日志 / the audit log.", no_args_is_help=True)
AuditOption = typer.Option(None, "--audit", help="审计日志文件 / audit log (env ASSISTANT_AUDIT).")


def _show(records: list[dict[str, object]], as_json: bool) -> None:
    for r in records:
        if as_json:
            typer.echo(json.dumps(r, ensure_ascii=False))
            continue
        rest = {k: v for k, v in r.items() if k not in ("ts", "event", "user")}
        typer.echo(
            f"{r.get('ts')}  {r.get('event'):<18} {r.get('user') or '-':<14} {json.dumps(rest, ensure_ascii=False)}"
        )


@audit_app.command("tail")
def tail(
    n: int = typer.Option(20, "-n", "--lines", min=1, help="条数 / how many events"),
    audit: Path | None = AuditOption,
    as_json: bool = typer.Option(False, "--json", help="每行一个 JSON / one JSON object per line"),
) -> None:
    """最近的事件 / the latest events."""
    from assistant.warehouse.audit import AuditLog

    _show(list(AuditLog(audit).records())[-n:], as_json)


@audit_app.command("search")
def search(
    user: str | None = typer.Option(None, "--user", help="用户名 / user name"),
    event: str | None = typer.Option(None, "--event", help="事件,如 sign_in、question / event, e.g. sign_in"),
    audit: Path | None = AuditOption,
    as_json: bool = typer.Option(False, "--json", help="每行一个 JSON / one JSON object per line"),
) -> None:
    """按用户或事件查找 / events of one user or kind."""
    from assistant.core.errors import InputError
    from assistant.warehouse.audit import AuditLog

    if user is None and event is None:
        raise InputError("请用 --user 或 --event 指定要找什么。", "Say what to look for with --user or --event.")
    _show(AuditLog(audit).search(user=user, event=event), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
