"""``teach``: the trainer's tools (curriculum, explanations, worked examples, exercises)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assistant.core import config

teach_app = typer.Typer(help="培训模式 / teaching mode.", no_args_is_help=True)
LangOption = typer.Option("zh", "--lang", help="zh | en")


@teach_app.command("curriculum")
def curriculum_cmd(lang: str = LangOption) -> None:
    """课程大纲 / the curriculum, in teaching order."""
    from assistant.teach.core import curriculum

    for i, t in enumerate(curriculum(), 1):
        typer.echo(f"{i:2}. {t['id']:<22} {t[lang]}")


@teach_app.command("explain")
def explain_cmd(
    topic: str, level: str = typer.Option("brief", "--level", help="brief | detailed"), lang: str = LangOption
) -> None:
    """讲解一个主题 / explain a topic."""
    from assistant.teach.core import explain

    typer.echo(explain(topic, level, lang)[0])


@teach_app.command("walkthrough")
def walkthrough_cmd(customer_id: str, lang: str = LangOption, db: Path | None = typer.Option(None, "--db")) -> None:
    """一步一步演示某客户的 RFM 分类 / a customer's RFM classification, step by step."""
    from assistant.teach.core import rfm_walkthrough
    from assistant.warehouse.db import connect

    con = connect(config.db_path(db))
    try:
        typer.echo(rfm_walkthrough(con, customer_id, lang)[0])
    finally:
        con.close()


@teach_app.command("quiz")
def quiz_cmd(
    n: int = typer.Option(5, "--n"),
    seed: int = typer.Option(0, "--seed"),
    lang: str = LangOption,
    as_json: bool = typer.Option(False, "--json"),
    db: Path | None = typer.Option(None, "--db"),
) -> None:
    """生成练习题(含答案)/ generate exercises (answers in --json)."""
    from assistant.teach.core import quiz, render_exercise
    from assistant.warehouse.db import connect

    con = connect(config.db_path(db))
    try:
        items = quiz(con, n, seed, lang)
    finally:
        con.close()
    if as_json:
        typer.echo(json.dumps([e.to_dict() for e in items], ensure_ascii=False, indent=2))
        return
    for i, e in enumerate(items, 1):
        typer.echo(render_exercise(e, i) + "\n")


def register(app: typer.Typer) -> None:
    app.add_typer(teach_app, name="teach")
