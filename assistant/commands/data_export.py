"""``data export``: the contract tables as Parquet files, for Spark (see assistant/warehouse/parquet_export.py)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assistant.commands.data import DbOption, data_app
from assistant.core.errors import InputError


def export_cmd(
    fmt: str = typer.Option("parquet", "--format", help="parquet(目前唯一的格式 / the only format for now)."),
    out: Path = typer.Option(..., "--out", help="输出目录 / output folder, one <table>.parquet per table."),
    db: Path | None = DbOption,
) -> None:
    """导出数据仓库的表为 Parquet / export the warehouse tables as Parquet (for Spark)."""
    from assistant.core import config
    from assistant.warehouse.db import connect
    from assistant.warehouse.parquet_export import export_parquet

    if fmt != "parquet":
        raise InputError(f"--format 只能是 parquet,收到 {fmt!r}。", f"--format must be parquet, got {fmt!r}.")
    con = connect(config.db_path(db))
    try:
        counts = export_parquet(con, out)
    finally:
        con.close()
    typer.echo(json.dumps({"out": str(out), "rows": counts}, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    data_app.command("export")(export_cmd)
