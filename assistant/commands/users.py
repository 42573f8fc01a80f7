"""``users``: accounts for the web app (add, list, remove)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

users_app = typer.Typer(help="用户与权限 / users and roles.", no_args_is_help=True)
UsersOption = typer.Option(None, "--users", help="用户文件 / user store file (env ASSISTANT_USERS).")


@users_app.command("add")
def add(
    name: str = typer.Argument(..., help="用户名 / user name"),
    role: str = typer.Option(..., "--role", help="sales | manager | trainer"),
    rep_id: str | None = typer.Option(None, "--rep-id", help="销售编号(sales 必填)/ rep id (required for sales)"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="从标准输入读密码 / read the password from stdin"
    ),
    users: Path | None = UsersOption,
) -> None:
    """添加用户 / add a user."""
    from assistant.users import UserStore

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    who = UserStore(users).add(name, role, password, rep_id)
    typer.echo(f"added {who.name} ({who.role}{', ' + who.rep_id if who.rep_id else ''})")


@users_app.command("list")
def list_users(users: Path | None = UsersOption) -> None:
    """列出用户 / list users."""
    from assistant.users import UserStore

    for who in UserStore(users).list():
        typer.echo(f"{who.name}\t{who.role}\t{who.rep_id or ''}")


@users_app.command("remove")
def remove(name: str = typer.Argument(...), users: Path | None = UsersOption) -> None:
    """删除用户 / remove a user."""
    from assistant.users import UserStore

    UserStore(users).remove(name)
    typer.echo(f"removed {name}")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
