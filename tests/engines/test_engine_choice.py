"""Choosing the engine: --engine / ASSISTANT_ENGINE, DuckDB by default and unchanged."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from assistant.core.errors import ConfigError
from assistant.warehouse.engine_choice import engine_name, open_warehouse


def test_duckdb_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_ENGINE", raising=False)
    assert engine_name() == "duckdb"
    monkeypatch.setenv("ASSISTANT_ENGINE", "Spark")
    assert engine_name() == "spark"
    assert engine_name("duckdb") == "duckdb"  # the option wins over the environment


def test_an_unknown_engine_is_refused_in_both_languages() -> None:
    with pytest.raises(ConfigError) as info:
        engine_name("postgres")
    assert "postgres" in info.value.en and "引擎" in info.value.zh


def test_default_opens_the_duckdb_file_as_before(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_ENGINE", raising=False)
    con = open_warehouse(sample_db)
    try:
        assert isinstance(con, duckdb.DuckDBPyConnection)
        assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 400
    finally:
        con.close()


def test_spark_without_tables_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark")
    from assistant.warehouse.spark_engine import SparkEngine

    monkeypatch.delenv("ASSISTANT_SPARK_TABLES", raising=False)
    with pytest.raises(ConfigError, match="ASSISTANT_SPARK_TABLES"):
        SparkEngine(object()).load()  # type: ignore[arg-type]


def test_spark_errors_map_to_our_root() -> None:
    pytest.importorskip("pyspark")
    from py4j.protocol import Py4JError

    from assistant.core.errors import AssistantError
    from assistant.warehouse.engine import QueryError
    from assistant.warehouse.spark_engine import SparkEngine

    engine = SparkEngine(object())  # type: ignore[arg-type]
    mapped = engine.map_error(Py4JError("An error occurred while calling o115.getResult"))
    assert isinstance(mapped, QueryError) and isinstance(mapped, AssistantError)
    assert "getResult" in mapped.en and "Spark" in mapped.zh
    assert engine.map_error(ValueError("not Spark's")) is None
