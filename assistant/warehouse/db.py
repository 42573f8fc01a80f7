"""Opening the warehouse and checking it against the contract."""

from __future__ import annotations

from pathlib import Path

import duckdb

from assistant.core.errors import WarehouseError
from assistant.warehouse.schema import TABLES


def connect(path: str | Path, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; a clear error when it is missing."""
    p = Path(path)
    if read_only and not p.exists():
        raise WarehouseError(
            f"找不到数据仓库文件 {p}。请先运行 `python -m assistant data generate` 生成示例数据,或用 --db 指定已有文件。",
            f"Warehouse file {p} not found. Run `python -m assistant data generate` to build the sample, "
            "or pass --db with an existing file.",
            path=str(p),
        )
    if not read_only:
        p.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(p), read_only=read_only)
        # No progress bar: it would print into the CLI's JSON and the server's log during long scans.
        con.execute("SET enable_progress_bar = false")
        return con
    except duckdb.Error as exc:  # locked by another writer, not a DuckDB file, …
        raise WarehouseError(
            f"无法打开数据仓库 {p}:{exc}",
            f"Cannot open warehouse {p}: {exc}",
            path=str(p),
        ) from exc


def contract_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Missing tables or columns, and columns of the wrong type; empty when the warehouse matches."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    have: dict[str, dict[str, str]] = {}
    for t, c, typ in rows:
        have.setdefault(t, {})[c] = typ
    problems = []
    for table in TABLES:
        cols = have.get(table.name)
        if cols is None:
            problems.append(f"missing table {table.name}")
            continue
        for col in table.columns:
            if col.name not in cols:
                problems.append(f"missing column {table.name}.{col.name}")
            elif cols[col.name] != col.type:
                problems.append(f"{table.name}.{col.name} is {cols[col.name]}, expected {col.type}")
    return problems


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    out = {}
    for t in TABLES:
        out[t.name] = con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]  # names come from the contract
    return out


def create_tables(con: duckdb.DuckDBPyConnection, *, schema: str | None = None, constraints: bool = True) -> None:
    """Create every contract table (empty). ``schema`` puts them in another schema, e.g. for staging."""
    from assistant.warehouse.schema import ddl

    prefix = f"{schema}." if schema else ""
    if schema:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for t in TABLES:
        con.execute(ddl(t, name=prefix + t.name, constraints=constraints))
