"""The contract tables as a folder of Parquet files, one per table, for an engine that reads files (Spark).

``<out>/<table>.parquet`` for every contract table, written by DuckDB's COPY (types kept: DECIMAL stays
DECIMAL, DATE stays DATE), plus ``reference.parquet`` when the warehouse carries a reference date. Derived
tables are not exported: the engine that reads the folder builds them itself (assistant.warehouse.spark_jobs).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from assistant.warehouse.schema import REFERENCE_TABLE, TABLES


def export_parquet(con: duckdb.DuckDBPyConnection, out: str | Path) -> dict[str, int]:
    """Write each contract table to ``out/<name>.parquet``; returns the rows written per table."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    names = [t.name for t in TABLES] + ([REFERENCE_TABLE] if REFERENCE_TABLE in present else [])
    counts: dict[str, int] = {}
    for name in names:  # names come from the contract, never from the caller
        target = folder / f"{name}.parquet"
        tmp = target.with_name(target.name + ".tmp")
        con.execute(f"COPY (SELECT * FROM {name}) TO '{_quoted(tmp)}' (FORMAT parquet, COMPRESSION zstd)")
        tmp.replace(target)  # a reader never sees half a file
        counts[name] = int(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
    return counts


def _quoted(path: Path) -> str:
    # COPY takes no parameter for its target: the path is ours (out folder + contract name), quotes doubled.
    return str(path).replace("'", "''")
