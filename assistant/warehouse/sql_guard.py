"""Guarded SQL: a read-only SELECT over the warehouse tables, checked, capped and timed.

For questions beyond the metric layer the LLM may write SQL. Safety comes in layers, each tested on its own
(as datasette does it):

1. ``check_sql``: parse with sqlglot (DuckDB dialect); exactly one statement, a SELECT (WITH … SELECT and
   UNION/INTERSECT/EXCEPT of SELECTs allowed); no DDL/DML/PRAGMA/SET/ATTACH/COPY/… anywhere in the tree;
   tables only from an allow-list (the warehouse contract plus the caller's extra names) and never qualified
   with another catalog or schema; no functions that touch files, the network, settings or the catalog
   (deny-list); table functions only from a short allow-list (range, generate_series, unnest).
2. ``guarded_connect``/``harden``: the connection itself is read-only with ``enable_external_access=false``
   and ``lock_configuration=true``, so even a statement that slipped past the parser cannot read files,
   write files, attach databases or install extensions.
3. ``guarded_query``: ``fetchmany(limit + 1)`` so truncation is seen and flagged, and a ``threading.Timer``
   that calls ``con.interrupt()`` when the time limit passes.

>>> check_sql("SELECT region, count(*) FROM customers GROUP BY region").key
'select'
>>> try:
...     check_sql("DROP TABLE customers")
... except SqlRefused as e:
...     print(e.reason)
not_select
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from assistant.core.errors import AssistantError, InputError, WarehouseError
from assistant.warehouse.duckdb_engine import DuckDBEngine
from assistant.warehouse.engine import Engine
from assistant.warehouse.schema import TABLES

# sqlglot warns on stderr when it falls back to a generic Command; we refuse those anyway.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

WAREHOUSE_TABLES: frozenset[str] = frozenset(t.name for t in TABLES)
MAX_SQL_CHARS = 20_000
DEFAULT_LIMIT = 1000
DEFAULT_TIMEOUT_S = 10.0
GUARD_CONFIG: dict[str, Any] = {"enable_external_access": False, "lock_configuration": True}

# Table functions a SELECT may use in FROM: pure generators, no I/O.
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "generateseries", "unnest", "explode"})

# Functions that read files, reach the network, read settings/environment or the catalog.
DENIED_FUNCTIONS = frozenset(
    {
        "read_csv",
        "read_csv_auto",
        "read_parquet",
        "parquet_scan",
        "parquet_metadata",
        "parquet_schema",
        "parquet_file_metadata",
        "parquet_kv_metadata",
        "read_json",
        "read_json_auto",
        "read_json_objects",
        "read_ndjson",
        "read_ndjson_auto",
        "read_ndjson_objects",
        "read_text",
        "read_blob",
        "read_xlsx",
        "readcsv",
        "readparquet",
        "readjson",
        "glob",
        "sniff_csv",
        "query",
        "query_table",
        "iceberg_scan",
        "iceberg_metadata",
        "iceberg_snapshots",
        "delta_scan",
        "postgres_scan",
        "postgres_query",
        "mysql_scan",
        "sqlite_scan",
        "st_read",
        "getenv",
        "current_setting",
        "set_config",
        "current_database",
        "current_catalog",
        "current_schema",
        "current_schemas",
        "current_query",
        "current_user",
        "session_user",
        "user",
        "version",
        "checkpoint",
        "force_checkpoint",
        "load_extension",
        "install_extension",
        "export_database",
        "import_database",
        "which_secret",
        "test_all_types",
        "test_vector_types",
        "summary",
        "repeat_row",
        "shell",
        "system",
        "sql_auto_complete",
        "json_execute_serialized_sql",
        "json_serialize_sql",
        "json_deserialize_sql",
        "json_serialize_plan",
        "nextval",
        "currval",
        "setseed",
        "txid_current",
        "current_transaction_id",
        # Spark: the guard checks DuckDB text that a Spark engine then runs, so Spark's own reach is denied too
        # (Java reflection, the files behind a scan, the session's identity).
        "reflect",
        "java_method",
        "try_reflect",
        "input_file_name",
        "input_file_block_start",
        "input_file_block_length",
        "spark_partition_id",
    }
)
DENIED_PREFIXES = ("read_", "duckdb_", "pragma_", "sqlite_", "iceberg_", "delta_", "parquet_", "pg_", "has_", "icu_")

# Statement kinds that change data, schema, settings or the session: refused anywhere in the tree.
_FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Create",
        "Drop",
        "Alter",
        "AlterColumn",
        "TruncateTable",
        "Command",
        "Pragma",
        "Set",
        "SetItem",
        "Copy",
        "Attach",
        "Detach",
        "Install",
        "Use",
        "Transaction",
        "Commit",
        "Rollback",
        "LoadData",
        "Describe",
        "Summarize",
        "Export",
        "Into",
        "Grant",
        "Revoke",
        "Analyze",
        "Cache",
        "Uncache",
        "Refresh",
    )
    if hasattr(exp, name)
)

# Invisible characters that can hide text from a reviewer: zero-width, bidi controls, BOM.
_INVISIBLE = re.compile(
    r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)


class SqlRefused(InputError):
    """The SQL was refused by the guard; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, zh: str, en: str, **details: object) -> None:
        self.reason = reason
        super().__init__(zh, en, reason=reason, **details)


