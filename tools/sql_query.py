"""sql_query: a read-only SELECT over the warehouse tables, for questions beyond the metric layer.

The SQL goes through ``assistant.warehouse.sql_guard``: checked by the parser (one SELECT, warehouse tables only, no
file/network/catalog functions), run on a hardened connection (no external access, configuration locked),
rows capped with truncation flagged, and interrupted after a time limit.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from assistant.warehouse.sql_guard import DEFAULT_LIMIT, DEFAULT_TIMEOUT_S, guarded_query
from tools.base import Con, Definition, ToolResult, register


class SqlQueryArgs(BaseModel):
    """只读 SQL 查询参数 / read-only SQL query parameters."""

    model_config = ConfigDict(extra="forbid")

    sql: str = Field(
        ...,
        description="一条 SELECT 查询(可用 WITH、UNION),只能读取数据仓库中的表 / one SELECT statement (WITH and UNION allowed) over the warehouse tables",
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=100_000, description="最多返回行数 / maximum rows returned")
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0, le=120, description="时间上限(秒) / time limit in seconds")


@register(
    "sql_query",
    "只读 SQL 查询:用于指标查询无法回答的问题;只能对数据仓库中的表执行一条 SELECT",
    "Read-only SQL: for questions beyond the metrics; read-only SELECT over the warehouse tables",
    SqlQueryArgs,
    examples=("SELECT region, count(*) AS customers FROM customers GROUP BY region",),
)
def sql_query(con: Con, args: SqlQueryArgs) -> ToolResult:
    res = guarded_query(con, args.sql, limit=args.limit, timeout_s=args.timeout_s)
    return ToolResult(
        arguments=args.model_dump(),
        as_of=None,
        figures={"rows": len(res.rows), "truncated": res.truncated, "limit": res.limit, "elapsed_ms": res.elapsed_ms},
        columns=res.columns,
        rows=res.rows,
        definitions=[
            Definition(
                name="sql_query",
                zh="由调用方编写、经安全检查后在只读连接上执行的 SELECT 查询",
                en="A SELECT written by the caller, checked by the SQL guard and run on a read-only connection",
                value=args.sql,
            )
        ],
        sql=[args.sql],
        notes=res.notes,
    )
