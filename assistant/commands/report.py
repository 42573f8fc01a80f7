"""``report``: the explained business review for a period and scope."""

from __future__ import annotations

from pathlib import Path

import typer

from assistant.core import config


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        period: str = typer.Option(..., "--period", help="期间 / period: 2025-Q2, 2025-06, 2025-H1, 2025, 本季度…"),
        region: list[str] = typer.Option([], "--region", help="大区 / region (repeatable)"),
        rep: list[str] = typer.Option([], "--rep", help="销售编号 / rep id (repeatable)"),
        fmt: str = typer.Option("md", "--format", help="md | html | xlsx | pdf"),
        out: Path | None = typer.Option(None, "--out", help="输出文件 / output file (default: print Markdown)"),
        lang: str = typer.Option("zh", "--lang", help="zh | en"),
        db: Path | None = typer.Option(None, "--db", help="DuckDB 文件 / warehouse file"),
        engine: str | None = typer.Option(
            None, "--engine", help="duckdb(默认)或 spark / duckdb (default) or spark (env ASSISTANT_ENGINE)."
        ),
    ) -> None:
        """生成客户经营情况总结 / build the customer business review."""
        from assistant.report.build import build_report, parse_period
        from assistant.report.render import to_markdown, write
        from assistant.warehouse.engine_choice import open_warehouse
        from tools.base import last_order_date

        con = open_warehouse(config.db_path(db), engine)
        try:
            p = parse_period(period, last_order_date(con))
            rep_ = build_report(con, p, lang=lang, region=region or None, rep_id=rep or None)
        finally:
            con.close()
        if out is None:
            typer.echo(to_markdown(rep_))
            return
        typer.echo(str(write(rep_, fmt, out)))
