"""Which engine runs the tools: DuckDB (the embedded default) or Spark, from ``--engine`` or ``ASSISTANT_ENGINE``.

``open_warehouse`` gives what the tools, the router and the assistant take: a DuckDB connection (as before the
seam, so the default path is untouched) or a ``SparkEngine`` (``ASSISTANT_SPARK``, ``ASSISTANT_SPARK_TABLES``).
A salesperson gets only their customers on either: a DuckDB copy (assistant.warehouse.access) or Spark views cut
by the same rules (SparkEngine._install).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from assistant.core.errors import ConfigError
from assistant.warehouse.access import Principal, open_for
from assistant.warehouse.db import connect
from assistant.warehouse.engine import Engine

ENGINES: tuple[str, ...] = ("duckdb", "spark")


def engine_name(option: str | None = None) -> str:
    """The engine asked for: ``option``, else ``ASSISTANT_ENGINE``, else duckdb."""
    name = (option or os.environ.get("ASSISTANT_ENGINE") or "duckdb").strip().lower()
    if name not in ENGINES:
        raise ConfigError(
            f"引擎只能是 {' / '.join(ENGINES)},收到 {name!r}(--engine 或 ASSISTANT_ENGINE)。",
            f"The engine must be one of {', '.join(ENGINES)}, got {name!r} (--engine or ASSISTANT_ENGINE).",
        )
    return name


def open_warehouse(
    db: str | Path, engine: str | None = None, who: Principal | None = None
) -> duckdb.DuckDBPyConnection | Engine:
    """The warehouse on the chosen engine, read-only; only ``who``'s data when ``who`` is given.

    On DuckDB ``db`` is the warehouse file; Spark reads its own tables (``ASSISTANT_SPARK_TABLES``).
    """
    if engine_name(engine) == "duckdb":
        return open_for(db, who) if who is not None else connect(db)
    from assistant.warehouse.spark_engine import open_spark  # pyspark only when asked for

    rep = who.rep_id if who is not None and not who.sees_everything else None
    return open_spark(rep_id=rep)
