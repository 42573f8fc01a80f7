"""Every tool and view gives the same JSON on DuckDB and on Spark (local[2]) over the same sample.

The sample (400 customers, seed 7) is exported to Parquet and read by one shared Spark session; each case of
cases.py runs on the DuckDB file and on Spark, and the two JSON results must match: the same columns, rows,
figures, definitions, notes and SQL text, numbers within 1e-6 (relative above 1). A case that fails must fail
the same way on both (the same error, the same message).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.core.errors import AssistantError
from tools import load_all

from .cases import CASES, fill
from .parity import differences

pytestmark = [pytest.mark.xdist_group("spark"), pytest.mark.slow]

# Timings are measured, not computed: they differ by nature.
UNCOMPARED = {("sql_query", "elapsed_ms")}


def run(source: Any, name: str, args: dict[str, Any]) -> Any:
    try:
        out = load_all()[name].run(source, args).to_json()
    except AssistantError as exc:
        return {"error": type(exc).__name__, "en": exc.en}
    for tool, figure in UNCOMPARED:
        if name == tool:
            out["figures"].pop(figure, None)
    return out


@pytest.fixture(scope="module")
def customer(sample_db: Path) -> str:
    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        return str(
            con.execute(
                "SELECT customer_id FROM orders WHERE status = 'completed' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            ).fetchone()[0]
        )
    finally:
        con.close()


@pytest.mark.parametrize(("name", "args"), CASES, ids=[f"{i}-{n}" for i, (n, _) in enumerate(CASES)])
def test_tool_matches_duckdb(
    name: str, args: dict[str, Any], sample_con: duckdb.DuckDBPyConnection, spark_engine: Any, customer: str
) -> None:
    a = fill(args, customer)
    on_duckdb = run(sample_con, name, a)
    on_spark = run(spark_engine, name, a)
    assert differences(on_duckdb, on_spark) == []
    # The case must exercise the tool, not only its refusal (unless it refuses on purpose).
    assert "error" not in on_duckdb, on_duckdb


def test_every_calculator_has_a_case() -> None:
    assert {n for n, _ in CASES} == set(load_all())


def test_clv_keeps_customers_on_spark(spark_engine: Any) -> None:
    """On Spark clv stages its per-customer rows on the engine (predictions by mapInPandas) and drops them after."""
    assert spark_engine.distributed
    out = load_all()["clv"].run(spark_engine, {"by": "customer", "limit": 5}).to_json()
    assert len(out["rows"]) == 5 and out["figures"]["predicted_customers"] > 0
    assert not {"clv_customers", "clv_predicted"} & set(spark_engine.tables())


@pytest.mark.parametrize(
    "args",
    [a for n, a in CASES if n == "rfm"] + [{"by": "customer", "limit": 400}, {"scheme": "rf11"}],
    ids=lambda a: str(sorted(a)),
)
def test_rfm_is_identical_to_the_cent(
    args: dict[str, Any], sample_con: duckdb.DuckDBPyConnection, spark_engine: Any, customer: str
) -> None:
    """No tolerance for rfm: its money figures are rounded to cents from exact DECIMAL sums on both engines (a
    DOUBLE average could differ by a cent when the mean fell on a half cent), and its classes use the exact mean."""
    a = fill(args, customer)
    assert run(sample_con, "rfm", a) == run(spark_engine, "rfm", a)


def test_rfm_mean_on_a_cent_is_the_same_on_spark(
    empty_con: duckdb.DuckDBPyConnection, spark_session: Any, tmp_path: Path
) -> None:
    """Monetary 0.10, 0.20, 0.30: the mean is 0.20 exactly, but a DOUBLE average is 0.20000000000000004 or
    0.19999999999999998 by the order the engine adds in, which put K2 below or above the mean depending on the
    engine and its partitions. From the exact sum both engines class it alike and show 0.2."""
    from assistant.warehouse.parquet_export import export_parquet
    from assistant.warehouse.spark_engine import SESSION_CONF, SparkEngine

    con = empty_con
    for i, amount in enumerate(("0.10", "0.20", "0.30"), 1):
        con.execute(
            "INSERT INTO customers VALUES (?, 'n', '华东', '上海', '制造', '中型', '线上', '2024-01-01', NULL, NULL)",
            [f"K{i}"],
        )
        con.execute("INSERT INTO orders VALUES (?, ?, '2025-06-01', '线上', 'completed', NULL)", [f"O{i}", f"K{i}"])
        con.execute("INSERT INTO order_items VALUES (?, 1, 'PA', 1, ?, 0, ?)", [f"O{i}", amount, amount])
    con.execute("INSERT INTO products VALUES ('PA', 'pa', 'A', 1, 0.5, NULL)")
    export_parquet(con, tmp_path)
    session = spark_session.newSession()  # its own views: the shared engine's tables stay as they are
    for k, v in SESSION_CONF.items():
        session.conf.set(k, v)
    engine = SparkEngine(session, owns=True).load_parquet(tmp_path)
    try:
        args = {"by": "customer", "as_of": "2025-06-30"}
        on_duckdb, on_spark = run(con, "rfm", args), run(engine, "rfm", args)
        assert on_duckdb == on_spark
        high = dict(zip(on_spark["columns"], zip(*on_spark["rows"], strict=True), strict=True))["m_high"]
        assert sorted(high) == [False, True, True]
        assert on_spark["figures"]["m_threshold"] == 0.2
    finally:
        engine.close()
