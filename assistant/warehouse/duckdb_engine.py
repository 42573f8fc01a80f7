"""The embedded default engine: a DuckDB connection behind the ``Engine`` seam.

A thin wrapper, so the default path keeps its speed: ``rows`` is DuckDB's own ``fetchall`` and ``numpy`` its
``fetchnumpy``, exactly what the tools called before the seam existed. DuckDB's errors are left to propagate
unchanged from ``rows``/``numpy`` (callers such as the SQL guard and the LLM agent already handle them);
``map_error`` gives our error for one when a caller wants it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import duckdb

from assistant.core.errors import AssistantError
from assistant.warehouse import derived
from assistant.warehouse.engine import BatchFn, Cursor, Engine, QueryError

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    from sqlglot import exp


class DuckDBEngine(Engine):
    """A DuckDB connection as an ``Engine``; the connection stays the caller's (``close`` leaves it open)."""

    dialect = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    # ``tree`` is ignored: the text is already DuckDB's.
    def arrow(
        self, sql: str, params: Mapping[str, Any] | None = None, *, tree: exp.Expression | None = None
    ) -> pa.Table:
        return self.con.sql(sql, params=dict(params or {})).to_arrow_table()

    def rows(
        self, sql: str, params: Mapping[str, Any] | None = None, *, tree: exp.Expression | None = None
    ) -> tuple[list[str], list[list[Any]]]:
        cur = self.con.execute(sql, dict(params or {}))
        return [d[0] for d in cur.description], [list(r) for r in cur.fetchall()]

    def execute(self, sql: str, params: Mapping[str, Any] | list[Any] | None = None) -> Cursor:
        # DuckDB binds ? placeholders itself.
        cur = self.con.execute(sql, params if params is not None else {})
        return Cursor([d[0] for d in cur.description], [list(r) for r in cur.fetchall()])

    def numpy(self, sql: str, params: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
        return dict(self.con.execute(sql, dict(params or {})).fetchnumpy())

    def stage(
        self,
        name: str,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        fn: BatchFn | None = None,
        added: Mapping[str, str] | None = None,
    ) -> None:
        # In process the rows are here anyway: one batch, registered as a view of this connection only (no write,
        # so a read-only warehouse takes it). The tools use this path only when told the engine is distributed
        # (the tests do, to check the engine-side path without Spark).
        frame = self.con.execute(sql, dict(params or {})).fetchdf()
        self.con.register(name, fn(frame) if fn is not None else frame)  # NaN in a float column reads as NULL

    def unstage(self, name: str) -> None:
        try:
            self.con.unregister(name)
        except duckdb.Error:  # never staged
            pass

    def tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT DISTINCT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
            "AND table_schema = 'main' ORDER BY 1"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def interrupt(self) -> None:
        self.con.interrupt()

    def map_error(self, exc: BaseException) -> AssistantError | None:
        if not isinstance(exc, duckdb.Error):
            return None
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return QueryError(f"查询执行失败:{first}", f"The query failed: {first}", engine="duckdb")

    def derived_fresh(self, name: str) -> bool:
        return name == derived.ORDER_TOTALS and derived.order_totals_fresh(self.con)


def as_engine(con: duckdb.DuckDBPyConnection | Engine) -> Engine:
    """The engine behind what a tool was given: an ``Engine`` as it is, a DuckDB connection wrapped.

    Tools, reports and tests keep passing plain DuckDB connections; a Spark session arrives as its engine.
    """
    return con if isinstance(con, Engine) else DuckDBEngine(con)
