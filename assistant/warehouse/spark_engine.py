"""Apache Spark behind the ``Engine`` seam: pyspark in local mode, or a cluster through Spark Connect.

``ASSISTANT_SPARK`` says where Spark runs: ``local[2]`` (the default; a JVM in this process, Java 17 needed) or
``sc://host:15002`` (a Spark Connect server; the same client code). ``ASSISTANT_SPARK_TABLES`` says where the
contract tables are: a folder of Parquet files (``python -m assistant data export --format parquet``) or
``db:NAME``, a database of the cluster's catalog. Either way each table becomes a temporary view of the session
under its contract name, and the derived ``order_totals`` is built by a job on the engine (cached), so the
tools read it as they do on DuckDB.

Statements arrive in DuckDB's dialect and are rendered by ``spark_dialect``; ``$name`` parameters are bound by
``spark.sql(text, args=...)``, never pasted. The session runs with ANSI mode off (NULL, not an error, for an
index past the end or a division by zero, as DuckDB) and UTC as its time zone (dates stay dates).

Memory: Spark's planner sizes a Parquet table by its file size, and zstd Parquet is about a tenth of the rows in
memory, so at 10M order lines it took 12 MB files (1M customers, 4M orders) for small tables and broadcast them:
every broadcast is built in the driver, which the default 1 GB local driver could not hold (metric_query failed
so at 10M lines). ``spark.sql.sources.fileCompressionFactor`` corrects the estimate, so only the truly small
tables (products, reps) are broadcast. ``ASSISTANT_SPARK_CONF`` (``key=value,key=value``) sets any other Spark
setting, e.g. ``spark.driver.memory=4g`` for local mode; per-customer rows stay on the engine (``stage``).

pyspark is an optional dependency (``pip install '.[spark]'``): nothing here is imported by the default path.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from assistant.core.errors import AssistantError, ConfigError, InputError
from assistant.warehouse import derived
from assistant.warehouse.access import SCOPE_SQL
from assistant.warehouse.engine import BatchFn, Cursor, Engine, QueryError, table_rows
from assistant.warehouse.schema import REFERENCE_TABLE, TABLES
from assistant.warehouse.spark_dialect import PARAM, parse_duckdb, to_spark, tree_to_spark

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

DEFAULT_MASTER = "local[2]"
# Small local data: 200 shuffle partitions (Spark's default) would cost more than the work. A cluster keeps its own.
LOCAL_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",  # the bar would print into the CLI's JSON
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.memory": "1g",
}
SESSION_CONF: dict[str, str] = {
    "spark.sql.ansi.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    # zstd Parquet holds ~10x fewer bytes than the rows in memory: without this a 12 MB file of a million
    # customers passes for small and is broadcast (built in the driver), see the module docstring.
    "spark.sql.sources.fileCompressionFactor": "10",
}


def extra_conf(text: str | None = None) -> dict[str, str]:
    """``ASSISTANT_SPARK_CONF`` (or ``text``) as settings: ``key=value`` pairs separated by commas."""
    raw = text if text is not None else os.environ.get("ASSISTANT_SPARK_CONF", "")
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip().startswith("spark.") or not value.strip():
            raise ConfigError(
                f"ASSISTANT_SPARK_CONF 的一项无效:{part!r}(应为 spark.键=值,多项用逗号分隔)。",
                f"Invalid ASSISTANT_SPARK_CONF item {part!r} (expected spark.key=value, comma-separated).",
            )
        out[key.strip()] = value.strip()
    return out


def start_session(master: str | None = None) -> SparkSession:
    """A Spark session: local mode for ``local[...]``, Spark Connect for ``sc://...`` (``ASSISTANT_SPARK``)."""
    try:
        from pyspark.logger import PySparkLogger
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError(
            "未安装 pyspark:运行 `pip install '.[spark]'`(还需要 Java 17)。",
            "pyspark is not installed: run `pip install '.[spark]'` (Java 17 is needed too).",
        ) from exc
    # pyspark logs every failed statement with its Java stack; the engine raises it as our error instead.
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    where = master or os.environ.get("ASSISTANT_SPARK") or DEFAULT_MASTER
    extra = extra_conf()
    builder = SparkSession.builder.appName("customer-assistant")
    if where.startswith("sc://"):
        builder = builder.remote(where)
    else:
        builder = builder.master(where)
        for k, v in {**LOCAL_CONF, **extra}.items():  # before the JVM starts: driver memory is read only then
            builder = builder.config(k, v)
        # Python workers (mapInPandas) must run this interpreter, the one with numpy, pandas and this package;
        # pyspark's default is whatever python3 is first on PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        spark = builder.getOrCreate()
        if not where.startswith("sc://"):
            spark.sparkContext.setLogLevel("OFF")
    except Exception as exc:  # no Java, no server at that address, …
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"无法启动 Spark({where}):{first}", f"Cannot start Spark ({where}): {first}") from exc
    for k, v in session_conf().items():
        spark.conf.set(k, v)
    return spark