class QueryTimeout(AssistantError):
    """The query ran longer than the time limit and was interrupted."""


HINT_ZH = "只允许一条 SELECT 查询(可含 WITH、UNION),只能读取数据仓库中的表。"
HINT_EN = "Only one SELECT statement is allowed (WITH and UNION are fine), reading the warehouse tables only."


def _refuse(reason: str, zh: str, en: str, **details: object) -> SqlRefused:
    return SqlRefused(reason, f"{zh}{HINT_ZH}", f"{en} {HINT_EN}", **details)


def _check_characters(sql: str) -> None:
    m = _INVISIBLE.search(sql)
    if m:
        raise _refuse(
            "unicode",
            f"SQL 中含有不可见控制字符 U+{ord(m.group()):04X},请删除后重试。",
            f"The SQL contains an invisible control character U+{ord(m.group()):04X}; remove it.",
        )
    try:
        tokens = _tokenize(sql)
    except (TokenError, ParseError) as exc:
        raise _refuse("parse", f"无法解析 SQL:{exc}。", f"The SQL cannot be parsed: {exc}.") from exc
    for tok in tokens:
        if tok.token_type in (TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.RAW_STRING):
            continue  # values may be Chinese or anything else
        text = tok.text
        if text.isascii():
            continue
        if tok.token_type in (TokenType.IDENTIFIER, TokenType.VAR) and unicodedata.normalize("NFKC", text) == text:
            continue  # a Chinese alias or quoted identifier is fine; look-alikes (全角) are not
        raise _refuse(
            "unicode",
            f"SQL 中含有易混淆的全角或特殊字符 {text!r},请改用半角(ASCII)符号。",
            f"The SQL contains a look-alike (full-width or special) character in {text!r}; use plain ASCII symbols.",
        )


def _tokenize(sql: str) -> list[Any]:
    from sqlglot.dialects.duckdb import DuckDB

    return DuckDB().tokenize(sql)


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    try:
        return node.sql_name().lower()  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - every Func has one
        return type(node).__name__.lower()


def _denied(name: str) -> bool:
    n = name.lower()
    return n in DENIED_FUNCTIONS or n.startswith(DENIED_PREFIXES)


