"""One Spark session (local[2]) for the engine tests, over the sample warehouse exported as Parquet.

Starting Spark costs ~4 s (more the first time), so the session is shared by the whole test session; every test
that uses it is marked ``xdist_group("spark")`` so ``pytest -n 2 --dist loadgroup`` keeps them in one worker
(one JVM). Without pyspark (the default install) these tests skip; ``make test`` installs it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from assistant.warehouse.parquet_export import export_parquet


@pytest.fixture(scope="session")
def sample_parquet(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parquet")
    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        export_parquet(con, out)
    finally:
        con.close()
    return out


@pytest.fixture(scope="session")
def spark_session() -> Iterator[object]:
    pytest.importorskip("pyspark", reason="pyspark is an extra: pip install '.[spark]'")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 (Debian: openjdk-17-jre-headless)")
    from assistant.warehouse.spark_engine import start_session

    spark = start_session("local[2]")
    yield spark
    spark.stop()


@pytest.fixture(scope="session")
def spark_engine(spark_session: object, sample_parquet: Path) -> object:
    from assistant.warehouse.spark_engine import SparkEngine

    return SparkEngine(spark_session).load_parquet(sample_parquet)  # type: ignore[arg-type]
