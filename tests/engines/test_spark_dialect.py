"""One test per rewrite rule of assistant/warehouse/spark_dialect.py: the DuckDB construct in, the Spark form out.

These need no Spark (sqlglot only); the parity suite (test_parity.py) runs the rewritten statements on Spark.
"""

from __future__ import annotations

import pytest
from sqlglot import exp

from assistant.warehouse import spark_dialect as sd


def spark(sql: str) -> str:
    return sd.to_spark(sql)


def test_every_rule_is_in_the_pipeline() -> None:
    tested = {
        "drop_materialized",
        "quantiles",
        "list_indexes",
        "list_functions",
        "named_windows",
        "range_tables",
        "ordered_array_agg",
        "double_averages",
        "unsigned_types",
        "epoch_seconds",
    }
    assert {r.__name__ for r in sd.RULES} == tested


def test_parameters_become_spark_markers_even_inside_an_index() -> None:
    # sqlglot's DuckDB tokenizer fails on `$a[f($b)]` (it reads a dollar-quoted string).
    out = spark("SELECT $names[list_position($keys, k)] AS n FROM t WHERE d <= $f_end")
    assert ":names" in out and ":keys" in out and ":f_end" in out and "$" not in out


def test_drop_materialized() -> None:
    assert (
        spark("WITH a AS MATERIALIZED (SELECT 1 AS x) SELECT x FROM a") == "WITH a AS (SELECT 1 AS x) SELECT x FROM a"
    )


def test_quantile_cont_is_percentile() -> None:
    assert spark("SELECT quantile_cont(h, 0.9) FILTER (WHERE ok) AS p FROM t") == (
        "SELECT PERCENTILE(h, 0.9) FILTER(WHERE ok) AS p FROM t"
    )


def test_quantile_disc_reads_the_sorted_list_with_exact_fractions() -> None:
    out = spark("SELECT quantile_disc(x, [CAST('0.6' AS DECIMAL(18, 9))]) AS q FROM t")
    # ceil(q * n) on DECIMAL, not DOUBLE (0.6 * 5 = 3.0000000000000004 would pick the 4th value)
    assert "ARRAY_SORT(COLLECT_LIST(x))" in out
    assert "CEIL(__q * SIZE(__s))" in out and "DECIMAL(18, 9)" in out
    assert "PERCENTILE_DISC" not in out


def test_list_indexes_are_one_based_as_written() -> None:
    out = spark(
        "SELECT l[1] AS a, l[-1] AS b, $names[k + 1] AS c, $m[1 + 4 * CAST(f AS INTEGER)] AS d, s['key'] AS e FROM t"
    )
    assert "ELEMENT_AT(l, 1) AS a" in out
    assert "ELEMENT_AT(l, -1) AS b" in out
    # computed: 0 is NULL (as DuckDB), and element_at wants INT
    assert "ELEMENT_AT(:names, CAST(NULLIF(k + 1, 0) AS INT)) AS c" in out
    # sqlglot would have shifted this typed expression to `0 + 4 * ...`
    assert "ELEMENT_AT(:m, CAST(NULLIF(1 + 4 * CAST(f AS INT), 0) AS INT)) AS d" in out
    assert "s['key'] AS e" in out


def test_list_functions() -> None:
    out = spark("SELECT list_position(l, 3) AS p, list_median(l) AS m, array_length(l) AS n FROM t")
    assert "NULLIF(ARRAY_POSITION(l, 3), 0) AS p" in out
    assert "ARRAY_SORT(FILTER(l, v -> NOT v IS NULL))" in out and "LIST_MEDIAN" not in out
    assert "SIZE(l) AS n" in out


def test_named_windows_are_inlined() -> None:
    out = spark(
        "SELECT sum(x) OVER w AS s FROM t WINDOW w AS (PARTITION BY a ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    )
    assert "WINDOW" not in out
    assert "OVER (PARTITION BY a ORDER BY b" in out and "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW" in out


def test_range_tables_name_their_column() -> None:
    assert spark("SELECT i FROM range(1, 5) t(i)") == "SELECT i FROM (SELECT id AS i FROM RANGE(1, 5)) AS t"
    assert (
        spark("SELECT i FROM generate_series(1, 5) t(i)") == "SELECT i FROM (SELECT id AS i FROM RANGE(1, 5 + 1)) AS t"
    )


def test_ordered_array_agg_keeps_its_order() -> None:
    out = spark("SELECT array_agg(x ORDER BY k DESC) AS a FROM t")
    assert out == "SELECT TRANSFORM(SORT_ARRAY(COLLECT_LIST(STRUCT(k AS k0, x AS v)), FALSE), s -> s.v) AS a FROM t"
    with pytest.raises(ValueError, match="mixed"):
        spark("SELECT array_agg(x ORDER BY k, j DESC) AS a FROM t")


def test_double_averages() -> None:
    assert spark("SELECT avg(amount) AS a, revenue / orders AS r FROM t") == (
        "SELECT AVG(CAST(amount AS DOUBLE)) AS a, CAST(revenue AS DOUBLE) / orders AS r FROM t"
    )


def test_unsigned_types() -> None:
    assert "CAST(1 AS BIGINT)" in spark("SELECT bit_or((1::UBIGINT) << idx) AS m FROM t")


def test_epoch_seconds() -> None:
    assert spark("SELECT epoch(d) AS e FROM t") == "SELECT UNIX_TIMESTAMP(CAST(d AS TIMESTAMP)) AS e FROM t"


def test_a_tree_with_indexes_is_rendered_from_its_text() -> None:
    # metric_query hands trees parsed by sqlglot's DuckDB reader, whose indexes may have been shifted.
    text = "SELECT $a[1 + 4 * CAST(f AS INTEGER)] AS d FROM t"
    tree = exp.maybe_parse("SELECT 1 AS d", dialect="duckdb")
    assert sd.tree_to_spark(tree) == "SELECT 1 AS d"
    shifted = sd.parse_duckdb(text)
    shifted.find(exp.Bracket).set("expressions", [exp.Literal.number(0)])
    assert "NULLIF(1 + 4" in sd.tree_to_spark(shifted, text)