def session_conf() -> dict[str, str]:
    """The settings every session of ours gets: ``SESSION_CONF``, then the SQL ones of ``ASSISTANT_SPARK_CONF``."""
    return {**SESSION_CONF, **{k: v for k, v in extra_conf().items() if k.startswith("spark.sql.")}}


class SparkEngine(Engine):
    """One Spark session as an ``Engine``; its temporary views are the contract tables (see ``load_*``)."""

    dialect = "spark"
    distributed = True

    def __init__(self, spark: SparkSession, *, owns: bool = False) -> None:
        self.spark = spark
        self.owns = owns  # drop this session's views and cache on close (one opened by open_spark)
        self._order_totals = False
        self._staged: dict[str, DataFrame] = {}

    # --- tables ---------------------------------------------------------------------------------------------
    def load_parquet(self, folder: str | Path, *, rep_id: str | None = None) -> SparkEngine:
        """Each ``<table>.parquet`` of ``folder`` as a view named after the table; then the derived tables."""
        root = Path(folder)
        missing = [t.name for t in TABLES if not (root / f"{t.name}.parquet").exists()]
        if missing:
            raise ConfigError(
                f"{root} 中缺少表 {', '.join(missing)}:先运行 `python -m assistant data export --format parquet --out {root}`。",
                f"{root} lacks {', '.join(missing)}: run `python -m assistant data export --format parquet --out {root}` first.",
            )
        names = [t.name for t in TABLES] + [REFERENCE_TABLE] * (root / f"{REFERENCE_TABLE}.parquet").exists()
        frames = {name: self.spark.read.parquet(str((root / f"{name}.parquet").resolve())) for name in names}
        return self._install(frames, rep_id)

    def load_catalog(self, database: str, *, rep_id: str | None = None) -> SparkEngine:
        """The contract tables of a catalog database (a cluster's metastore) as views; then the derived tables."""
        if not database.replace("_", "").isalnum():
            raise ConfigError(f"数据库名无效:{database!r}", f"Invalid database name: {database!r}")
        # names from the contract and a checked database name: nothing from a user
        return self._install({t.name: self.spark.table(f"{database}.{t.name}") for t in TABLES}, rep_id)

    def load(self, tables: str | None = None, *, rep_id: str | None = None) -> SparkEngine:
        """From ``ASSISTANT_SPARK_TABLES`` (or ``tables``): ``DIR`` of Parquet files or ``db:NAME``.

        With ``rep_id`` the session sees only that salesperson's customers (see ``_install``).
        """
        where = tables or os.environ.get("ASSISTANT_SPARK_TABLES")
        if not where:
            raise ConfigError(
                "Spark 引擎需要数据:设置 ASSISTANT_SPARK_TABLES=目录 或 db:库名。",
                "The Spark engine needs its tables: set ASSISTANT_SPARK_TABLES=DIR or db:NAME.",
            )
        if where.startswith("db:"):
            return self.load_catalog(where[3:], rep_id=rep_id)
        return self.load_parquet(where, rep_id=rep_id)

    def _install(self, frames: dict[str, DataFrame], rep_id: str | None) -> SparkEngine:
        """Register the tables as the session's views, cut down to one rep's customers when ``rep_id`` is given.

        The cut is access.SCOPE_SQL, the same rules as the DuckDB copy a salesperson gets: the whole tables are
        registered as ``wh_<name>`` only while the rep's views are defined from them (a view keeps the plan it
        was defined with, not the name), then dropped, so no statement in this session can name them. The
        reference date stays the company's (the last order of the whole warehouse).
        """
        if rep_id is None:
            for name, df in frames.items():
                df.createOrReplaceTempView(name)
            return self.build_derived()
        raw = {name: f"wh_{name}" for name in frames}
        for name, df in frames.items():
            df.createOrReplaceTempView(raw[name])
        try:
            known = self.spark.sql("SELECT count(*) AS n FROM wh_sales_reps WHERE rep_id = :rep", args={"rep": rep_id})
            if not known.collect()[0]["n"]:
                raise InputError(
                    f"销售编号 {rep_id} 不在数据仓库中,无法确定可见的客户。",
                    f"Rep id {rep_id} is not in the warehouse, so there are no customers to show.",
                )
            for t in TABLES:  # contract order: customers before the tables that refer to them
                text = to_spark(SCOPE_SQL[t.name].replace("wh.", "wh_"))
                args = {"rep": rep_id} if "$rep" in SCOPE_SQL[t.name] else {}
                self.spark.sql(text, args=args).createOrReplaceTempView(t.name)
            self.spark.sql("SELECT max(order_date) AS as_of FROM wh_orders").createOrReplaceTempView(REFERENCE_TABLE)
        finally:
            for name in raw.values():
                self.spark.catalog.dropTempView(name)
        return self.build_derived()

    def build_derived(self) -> SparkEngine:
        """``order_totals``, built by a Spark job from the views just registered and cached for the session.

        The views are a snapshot of the tables, so the derived table is fresh by construction; no fingerprint.
        """
        create = sqlglot.parse_one(derived.BUILD_SQL, read="duckdb")
        select = create.expression  # CREATE TABLE ... AS <this>
        df = self.spark.sql(tree_to_spark(select))
        df.cache().createOrReplaceTempView(derived.ORDER_TOTALS)
        self._order_totals = True
        return self

    def derived_fresh(self, name: str) -> bool:
        return name == derived.ORDER_TOTALS and self._order_totals

    def tables(self) -> list[str]:
        return sorted({r.tableName for r in self.spark.sql("SHOW TABLES").collect()})

    # --- statements -----------------------------------------------------------------------------------------
    def arrow(
        self, sql: str, params: Mapping[str, Any] | None = None, *, tree: exp.Expression | None = None
    ) -> pa.Table:
        text = tree_to_spark(tree, sql) if tree is not None else to_spark(sql)
        named = set(PARAM.findall(sql))  # only those the statement names, as DuckDB requires
        return self._run(text, {k: v for k, v in (params or {}).items() if k in named})

    def execute(self, sql: str, params: Mapping[str, Any] | list[Any] | None = None) -> Cursor:
        """As DuckDB's: ``?`` placeholders with a list too (the answer's name lookups use them), bound by name."""
        if params is None or isinstance(params, Mapping):
            return super().execute(sql, params)
        tree = parse_duckdb(sql)
        holes = [p for p in tree.find_all(exp.Placeholder, bfs=False) if not p.name or p.name == "?"]
        if len(holes) != len(params):
            raise QueryError(
                f"参数个数({len(params)})与 ? 的个数({len(holes)})不符。",
                f"{len(params)} parameters for {len(holes)} placeholders.",
            )
        for i, hole in enumerate(holes):
            hole.replace(exp.Placeholder(this=f"p{i}"))
        return Cursor(*table_rows(self._run(tree_to_spark(tree), {f"p{i}": v for i, v in enumerate(params)})))

    def _run(self, text: str, params: Mapping[str, Any]) -> pa.Table:
        try:
            return self.spark.sql(text, args={k: spark_value(v) for k, v in params.items()}).toArrow()
        except Exception as exc:
            mapped = self.map_error(exc)
            if mapped is None:
                raise
            raise mapped from exc

    def stage(
        self,
        name: str,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        fn: BatchFn | None = None,
        added: Mapping[str, str] | None = None,
    ) -> None:
        """The rows of ``sql`` as the cached view ``name``; ``fn`` runs on the executors through ``mapInPandas``.

        Lazy: nothing runs until a statement reads the view; the first one fills the cache (memory, then disk).
        """
        from pyspark import StorageLevel

        self.unstage(name)  # a view staged before under that name releases its cache
        named = set(PARAM.findall(sql))
        args = {k: spark_value(v) for k, v in (params or {}).items() if k in named}
        try:
            df = self.spark.sql(to_spark(sql), args=args)
            if fn is not None:
                fields = [f"`{f.name}` {f.dataType.simpleString()}" for f in df.schema.fields]
                fields += [f"`{col}` {kind}" for col, kind in (added or {}).items()]
                df = df.mapInPandas(functools.partial(_each_batch, fn), ", ".join(fields))
            df = df.persist(StorageLevel.MEMORY_AND_DISK)
            df.createOrReplaceTempView(name)
        except Exception as exc:
            mapped = self.map_error(exc)
            if mapped is None:
                raise
            raise mapped from exc
        self._staged[name] = df

    def unstage(self, name: str) -> None:
        df = self._staged.pop(name, None)
        if df is not None:
            df.unpersist()
            self.spark.catalog.dropTempView(name)

    def render(self, sql: str) -> str:
        return to_spark(sql)

    def interrupt(self) -> None:
        if hasattr(self.spark, "interruptAll") and _is_connect(self.spark):
            self.spark.interruptAll()
        else:
            self.spark.sparkContext.cancelAllJobs()

    def map_error(self, exc: BaseException) -> AssistantError | None:
        if isinstance(exc, AssistantError):
            return exc
        try:
            from py4j.protocol import Py4JError
            from pyspark.errors import PySparkException
        except ImportError:  # pragma: no cover - pyspark is installed when a SparkEngine exists
            return None
        # Py4JError: a failure in local mode's JVM outside a query's analysis (a job that died collecting its
        # result, a JVM out of memory) arrives unwrapped.
        if not isinstance(exc, (PySparkException, Py4JError)):
            return None
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return QueryError(f"Spark 查询失败:{first}", f"The Spark query failed: {first}", engine="spark")

    def close(self) -> None:
        # Not spark.stop(): in local mode the SparkContext (the JVM) is shared by every session of the process;
        # it ends with the process. This session's views and its cached order_totals go now.
        for name in list(self._staged):
            self.unstage(name)
        if self.owns:
            for name in self.tables():
                if name == derived.ORDER_TOTALS:
                    self.spark.catalog.uncacheTable(name)
                self.spark.catalog.dropTempView(name)


