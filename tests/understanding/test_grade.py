"""The grader itself: each kind of expectation holds on a right answer and fails on a wrong one."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from tests.understanding.grade import check, has_number, text_numbers


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("CREATE TABLE t(name VARCHAR, v DOUBLE)")
    c.execute("INSERT INTO t VALUES ('华东', 463421.0), ('华北', 200000.0), ('西南', 5.0)")
    return c


def answer(text: str = "", rows: list[list[Any]] | None = None, figures: dict[str, Any] | None = None, **kw: Any):
    return {
        "answer": text,
        "data": {"columns": [], "rows": rows or []},
        "figures": figures or {},
        "tool": kw.get("tool"),
    }


CASES = [
    # (expectation, answer, holds)
    ({"kind": "number", "sql": "SELECT v FROM t WHERE name='华东'"}, answer("华东销售额 46.3万"), True),
    ({"kind": "number", "sql": "SELECT v FROM t WHERE name='华东'"}, answer("华东销售额 47.3万"), False),
    ({"kind": "number", "sql": "SELECT v FROM t WHERE name='华东'"}, answer(figures={"revenue": 463421.0}), True),
    ({"kind": "number", "sql": "SELECT 0.365"}, answer("share 36.5%"), True),
    ({"kind": "number", "sql": "SELECT 36.5"}, answer(figures={"share": 0.365}), True),
    ({"kind": "number", "sql": "SELECT count(*) FROM t"}, answer(rows=[["a", 3]]), True),
    ({"kind": "number", "sql": "SELECT count(*) FROM t"}, answer(rows=[["a", 4]]), False),
    ({"kind": "number", "sql": "SELECT -10.63"}, answer("NPS -10.6"), True),  # written to one decimal
    ({"kind": "number", "sql": "SELECT -10.63"}, answer("NPS -10.8"), False),
    ({"kind": "number", "sql": "SELECT -10.63"}, answer(figures={"nps": -10.6}), False),  # a raw figure is exact
    ({"kind": "number", "sql": "SELECT 0.253"}, answer(figures={"share": 0.25}), False),
    ({"kind": "number", "sql": "SELECT 0.253"}, answer("share 25.3%"), True),
    (
        {"kind": "top", "sql": "SELECT name FROM t ORDER BY v DESC LIMIT 1"},
        answer(rows=[["华东", 1], ["华北", 2]]),
        True,
    ),
    (
        {"kind": "top", "sql": "SELECT name FROM t ORDER BY v DESC LIMIT 1"},
        answer(rows=[["华北", 1], ["华东", 2]]),
        False,
    ),
    ({"kind": "top", "sql": "SELECT name FROM t ORDER BY v DESC LIMIT 1"}, answer("最高的是华东"), True),
    (
        {"kind": "names", "sql": "SELECT name FROM t ORDER BY v DESC", "ordered": True},
        answer(rows=[["华东"], ["华北"], ["西南"]]),
        True,
    ),
    (
        {"kind": "names", "sql": "SELECT name FROM t ORDER BY v DESC", "ordered": True},
        answer(rows=[["华北"], ["华东"], ["西南"]]),
        False,
    ),
    ({"kind": "names", "sql": "SELECT name FROM t"}, answer(rows=[["华北"], ["华东"]]), False),
    ({"kind": "no_figures"}, answer("仓库里没有库存数据。"), True),
    ({"kind": "no_figures"}, answer("订单数 20,223", figures={"orders": 20223}, tool="metric_query"), False),
    ({"kind": "doc", "doc": "rfm"}, {**answer("…"), "citations": [{"doc": "rfm"}]}, True),
    ({"kind": "doc", "doc": "rfm"}, {**answer("…"), "citations": [{"doc": "pareto"}]}, False),
]


@pytest.mark.parametrize(("expectation", "ans", "holds"), CASES)
def test_expectations(
    con: duckdb.DuckDBPyConnection, expectation: dict[str, Any], ans: dict[str, Any], holds: bool
) -> None:
    assert (check(expectation, ans, con) == "") is holds


def test_parts_of_an_answer_count() -> None:
    ans = {**answer("上季度 120 单"), "parts": [answer("回款 35.2万")]}
    assert has_number(ans, 120) and has_number(ans, 352_000)


def test_text_numbers_read_chinese_units() -> None:
    assert text_numbers("1.2亿 与 -3.5% 与 ２") == [(120_000_000.0, False, 5e6), (-3.5, True, 0.05), (2.0, False, 0.5)]


def test_an_empty_expected_value_is_an_error_of_the_set(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="empty"):
        check({"kind": "number", "sql": "SELECT NULL"}, answer("1"), con)
