"""``ask`` (one question) and ``chat`` (a conversation in the terminal)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from assistant.core import config

DbOption = typer.Option(None, "--db", help="DuckDB 文件 / warehouse file (env ASSISTANT_DB).")
IndexOption = typer.Option(None, "--index", help="知识库索引目录 / knowledge index folder (env ASSISTANT_INDEX).")
RepOption = typer.Option(
    None, "--rep", help="提问的销售编号(用于“我的客户”)/ rep id of the salesperson asking, for 'my customers'."
)
AsUserOption = typer.Option(
    None, "--as-user", help="以该用户身份提问,只看其有权限的数据 / ask as this user, seeing only their data."
)
UsersOption = typer.Option(None, "--users", help="用户文件 / user store file (env ASSISTANT_USERS).")
NoLlmOption = typer.Option(
    False,
    "--no-llm",
    help="不用 LLM,只用内置规则(同 ASSISTANT_LLM=off)/ built-in rules only, even with OPENAI_API_KEY.",
)


EngineOption = typer.Option(
    None, "--engine", help="duckdb(默认)或 spark / duckdb (default) or spark (env ASSISTANT_ENGINE, ASSISTANT_SPARK)."
)


def _assistant(
    db: Path | None,
    index: Path | None,
    as_user: str | None,
    users: Path | None,
    rep: str | None,
    use_llm: bool = True,
    engine: str | None = None,
) -> tuple[Any, str | None]:
    """The assistant, on a connection scoped to the user when one is named, on the chosen engine."""
    from assistant.agent import Assistant
    from assistant.agent.examples import bank_for
    from assistant.core.errors import InputError
    from assistant.warehouse.engine_choice import engine_name, open_warehouse
    from assistant.warehouse.users import UserStore

    path = config.db_path(db)
    if as_user is None:
        con = None if engine_name(engine) == "duckdb" else open_warehouse(path, engine)
        bot = Assistant(path, index=config.index_path(index), con=con, use_llm=use_llm, examples=bank_for(path))  # type: ignore[arg-type]
        return bot, rep
    who = UserStore(users).get(as_user)
    if who is None:
        raise InputError(f"没有用户 {as_user};用 `users add` 添加。", f"No user {as_user}; add one with `users add`.")
    con = open_warehouse(path, engine, who)
    bot = Assistant(path, index=config.index_path(index), con=con, use_llm=use_llm, examples=bank_for(path))  # type: ignore[arg-type]
    return bot, who.rep_id


def _print_answer(ans: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(ans, ensure_ascii=False, indent=2))
        return
    text = str(ans["answer"])
    typer.echo(text)
    for n in ans.get("notices") or []:  # type: ignore[union-attr]
        if str(n) not in text:  # an error is the answer's text and its notice: said once, as in the chat
            typer.echo(f"! {n}")


def register(app: typer.Typer) -> None:
    @app.command("ask")
    def ask(
        question: str = typer.Argument(..., help="问题 / the question"),
        as_json: bool = typer.Option(False, "--json", help="输出 JSON / print one JSON object"),
        db: Path | None = DbOption,
        index: Path | None = IndexOption,
        rep: str | None = RepOption,
        as_user: str | None = AsUserOption,
        users: Path | None = UsersOption,
        no_llm: bool = NoLlmOption,
        engine: str | None = EngineOption,
    ) -> None:
        """回答一个问题 / answer one question."""
        from assistant.answering.conversation import Context

        bot, rep = _assistant(db, index, as_user, users, rep, use_llm=not no_llm, engine=engine)
        try:
            _print_answer(bot.ask(question, Context(user_rep_id=rep)).to_json(), as_json)
        finally:
            bot.close()

    @app.command("chat")
    def chat(
        db: Path | None = DbOption,
        index: Path | None = IndexOption,
        rep: str | None = RepOption,
        as_user: str | None = AsUserOption,
        users: Path | None = UsersOption,
        as_json: bool = typer.Option(False, "--json", help="每个回答输出 JSON / one JSON object per answer"),
        no_llm: bool = NoLlmOption,
        engine: str | None = EngineOption,
    ) -> None:
        """在终端里对话(/new 新对话,/quit 退出)/ a conversation in the terminal (/new, /quit)."""
        from assistant.answering.conversation import Context

        bot, rep = _assistant(db, index, as_user, users, rep, use_llm=not no_llm, engine=engine)
        ctx = Context(user_rep_id=rep)
        interactive = sys.stdin.isatty()
        try:
            while True:
                if interactive:
                    typer.echo("> ", nl=False)
                line = sys.stdin.readline()
                if not line:
                    break
                q = line.strip()
                if not q:
                    continue
                if q in ("/quit", "/exit", "退出"):
                    break
                if q in ("/new", "新对话"):
                    ctx = Context(user_rep_id=rep)
                    typer.echo("(新对话 / new conversation)")
                    continue
                _print_answer(bot.ask(q, ctx).to_json(), as_json)
                typer.echo("")
        finally:
            bot.close()