def spark_value(v: Any) -> Any:
    """A parameter value as Spark binds it: lists and tuples as arrays (of literals), the rest as they are."""
    from pyspark.sql import functions as F

    if isinstance(v, (list, tuple)):
        return F.array(*[F.lit(x) for x in v])  # empty: array() (a cast is not a literal sql() accepts)
    return v


def _each_batch(fn: BatchFn, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    # Module level so cloudpickle ships it by reference with ``fn`` as its argument (mapInPandas' function).
    for batch in batches:
        yield fn(batch)


def _is_connect(spark: Any) -> bool:
    return type(spark).__module__.startswith("pyspark.sql.connect")


def open_spark(master: str | None = None, tables: str | None = None, *, rep_id: str | None = None) -> SparkEngine:
    """A Spark engine with the contract tables loaded (only ``rep_id``'s customers when given), from the
    arguments or the environment (``ASSISTANT_SPARK``, ``ASSISTANT_SPARK_TABLES``)."""
    base = start_session(master)
    # A session of its own in local mode: temporary views are per session, so two engines of one process (a
    # manager's and a rep's) never see each other's tables. Spark Connect gives each client its own already.
    session = base if _is_connect(base) else base.newSession()
    if session is not base:
        for k, v in session_conf().items():
            session.conf.set(k, v)
    engine = SparkEngine(session, owns=True)
    try:
        return engine.load(tables, rep_id=rep_id)
    except BaseException:
        engine.close()
        raise
