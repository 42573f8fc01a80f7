"""``python -m assistant``: one command-line entry; the sub-commands are listed in ``COMMANDS``.

Each listed module in ``assistant/commands`` defines ``register(app)``; a new sub-command is a module there
and a line here.
"""

from __future__ import annotations

import importlib
import sys

import typer

from assistant.core.errors import AssistantError

COMMANDS: tuple[str, ...] = (
    "ask",
    "audit",
    "bench",
    "data",
    "data_import",
    "data_export",
    "docs",
    "feedback",
    "index",
    "report",
    "teach",
    "tool",
    "users",
)

app = typer.Typer(
    help="客户分析助手 / Customer-analysis assistant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _load_commands() -> None:
    for name in COMMANDS:
        importlib.import_module(f"assistant.commands.{name}").register(app)


_load_commands()


def main() -> None:
    try:
        app()
    except AssistantError as exc:
        # Both languages: the CLI cannot know which one the user reads.
        typer.echo(f"错误: {exc.zh}\nError: {exc.en}", err=True)
        sys.exit(2)
