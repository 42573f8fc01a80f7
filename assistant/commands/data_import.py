"""``data import``: bring CSV, Excel and Parquet files into the warehouse (see assistant/warehouse/importer)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assistant.commands.data import DbOption, data_app
from assistant.core.errors import AssistantError, InputError


def _parse_map(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        src, sep, tgt = item.partition("=")
        if not sep or not src.strip() or not tgt.strip():
            raise InputError(
                f"--map {item}:格式应为 源列=目标列,如 --map 会员号=customer_id",
                f"--map {item}: expected source=target, e.g. --map 会员号=customer_id",
            )
        out[src.strip()] = tgt.strip()
    return out


def import_cmd(
    files: list[Path] = typer.Argument(..., help="CSV / .xlsx / Parquet 文件 / files to import."),
    table: str | None = typer.Option(None, "--table", help="目标表(默认按文件名/列名推断) / target table."),
    preset: str | None = typer.Option(None, "--preset", help="预设布局: transactions / preset layout."),
    mapping: list[str] = typer.Option([], "--map", help="源列=目标列,可重复 / source=target, repeatable."),
    mode: str = typer.Option("replace", "--mode", help="replace(替换所导入的表)或 append(追加)."),
    db: Path | None = DbOption,
    date_order: str | None = typer.Option(None, "--date-order", help="dmy | mdy | ymd: 05/01/2024 的顺序."),
    max_reject_rate: float = typer.Option(0.01, "--max-reject-rate", help="拒收行比例上限 / abort above this."),
    rejects: Path | None = typer.Option(None, "--rejects", help="拒收行文件 / rejects CSV path."),
    lang: str | None = typer.Option(None, "--lang", help="zh | en(默认两种语言的错误 / both for errors)."),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON 报告 / print the report as JSON."),
) -> None:
    """导入数据文件,校验后整体写入 / import files, validated, all or nothing.

    The import works on a copy and moves it into place at once (the previous warehouse is kept as
    <db>.bak), so a running web app keeps answering from the old data until then.
    """
    import getpass

    from assistant.core import config
    from assistant.warehouse.audit import AuditLog
    from assistant.warehouse.importer import ImportOptions
    from assistant.warehouse.importer.core import import_replacing

    try:
        if preset not in (None, "transactions"):
            raise InputError(f"未知的预设 {preset}。可用:transactions", f"Unknown preset {preset}. Known: transactions")
        if mode not in ("replace", "append"):
            raise InputError(
                f"--mode 应为 replace 或 append,而不是 {mode}", f"--mode must be replace or append, not {mode}"
            )
        if date_order not in (None, "dmy", "mdy", "ymd"):
            raise InputError(
                f"--date-order 应为 dmy、mdy 或 ymd,而不是 {date_order}",
                f"--date-order must be dmy, mdy or ymd, not {date_order}",
            )
        if not 0 <= max_reject_rate <= 1:
            raise InputError("--max-reject-rate 应在 0 到 1 之间", "--max-reject-rate must be between 0 and 1")
        opts = ImportOptions(
            table=table,
            preset=preset,  # type: ignore[arg-type]
            mapping=_parse_map(mapping),
            mode=mode,  # type: ignore[arg-type]
            date_order=date_order,  # type: ignore[arg-type]
            max_reject_rate=max_reject_rate,
            rejects_path=rejects,
        )
        report = import_replacing(files, opts, config.db_path(db), by=getpass.getuser())
        AuditLog().write(
            "import",
            getpass.getuser(),
            via="cli",
            files=[f.name for f in files],
            mode=mode,
            rows_read=report.rows_read,
            rows_rejected=report.rows_rejected,
        )
    except AssistantError as exc:
        if lang is None:
            raise  # the CLI prints both languages
        typer.echo(("错误: " if lang.startswith("zh") else "Error: ") + exc.message(lang), err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        typer.echo(report.render(lang or "zh"))


def register(app: typer.Typer) -> None:
    data_app.command("import")(import_cmd)
