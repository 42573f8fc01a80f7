"""Engine.stage on Spark: a statement's rows kept on the engine, a Python function applied per batch there."""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd
import pytest

from assistant.core.errors import ConfigError
from assistant.warehouse.spark_engine import extra_conf

pytestmark = [pytest.mark.xdist_group("spark"), pytest.mark.slow]


def _double(frame: pd.DataFrame, *, by: float) -> pd.DataFrame:
    return frame.assign(twice=frame["n"].astype(float) * by)


def test_stage_maps_batches_on_the_engine(spark_engine: Any) -> None:
    sql = "SELECT region, count(*) AS n FROM customers GROUP BY region"
    spark_engine.stage("t_staged", sql, fn=functools.partial(_double, by=2.0), added={"twice": "DOUBLE"})
    try:
        _, rows = spark_engine.rows("SELECT sum(n) AS n, sum(twice) AS t FROM t_staged")
        assert rows[0][1] == 2 * rows[0][0] > 0
    finally:
        spark_engine.unstage("t_staged")
    assert "t_staged" not in spark_engine.tables()
    spark_engine.unstage("t_staged")  # twice is nothing


def test_extra_conf_reads_pairs() -> None:
    assert extra_conf("spark.driver.memory=4g, spark.sql.shuffle.partitions=8") == {
        "spark.driver.memory": "4g",
        "spark.sql.shuffle.partitions": "8",
    }
    assert extra_conf("") == {}
    with pytest.raises(ConfigError):
        extra_conf("driver.memory=4g")
    with pytest.raises(ConfigError):
        extra_conf("spark.driver.memory")
