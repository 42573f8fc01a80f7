"""The SQL engine seam: what the tools need from whatever runs their SQL.

Every statement a tool runs goes through an ``Engine``: DuckDB (``duckdb_engine``, the embedded default) or
Apache Spark (``spark_engine``, local or a cluster through Spark Connect). The tools author their SQL in DuckDB's
dialect with ``$name`` parameters; an engine of another dialect renders it (``spark_dialect``) before running.

The interface is small on purpose (as vanna's ``sql_runner/base.py``): run a statement with named parameters and
get an Arrow table; say which sqlglot dialect it speaks; map its own errors to ours; interrupt a running
statement; list its tables. ``rows`` and ``numpy`` are conveniences with Arrow-based defaults that an engine may
answer faster natively (DuckDB does, so the default path keeps its speed).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from assistant.core.errors import AssistantError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    from sqlglot import exp

#: A function applied to a statement's rows batch by batch (``Engine.stage``): a pandas frame in, the same rows
#: with the added columns out. It must be a module-level function (or a partial of one) so Spark can ship it.
BatchFn = Callable[["pd.DataFrame"], "pd.DataFrame"]


class QueryError(AssistantError):
    """A statement failed inside the engine (a missing table, a type error, a cancelled query)."""


class Engine(abc.ABC):
    """Runs DuckDB-dialect SQL with ``$name`` parameters and returns Arrow; see the module docstring."""

    #: sqlglot's name for the dialect the engine runs ("duckdb", "spark").
    dialect: str = "duckdb"
    #: Whether per-customer rows should stay on the engine (``stage``) rather than come to this process: True
    #: for a cluster engine, where the driver's memory is small beside the data; False for an embedded one, where
    #: the rows are already in this process and NumPy on them is fastest.
    distributed: bool = False

    @abc.abstractmethod
    def arrow(
        self, sql: str, params: Mapping[str, Any] | None = None, *, tree: exp.Expression | None = None
    ) -> pa.Table:
        """Run one statement (DuckDB dialect, ``$name`` parameters); the whole result as an Arrow table.

        ``tree`` is the same statement as a sqlglot tree when the caller built one (metric_query): an engine of
        another dialect renders it directly instead of parsing ``sql`` again.
        """

    @abc.abstractmethod
    def tables(self) -> list[str]:
        """The names of the tables and views a statement can read, sorted."""

    @abc.abstractmethod
    def interrupt(self) -> None:
        """Stop the statement running now (from another thread); it raises in its caller."""

    @abc.abstractmethod
    def map_error(self, exc: BaseException) -> AssistantError | None:
        """Our error for the engine's own exception ``exc``; None when ``exc`` is not the engine's."""

    def render(self, sql: str) -> str:
        """``sql`` (DuckDB dialect) as this engine runs it; the SQL guard checks this text too."""
        return sql

    def rows(
        self, sql: str, params: Mapping[str, Any] | None = None, *, tree: exp.Expression | None = None
    ) -> tuple[list[str], list[list[Any]]]:
        """Column names and rows as Python values (Decimal, date, list, dict as DuckDB's fetchall gives them)."""
        return table_rows(self.arrow(sql, params, tree=tree))

    def numpy(self, sql: str, params: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
        """Each column as a NumPy array (for the tools that compute per customer in Python)."""
        import numpy as np

        table = self.arrow(sql, params)
        return {
            name: np.asarray(col.to_numpy(zero_copy_only=False))
            for name, col in zip(table.column_names, table.columns, strict=True)
        }

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Cursor:
        """A DuckDB-cursor-shaped result, for code written against a connection (the router's name lookups,
        the web page's summary): ``fetchall``, ``fetchone``, ``fetchmany``, ``description``.

        Named parameters only: ``?`` with a list is DuckDB's, and the dialect rewrite maps ``$name`` alone.
        """
        if params is not None and not isinstance(params, Mapping):
            raise QueryError(
                "该引擎只支持命名参数($name),不支持 ? 占位符。",
                "This engine takes named parameters ($name) only, not ? placeholders.",
            )
        return Cursor(*self.rows(sql, params))

    def stage(
        self,
        name: str,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        fn: BatchFn | None = None,
        added: Mapping[str, str] | None = None,
    ) -> None:
        """Keep the rows of ``sql`` on the engine as the view ``name`` for the statements that follow.

        With ``fn`` each batch of rows passes through it first (a pandas frame in, the same rows plus the
        ``added`` columns out, ``added`` mapping each new column to its SQL type: DOUBLE, BIGINT, BOOLEAN, VARCHAR).
        A distributed engine runs ``fn`` where the rows are (Spark: ``mapInPandas`` on the executors) and caches
        the view, so the rows never reach this process. ``name`` is ours (a constant of the calling tool), never
        user text; ``unstage`` drops it.
        """
        raise QueryError(
            "该引擎不支持在引擎上暂存结果。",
            "This engine cannot keep a result on the engine.",
        )

    def unstage(self, name: str) -> None:
        """Drop the view ``stage`` made (and its cache); nothing when there is none."""
        return None

    def derived_fresh(self, name: str) -> bool:
        """Whether the derived table ``name`` (assistant.warehouse.derived) can be read instead of its sources."""
        return False

    def close(self) -> None:
        """Release the engine's resources (a no-op when it does not own them)."""
        return None


class Cursor:
    """A finished result with the DB-API methods callers of a DuckDB connection use."""

    def __init__(self, columns: list[str], rows: list[list[Any]]) -> None:
        self.description = [(c, None, None, None, None, None, None) for c in columns]
        self._rows = [tuple(r) for r in rows]
        self._at = 0

    def fetchall(self) -> list[tuple[Any, ...]]:
        out, self._at = self._rows[self._at :], len(self._rows)
        return out

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        out = self._rows[self._at : self._at + size]
        self._at += len(out)
        return out

    def fetchone(self) -> tuple[Any, ...] | None:
        got = self.fetchmany(1)
        return got[0] if got else None


def table_rows(table: pa.Table) -> tuple[list[str], list[list[Any]]]:
    """An Arrow table as (column names, rows of Python values)."""
    columns = [c.to_pylist() for c in table.columns]
    return list(table.column_names), [list(r) for r in zip(*columns, strict=True)] if columns else []