def check_sql(
    sql: str,
    *,
    allowed_tables: Iterable[str] | None = None,
    extra_tables: Iterable[str] = (),
    allow_main: bool = False,
    max_chars: int = MAX_SQL_CHARS,
    dialect: str = "duckdb",
) -> exp.Expression:
    """Parse and check ``sql``; return the parsed SELECT or raise ``SqlRefused`` with a reason.

    ``allowed_tables`` defaults to the warehouse contract's tables; ``extra_tables`` adds names (e.g. a
    registered view). ``allow_main`` accepts ``main.customers`` (never another catalog or schema). ``dialect``
    is the SQL's dialect: DuckDB as written, or an engine's rendering of it (checked again before it runs).
    """
    if not isinstance(sql, str) or not sql.strip():
        raise _refuse("empty", "SQL 为空。", "The SQL is empty.")
    if len(sql) > max_chars:
        raise _refuse(
            "too_long",
            f"SQL 太长({len(sql)} 个字符,上限 {max_chars}),请简化查询。",
            f"The SQL is too long ({len(sql)} characters, limit {max_chars}); simplify the query.",
        )
    _check_characters(sql)
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _refuse("parse", f"无法解析 SQL:{first}。", f"The SQL cannot be parsed: {first}.") from exc
    if len(trees) != 1:
        raise _refuse(
            "multiple_statements" if trees else "empty",
            f"收到 {len(trees)} 条语句,只能有一条。",
            f"Got {len(trees)} statements; exactly one is allowed.",
        )
    tree = trees[0]
    root = tree.this if isinstance(tree, exp.Subquery) else tree
    if not isinstance(root, (exp.Select, exp.SetOperation)):
        raise _refuse(
            "not_select",
            f"这是一条 {type(root).__name__.upper()} 语句,不是 SELECT 查询。",
            f"This is a {type(root).__name__.upper()} statement, not a SELECT.",
        )
    allowed = {t.lower() for t in (WAREHOUSE_TABLES if allowed_tables is None else allowed_tables)}
    allowed |= {t.lower() for t in extra_tables}
    cte_names = {str(c.alias_or_name).lower() for c in tree.find_all(exp.CTE)}

    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise _refuse(
                "forbidden_statement",
                f"查询中含有不允许的操作({type(node).__name__.upper()}),只能读取数据。",
                f"The query contains a forbidden operation ({type(node).__name__.upper()}); only reads are allowed.",
            )
        if isinstance(node, exp.Func):
            name = _function_name(node)
            in_from = isinstance(node.parent, exp.Table)
            if _denied(name):
                raise _refuse(
                    "denied_function",
                    f"不允许调用函数 {name}(它会读取文件、网络、配置或系统目录)。",
                    f"Function {name} is not allowed (it touches files, the network, settings or the catalog).",
                    function=name,
                )
            if in_from and name not in ALLOWED_TABLE_FUNCTIONS:
                raise _refuse(
                    "table_function",
                    f"不允许在 FROM 中使用表函数 {name},请直接查询数据仓库中的表。",
                    f"Table function {name} is not allowed in FROM; query the warehouse tables directly.",
                    function=name,
                )
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            name = str(node.name).lower()
            catalog, schema = str(node.catalog or "").lower(), str(node.db or "").lower()
            if catalog or (schema and not (allow_main and schema == "main")):
                qual = ".".join(p for p in (catalog, schema, name) if p)
                raise _refuse(
                    "qualified_table",
                    f"不允许访问 {qual}:只能读取当前数据仓库中的表,请去掉库名/模式名前缀。",
                    f"{qual} is not allowed: only the warehouse's own tables; drop the catalog/schema prefix.",
                    table=qual,
                )
            if name in cte_names and not schema:
                continue
            if name not in allowed:
                raise _refuse(
                    "unknown_table",
                    f"不允许读取表 {name};可用的表:{'、'.join(sorted(allowed))}。",
                    f"Table {name} is not allowed; available tables: {', '.join(sorted(allowed))}.",
                    table=name,
                )
        elif isinstance(node, exp.Table) and not isinstance(node.this, exp.Func):
            raise _refuse(
                "table_function",
                "FROM 中只能是数据仓库的表名。",
                "Only warehouse table names may appear in FROM.",
            )
    return tree


