"""``index``: build, inspect and extend the knowledge index (shipped documents plus users' files)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

index_app = typer.Typer(
    help="知识库索引:构建、状态、添加文档 / the knowledge index: build, status, add.", no_args_is_help=True
)

IndexOption = typer.Option(None, "--index", help="索引目录 / index folder (env ASSISTANT_INDEX; default data/index).")


def _kb(index: Path | None):  # type: ignore[no-untyped-def]
    from assistant.core import config
    from knowledge.index import KnowledgeBase

    return KnowledgeBase(config.index_path(index))


@index_app.command("build")
def build_cmd(
    index: Path | None = IndexOption,
    force: bool = typer.Option(False, "--force", help="全部重建 / rebuild everything."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """缺失时构建,否则只更新改动的文档 / build when missing, else re-index changed documents only."""
    report = _kb(index).build(force=force)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    elif report["changed"] or report.get("removed"):
        typer.echo(
            f"index {report['index']}: {report['changed']} document(s) re-indexed, "
            f"{len(report.get('removed', []))} removed, {report['embedded_chunks']} chunk(s) embedded in {report['seconds']} s"
        )
    else:
        typer.echo(f"index {report['index']}: up to date ({report['seconds']} s)")


@index_app.command("status")
def status_cmd(index: Path | None = IndexOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """文档数、片段数、过期文档 / documents, chunks, stale documents."""
    st = _kb(index).status()
    if as_json:
        typer.echo(json.dumps(st, ensure_ascii=False, indent=2))
        return
    state = "built" if st["built"] else "not built"
    typer.echo(f"index {st['index']} ({state}, embedder {st['embedder']})")
    typer.echo(
        f"  documents {st['documents']}  user documents {st['user_documents']}  chunks {st['chunks']}  languages {st['languages']}"
    )
    if st["rebuild_needed"]:
        typer.echo("  ! rules, glossary or embedder changed: `index build` rebuilds everything")
    typer.echo(f"  stale {len(st['stale'])}" + "".join(f"\n    {s}" for s in st["stale"]))
    for s in st["missing_sources"]:
        typer.echo(f"  ! source missing (chunks kept): {s}")


@index_app.command("add")
def add_cmd(
    paths: list[Path] = typer.Argument(
        ..., help="Markdown / 文本 / HTML / PDF / Word .docx 文件或文件夹 / files or folders."
    ),
    index: Path | None = IndexOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """清洗、切分并加入用户文档 / clean, split and index users' documents."""
    report = _kb(index).add(list(paths))
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for f in report["files"]:
        state = "unchanged" if f["unchanged"] else "added"
        typer.echo(
            f"{state} {f['path']}: 《{f['title']}》 {f['language']}, {f['sections']} section(s), {f['chunks']} chunk(s)"
        )
    if report["duplicates_dropped"]:
        typer.echo(f"  {report['duplicates_dropped']} near-duplicate passage(s) dropped")


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
