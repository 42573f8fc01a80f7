"""``docs``: search the methodology knowledge base (and users' documents) with citations."""

from __future__ import annotations

import json
from pathlib import Path

import typer

docs_app = typer.Typer(help="知识库检索 / search the knowledge base.", no_args_is_help=True)


@docs_app.command("search")
def search_cmd(
    query: str = typer.Argument(..., help="问题或关键词 / question or keywords."),
    k: int = typer.Option(5, "-k", "--k", min=1, max=50, help="返回条数 / number of hits."),
    lang: str | None = typer.Option(None, "--lang", help="只看 zh 或 en / only zh or en."),
    as_json: bool = typer.Option(False, "--json"),
    index: Path | None = typer.Option(None, "--index", help="索引目录 / index folder (env ASSISTANT_INDEX)."),
) -> None:
    """混合检索(向量 + BM25),带出处 / hybrid search (vectors + BM25) with citations."""
    import knowledge

    hits = knowledge.search(query, k=k, lang=lang, index=index)
    if as_json:
        typer.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        typer.echo("没有找到相关内容 / nothing found.")
    for n, h in enumerate(hits, start=1):
        typer.echo(f"{n}. [{h.score:.4f}] {h.citation()}\n   {h.snippet}")


def register(app: typer.Typer) -> None:
    app.add_typer(docs_app, name="docs")