def harden(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Switch off file/network access and lock the configuration, in place and for good.

    Affects the whole database instance behind ``con`` (DuckDB settings are per instance); reading its
    tables and registered DataFrames keeps working.
    """
    ext, locked = con.execute(
        "SELECT current_setting('enable_external_access'), current_setting('lock_configuration')"
    ).fetchone()  # type: ignore[misc]
    if ext:
        if locked:
            raise WarehouseError(
                "连接的配置已锁定但仍允许访问外部文件,无法用于自由 SQL 查询。",
                "The connection's configuration is locked with external access on; it cannot run free SQL.",
            )
        con.execute("SET enable_external_access = false")
    if not locked:
        con.execute("SET lock_configuration = true")
    return con


def guarded_connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only, without file/network access, with the configuration locked."""
    p = Path(path)
    if not p.exists():
        raise WarehouseError(f"找不到数据仓库文件 {p}。", f"Warehouse file {p} not found.", path=str(p))
    try:
        return duckdb.connect(str(p), read_only=True, config=dict(GUARD_CONFIG))
    except duckdb.Error as exc:
        raise WarehouseError(f"无法打开数据仓库 {p}:{exc}", f"Cannot open warehouse {p}: {exc}") from exc


@dataclass
class GuardedResult:
    sql: str
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    limit: int
    elapsed_ms: float
    notes: list[str] = field(default_factory=list)


def _check_caps(limit: int, timeout_s: float) -> None:
    if limit < 1:
        raise InputError("limit 必须至少为 1。", "limit must be at least 1.")
    if timeout_s <= 0:
        raise InputError("timeout_s 必须大于 0。", "timeout_s must be positive.")


def _capped(sql: str, columns: list[str], rows: list[list[Any]], limit: int, t0: float) -> GuardedResult:
    """The result of a run: at most ``limit`` rows (one more was fetched to tell a cut), with the time taken."""
    elapsed = (time.perf_counter() - t0) * 1000
    truncated = len(rows) > limit
    notes = []
    if truncated:
        rows = rows[:limit]
        notes.append(f"结果超过 {limit} 行,只显示前 {limit} 行 / more than {limit} rows; showing the first {limit}")
    return GuardedResult(sql, columns, rows, truncated, limit, elapsed, notes)


def run_limited(
    con: duckdb.DuckDBPyConnection, sql: str, *, limit: int, timeout_s: float, params: dict[str, Any] | None = None
) -> GuardedResult:
    """Execute on ``con`` with a row cap (limit + 1 fetched) and a time limit (``con.interrupt()``)."""
    _check_caps(limit, timeout_s)
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        con.interrupt()

    timer = threading.Timer(timeout_s, stop)
    t0 = time.perf_counter()
    timer.start()
    try:
        cur = con.execute(sql, params or {})
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = [list(r) for r in cur.fetchmany(limit + 1)]
    except duckdb.InterruptException as exc:
        raise QueryTimeout(
            f"查询超过时间上限 {timeout_s:g} 秒,已中止。请缩小范围(加筛选条件、减少连接或先聚合)。",
            f"The query ran past the {timeout_s:g} s limit and was stopped. Narrow it (add filters, fewer joins, aggregate first).",
            timeout_s=timeout_s,
        ) from exc
    except duckdb.Error as exc:
        if fired.is_set():
            raise QueryTimeout(
                f"查询超过时间上限 {timeout_s:g} 秒,已中止。",
                f"The query ran past the {timeout_s:g} s limit and was stopped.",
                timeout_s=timeout_s,
            ) from exc
        first = str(exc).splitlines()[0]
        raise InputError(f"查询执行失败:{first}", f"The query failed: {first}", sql=sql) from exc
    finally:
        timer.cancel()
    return _capped(sql, columns, rows, limit, t0)


def run_limited_engine(
    engine: Engine, sql: str, tree: exp.Expression, *, limit: int, timeout_s: float
) -> GuardedResult:
    """``run_limited`` on an engine: the row cap goes into the statement (an engine returns whole results) and the
    time limit calls ``engine.interrupt()``."""
    _check_caps(limit, timeout_s)
    capped = f"SELECT * FROM (\n{sql}\n) AS guarded LIMIT {int(limit) + 1}" if tree.args.get("limit") is None else sql
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        engine.interrupt()

    timer = threading.Timer(timeout_s, stop)
    t0 = time.perf_counter()
    timer.start()
    try:
        columns, rows = engine.rows(capped)
    except AssistantError as exc:
        if fired.is_set():
            raise QueryTimeout(
                f"查询超过时间上限 {timeout_s:g} 秒,已中止。请缩小范围(加筛选条件、减少连接或先聚合)。",
                f"The query ran past the {timeout_s:g} s limit and was stopped. Narrow it (add filters, fewer joins, aggregate first).",
                timeout_s=timeout_s,
            ) from exc
        raise InputError(f"查询执行失败:{exc.zh}", f"The query failed: {exc.en}", sql=sql) from exc
    finally:
        timer.cancel()
    return _capped(sql, columns, rows, limit, t0)


def guarded_query(
    con_or_path: duckdb.DuckDBPyConnection | Engine | str | Path,
    sql: str,
    *,
    limit: int = DEFAULT_LIMIT,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    allowed_tables: Iterable[str] | None = None,
    extra_tables: Iterable[str] = (),
    allow_main: bool = False,
) -> GuardedResult:
    """Check ``sql``, then run it on a hardened read-only connection with a row cap and a time limit.

    A path opens a fresh guarded connection (closed afterwards); a connection is hardened in place first. An
    engine of another dialect (Spark) has no hardened connection: its rendering of ``sql`` is checked again in
    its own dialect, then run with the same row cap and time limit (``run_limited_engine``).
    """
    tree = check_sql(sql, allowed_tables=allowed_tables, extra_tables=extra_tables, allow_main=allow_main)
    if isinstance(con_or_path, DuckDBEngine):
        con_or_path = con_or_path.con
    if isinstance(con_or_path, Engine):
        check_sql(
            con_or_path.render(sql),
            allowed_tables=allowed_tables,
            extra_tables=extra_tables,
            allow_main=allow_main,
            dialect=con_or_path.dialect,
        )
        return run_limited_engine(con_or_path, sql, tree, limit=limit, timeout_s=timeout_s)
    if isinstance(con_or_path, (str, Path)):
        con = guarded_connect(con_or_path)
        try:
            return run_limited(con, sql, limit=limit, timeout_s=timeout_s)
        finally:
            con.close()
    return run_limited(harden(con_or_path), sql, limit=limit, timeout_s=timeout_s)
