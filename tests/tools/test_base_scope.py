"""Scope.ctes: the products-free f_lines variant gives the same lines and amounts, and still joins products
when a category filter needs them."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from tools.base import CommonFilters, resolve_scope


@pytest.fixture
def con(empty_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    c = empty_con
    c.execute(
        "INSERT INTO customers (customer_id, name, region, city, industry, size, acquisition_channel, signup_date) "
        "VALUES ('C1', 'a', '华东', '上海', '零售', '小型', '线上', '2024-01-01'), "
        "('C2', 'b', '华北', '北京', '零售', '小型', '线上', '2024-01-01')"
    )
    c.execute(
        "INSERT INTO products (product_id, name, category, unit_price, unit_cost) "
        "VALUES ('P1', 'p', 'A', 10, 4), ('P2', 'q', 'B', 5, 1)"
    )
    c.execute(
        "INSERT INTO orders (order_id, customer_id, order_date, channel, status) VALUES "
        "('O1', 'C1', '2025-01-05', '线上', 'completed'), ('O2', 'C2', '2025-02-05', '门店', 'completed'), "
        "('O3', 'C1', '2025-03-05', '线上', 'returned')"
    )
    c.execute(
        "INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price, discount, amount) VALUES "
        "('O1', 1, 'P1', 2, 10, 0, 20), ('O1', 2, 'P2', 1, 5, 0, 5), ('O2', 1, 'P2', 3, 5, 0, 15), "
        "('O3', 1, 'P1', 1, 10, 0, 10), ('O3', 2, 'P9', 1, 7, 0, 7)"
    )
    return c


def _lines(con: duckdb.DuckDBPyConnection, products: bool, **filters: object) -> list[tuple]:
    scope = resolve_scope(con, CommonFilters(as_of=dt.date(2025, 6, 30), **filters))
    sql = (
        f"WITH {scope.ctes(products=products)} SELECT order_id, line_no, customer_id, amount FROM f_lines ORDER BY 1, 2"
    )
    return con.execute(sql, scope.params).fetchall()


@pytest.mark.parametrize(
    "filters",
    [{}, {"region": ["华东"]}, {"channel": ["线上"]}, {"start": dt.date(2025, 2, 1)}, {"customer_ids": ["C2"]}],
)
def test_products_free_lines_are_the_same_lines(con, filters):
    assert _lines(con, False, **filters) == _lines(con, True, **filters)


def test_products_free_lines_keep_lines_of_unknown_products(con):
    # P9 is not in products: the LEFT JOIN kept it, and so must the variant without the join.
    assert ("O3", 2, "C1", 7) in [(o, n, c, int(a)) for o, n, c, a in _lines(con, False)]


def test_products_free_lines_have_no_product_columns(con):
    scope = resolve_scope(con, CommonFilters(as_of=dt.date(2025, 6, 30)))
    with pytest.raises(duckdb.BinderException):
        con.execute(f"WITH {scope.ctes(products=False)} SELECT unit_cost FROM f_lines", scope.params)


def test_category_filter_still_joins_products(con):
    lines = _lines(con, False, category=["B"])
    assert lines == _lines(con, True, category=["B"])
    assert [(o, n) for o, n, _, _ in lines] == [("O1", 2), ("O2", 1)]
