"""``users``: accounts for the web app (add, list, remove)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

users_app = typer.Typer(help="用户与权限 / users and roles.", no_args_is_help=True)
UsersOption = typer.Option(None, "--users", help="用户文件 / user store file (env ASSISTANT_USERS).")


def _audit(event: str, name: str, **fields: object) -> None:
    import getpass

    from assistant.warehouse.audit import AuditLog

    AuditLog().write(event, name, by=getpass.getuser(), via="cli", **fields)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)


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
    from assistant.warehouse.users import UserStore

    who = UserStore(users).add(name, role, _read_password(password_stdin), rep_id)
    _audit("user_added", who.name, role=who.role, rep_id=who.rep_id)
    typer.echo(f"added {who.name} ({who.role}{', ' + who.rep_id if who.rep_id else ''})")


@users_app.command("list")
def list_users(users: Path | None = UsersOption) -> None:
    """列出用户 / list users."""
    from assistant.warehouse.users import UserStore

    for who in UserStore(users).list():
        typer.echo(f"{who.name}\t{who.role}\t{who.rep_id or ''}")


@users_app.command("remove")
def remove(name: str = typer.Argument(...), users: Path | None = UsersOption) -> None:
    """删除用户 / remove a user."""
    from assistant.warehouse.users import UserStore

    UserStore(users).remove(name)
    _audit("user_removed", name)
    typer.echo(f"removed {name}; the web app signs out every session of {name} on its next request")


@users_app.command("passwd")
def passwd(
    name: str = typer.Argument(...),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="从标准输入读密码 / read the password from stdin"
    ),
    users: Path | None = UsersOption,
) -> None:
    """修改密码(该用户的所有会话随即失效)/ change a password (every session of the user ends)."""
    from assistant.warehouse.users import UserStore

    UserStore(users).set_password(name, _read_password(password_stdin))
    _audit("password_changed", name)
    typer.echo(f"password changed for {name}; their sessions have ended")


# Demo accounts for the sample warehouse (documented in the README; for trying the app, not for real data).
DEMO_ACCOUNTS = (
    ("zhangwei", "sales", "张伟", "demo-zhangwei"),
    ("lina", "sales", "李娜", "demo-lina"),
    ("manager", "manager", None, "demo-manager"),
    ("trainer", "trainer", None, "demo-trainer"),
)


@users_app.command("demo")
def demo(
    users: Path | None = UsersOption, db: Path | None = typer.Option(None, "--db", help="DuckDB 文件 / warehouse file")
) -> None:
    """为示例数据创建演示账号 / create the demo accounts for the sample warehouse."""
    from assistant.core import config
    from assistant.core.errors import InputError
    from assistant.warehouse.db import connect
    from assistant.warehouse.users import UserStore

    con = connect(config.db_path(db))
    try:
        reps = dict(con.execute("SELECT name, rep_id FROM sales_reps").fetchall())
    finally:
        con.close()
    store = UserStore(users)
    for name, role, rep_name, password in DEMO_ACCOUNTS:
        rep_id = reps.get(rep_name) if rep_name else None
        if rep_name and rep_id is None:
            raise InputError(f"示例数据中没有销售 {rep_name}。", f"The warehouse has no rep named {rep_name}.")
        if store.get(name) is not None:
            store.remove(name)
        store.add(name, role, password, rep_id=rep_id)
        typer.echo(f"{name}\t{role}\t{rep_id or ''}\tpassword: {password}")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
