"""The web app's questions on Apache Spark (``app.py --engine spark``): the smallest honest version.

Only single-user mode: the local manager's questions run on one Spark engine (``ASSISTANT_SPARK``,
``ASSISTANT_SPARK_TABLES``). With users configured app.py refuses to start on Spark (``sessions_for``), because
the web app does not give each salesperson a Spark session cut to their customers yet (the CLI does:
``ask --as-user NAME --engine spark`` opens one with access.SCOPE_SQL views); serving reps from the DuckDB
file beside managers on Spark would answer from two different warehouses.

What stays on DuckDB: the rest of the page (the data tab, imports, the data summary, feedback) reads the
warehouse file as before; an import there does not change Spark's tables, which come from the cluster.

One engine, one assistant: questions queue on it, since cancelling one question's statement cancels every job
of the Spark session (``SparkEngine.interrupt``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.agent import Assistant
from assistant.core.errors import ConfigError, InputError
from assistant.warehouse.access import Principal
from assistant.warehouse.audit import AuditLog
from assistant.warehouse.engine import Engine
from assistant.warehouse.engine_choice import engine_name
from assistant.warehouse.users import UserStore
from assistant.web.sessions import Pool, Sessions

MULTI_USER_REFUSED = (
    "Spark 引擎目前只支持单用户模式:网页应用还没有为每位销售代表建立只含其客户的 Spark 会话,"
    "因此配置了用户时不能用 --engine spark 启动。请去掉 --engine spark(使用 DuckDB),"
    "或让销售代表用命令行 `python -m assistant ask --as-user 用户名 --engine spark`。",
    "The Spark engine serves single-user mode only: the web app does not yet give each salesperson a Spark session "
    "holding only their customers, so it will not start with --engine spark while users are configured. Drop "
    "--engine spark (DuckDB), or let salespeople use `python -m assistant ask --as-user NAME --engine spark`.",
)


def _open_spark() -> Engine:
    from assistant.warehouse.spark_engine import open_spark  # pyspark only when asked for

    return open_spark()


class SparkSessions(Sessions):
    """``Sessions`` whose full-access questions run on a Spark engine opened on the first question."""

    def __init__(
        self,
        db: Path,
        index: Path | None,
        users: UserStore | None,
        *,
        audit: AuditLog | None = None,
        open_engine: Callable[[], Engine] = _open_spark,
    ) -> None:
        super().__init__(db, index, users, multi_user=False, audit=audit)
        self._open_engine = open_engine
        self._spark: Pool | None = None

    @contextmanager
    def using(self, who: Principal) -> Iterator[Assistant]:
        if not who.sees_everything:  # never reached in single-user mode; refused rather than served unscoped
            raise InputError(*MULTI_USER_REFUSED)
        with self._guard:
            if self._spark is None:
                engine = self._open_engine()
                bot = Assistant(self.db, index=self.index, con=engine, examples=self.examples)  # type: ignore[arg-type]
                self._spark = Pool([bot], engine)  # type: ignore[arg-type]
            pool = self._spark
        with pool.use() as bot:
            yield bot

    def close_all(self) -> None:
        super().close_all()
        with self._guard:
            if self._spark is not None:
                self._spark.close()
                self._spark = None


def sessions_for(
    engine: str | None,
    db: Path,
    index: Path | None,
    users: UserStore | None,
    *,
    multi_user: bool,
    audit: AuditLog | None = None,
) -> Sessions:
    """The web app's sessions on the chosen engine (``--engine`` or ``ASSISTANT_ENGINE``).

    Raises ConfigError for Spark with users configured (``MULTI_USER_REFUSED``) and for an unknown engine.
    """
    if engine_name(engine) == "duckdb":
        return Sessions(db, index, users, multi_user=multi_user, audit=audit)
    if multi_user:
        raise ConfigError(*MULTI_USER_REFUSED)
    return SparkSessions(db, index, users, audit=audit)
