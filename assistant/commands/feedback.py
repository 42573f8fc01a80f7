"""``feedback``: what users said about answers (list, accept, reject, export).

An accepted correction becomes an example: the phrasing the user asked is from then on read as the accepted
one, by every assistant on this warehouse, without a restart (``assistant.nlu.example_bank``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from assistant.core import config

if TYPE_CHECKING:
    from assistant.warehouse.feedback import FeedbackStore

feedback_app = typer.Typer(help="用户反馈 / feedback on answers.", no_args_is_help=True)
DbOption = typer.Option(None, "--db", help="仓库文件 / warehouse file (env ASSISTANT_DB); feedback lives beside it.")


def _store(db: Path | None) -> FeedbackStore:
    from assistant.warehouse.feedback import FeedbackStore, feedback_path

    return FeedbackStore(feedback_path(config.db_path(db)))


def _reviewer() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


@feedback_app.command("list")
def list_feedback(
    as_json: bool = typer.Option(False, "--json", help="JSON 输出 / JSON output"),
    status: str | None = typer.Option(None, "--status", help="new | accepted | rejected"),
    db: Path | None = DbOption,
) -> None:
    """列出反馈 / list feedback."""
    items = _store(db).list(status)
    if as_json:
        typer.echo(json.dumps([i.to_dict() for i in items], ensure_ascii=False, indent=1, default=str))
        return
    for i in items:
        mark = "👍" if i.verdict == "up" else "👎"
        fix = f"  → {i.rewrite or i.correction}" if (i.rewrite or i.correction) else ""
        typer.echo(f"#{i.id}\t{i.status}\t{mark}\t{i.who}\t{i.created_at}\t{i.question}{fix}")


@feedback_app.command("accept")
def accept(
    fid: int = typer.Argument(..., help="反馈编号 / feedback number"),
    phrasing: str | None = typer.Option(None, "--as", help="正确的说法(默认用用户写的)/ the right phrasing"),
    db: Path | None = DbOption,
) -> None:
    """接受纠正:以后这样问就按纠正后的说法理解 / accept a correction as an example."""
    import duckdb

    from assistant.agent.examples import check_phrasing
    from assistant.router.router import Router

    store = _store(db)
    item = store.get(fid)
    text = phrasing or item.correction or ""
    if text:
        con = duckdb.connect(str(config.db_path(db)), read_only=True)
        try:
            check_phrasing(Router(con), text)
        finally:
            con.close()
    done = store.review(fid, "accepted", _reviewer(), phrasing)
    _audit("feedback_accepted", done)
    typer.echo(f"accepted #{done.id}: 「{done.question}」 → 「{done.rewrite}」")


@feedback_app.command("reject")
def reject(fid: int = typer.Argument(..., help="反馈编号 / feedback number"), db: Path | None = DbOption) -> None:
    """不采纳(已接受的例子也就撤回)/ reject (withdraws an accepted example)."""
    done = _store(db).review(fid, "rejected", _reviewer())
    _audit("feedback_rejected", done)
    typer.echo(f"rejected #{done.id}")


@feedback_app.command("export")
def export(
    out: Path | None = typer.Option(None, "--out", help="输出文件(JSON lines;默认标准输出)/ output file"),
    db: Path | None = DbOption,
) -> None:
    """导出全部反馈为 JSON lines / export all feedback as JSON lines."""
    lines = [json.dumps(i.to_dict(), ensure_ascii=False, default=str) for i in _store(db).list()]
    text = "\n".join(lines) + ("\n" if lines else "")
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    out.chmod(0o600)
    typer.echo(f"{len(lines)} → {out}")


def _audit(event: str, item: object) -> None:
    from assistant.warehouse.audit import AuditLog

    AuditLog().write(event, _reviewer(), feedback=getattr(item, "id", None), via="cli")


def register(app: typer.Typer) -> None:
    app.add_typer(feedback_app, name="feedback")
