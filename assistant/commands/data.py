"""``data``: build the sample warehouse, show what is loaded, render the data contract."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assistant.core import config

data_app = typer.Typer(
    help="数据仓库:生成示例、查看、导入 / the warehouse: sample, info, import.", no_args_is_help=True
)

DbOption = typer.Option(None, "--db", help="DuckDB 文件 / warehouse file (env ASSISTANT_DB).")


@data_app.command("generate")
def generate_cmd(
    customers: int = typer.Option(2000, "--customers", min=10, help="客户数 / number of customers."),
    seed: int = typer.Option(42, "--seed", help="随机种子 / random seed (same seed, same data)."),
    start: str = typer.Option("2024-01-01", "--start", help="历史开始日期 / first day of history."),
    end: str = typer.Option("2026-10-31", "--end", help="历史结束日期 / last day of history."),
    lines_per_customer: float = typer.Option(
        25.0, "--lines-per-customer", min=1.0, help="每客户平均订单行 / average order lines per customer."
    ),
    db: Path | None = DbOption,
    force: bool = typer.Option(
        False, "--force", help="替换含导入数据的仓库 / replace a warehouse that holds imported data."
    ),
) -> None:
    """生成确定性的示例数据仓库 / build the deterministic sample warehouse.

    The previous warehouse is kept as <db>.bak (`data restore` brings it back); a warehouse holding
    imported data is replaced only with --force.
    """
    import getpass

    from assistant.core.errors import InputError
    from assistant.warehouse.audit import AuditLog
    from assistant.warehouse.db import mark_source, replace_warehouse, source_of, write_lock
    from assistant.warehouse.generate import GenerateOptions, generate, parse_date

    path = config.db_path(db)
    if path.exists() and source_of(path) == "imported" and not force:
        raise InputError(
            f"{path.name} 含有导入的数据;确需用示例数据替换,请加 --force(原数据会保留为 {path.name}.bak)。",
            f"{path.name} holds imported data; to replace it with the sample anyway, pass --force "
            f"(the previous data is kept as {path.name}.bak).",
        )
    opts = GenerateOptions(
        customers=customers,
        seed=seed,
        start=parse_date(start, "--start"),
        end=parse_date(end, "--end"),
        lines_per_customer=lines_per_customer,
    )
    work = path.with_name(path.name + ".regenerating")
    try:
        with write_lock(path):
            counts = generate(work, opts)
            backup = replace_warehouse(work, path)
            mark_source(path, "sample", getpass.getuser())
    finally:
        work.unlink(missing_ok=True)
    AuditLog().write("regenerate", getpass.getuser(), via="cli", db=path.name, customers=customers, seed=seed)
    out = {"db": str(path), "rows": counts, "backup": str(backup) if backup else None}
    typer.echo(json.dumps(out, ensure_ascii=False))


@data_app.command("restore")
def restore_cmd(db: Path | None = DbOption) -> None:
    """换回备份的数据仓库(当前的成为新备份)/ swap the backup back in (the current one becomes the backup)."""
    import getpass
    import os

    from assistant.core.errors import InputError
    from assistant.warehouse.audit import AuditLog
    from assistant.warehouse.db import BACKUP_SUFFIX, replace_warehouse, write_lock

    path = config.db_path(db)
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    if not backup.exists():
        raise InputError(f"没有备份 {backup.name}。", f"There is no backup {backup.name}.")
    with write_lock(path):
        work = path.with_name(path.name + ".restoring")
        work.unlink(missing_ok=True)
        os.link(backup, work)
        replace_warehouse(work, path)  # the current file becomes the backup
    AuditLog().write("restore", getpass.getuser(), via="cli", db=path.name)
    typer.echo(json.dumps({"db": str(path), "restored_from": str(backup)}, ensure_ascii=False))


@data_app.command("info")
def info_cmd(db: Path | None = DbOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """显示已加载的数据:表、行数、日期范围 / what is loaded: tables, rows, date range."""
    from assistant.warehouse import derived
    from assistant.warehouse.db import connect, contract_problems, table_counts

    path = config.db_path(db)
    con = connect(path)
    try:
        first, last = con.execute("SELECT min(order_date), max(order_date) FROM orders").fetchone()
        out = {
            "db": str(path),
            "rows": table_counts(con),
            "order_dates": [str(first) if first else None, str(last) if last else None],
            "contract_problems": contract_problems(con),
            "derived": {derived.ORDER_TOTALS: derived.state(con)},
        }
    finally:
        con.close()
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{out['db']}  orders {out['order_dates'][0]} → {out['order_dates'][1]}")
    for t, n in out["rows"].items():
        typer.echo(f"  {t:<16} {n:>12,}")
    for p in out["contract_problems"]:
        typer.echo(f"  ! {p}")
    for name, st in out["derived"].items():
        hint = "" if st == "fresh" else "  (run `python -m assistant data derive`; until then tools read the lines)"
        typer.echo(f"  derived {name}: {st}{hint}")


@data_app.command("derive")
def derive_cmd(
    db: Path | None = DbOption,
    if_stale: bool = typer.Option(
        False, "--if-stale", help="已是最新则不重建(make run 用)/ only when missing or stale (make run uses this)."
    ),
) -> None:
    """重建派生表(订单汇总),加快大数据量下的分析 / rebuild the derived tables (order totals) that speed up the tools.

    The generator and the importer keep them current; run this after changing the warehouse some other way.
    """
    from assistant.warehouse import derived
    from assistant.warehouse.db import connect

    path = config.db_path(db)
    ro = connect(path)  # the clear "no warehouse here" error, instead of creating an empty file
    try:
        current = derived.state(ro)
    finally:
        ro.close()
    if if_stale and current == "fresh":
        typer.echo(json.dumps({"db": str(path), derived.ORDER_TOTALS: current, "rebuilt": False}, ensure_ascii=False))
        return
    con = connect(path, read_only=False)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            derived.build(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        state = derived.state(con)
    finally:
        con.close()
    typer.echo(json.dumps({"db": str(path), derived.ORDER_TOTALS: state, "rebuilt": True}, ensure_ascii=False))


@data_app.command("docs")
def docs_cmd(check: bool = typer.Option(False, "--check", help="只检查 docs/data.md 是否最新 / only check.")) -> None:
    """把数据契约写入 docs/data.md / render the contract into docs/data.md."""
    from assistant.warehouse.contract_doc import DOC_PATH, update_doc

    changed = update_doc(write=not check)
    if check and changed:
        typer.echo(f"{DOC_PATH} is out of date: run `python -m assistant data docs`", err=True)
        raise typer.Exit(1)
    typer.echo(f"{DOC_PATH}: {'updated' if changed else 'up to date'}")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
