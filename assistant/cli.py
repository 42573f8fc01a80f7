"""``python -m assistant``: one command-line entry, sub-commands discovered from ``assistant.commands``.

Each module in ``assistant/commands`` defines ``register(app)``; adding a
sub-command never means editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from assistant import commands
from assistant.core.errors import AssistantError

app = typer.Typer(
    help="客户分析助手 / Customer-analysis assistant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _load_commands() -> None:
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{commands.__name__}.{mod.name}").register(app)


_load_commands()


def main() -> None:
    try:
        app()
    except AssistantError as exc:
        # Both languages: the CLI cannot know which one the user reads.
        typer.echo(f"错误: {exc.zh}\nError: {exc.en}", err=True)
        sys.exit(2)
