"""Entity resolution against a real warehouse: hand-built rows, Chinese and English surface forms."""

from __future__ import annotations

import duckdb
import pytest

from assistant.nlu.entities import EntityIndex, customer_core, find_customers


@pytest.fixture
def con(empty_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    c = empty_con
    c.execute(
        "INSERT INTO sales_reps VALUES ('R001', '张伟', '华东', '华东一组', '2020-01-01'), ('R002', '李娜', '华北', '华北一组', '2021-01-01')"
    )
    c.execute(
        """INSERT INTO customers VALUES
        ('C000001', '上海华信科技有限公司', '华东', '上海', '信息技术', '中型', '展会', '2023-01-01', 'R001', 50000),
        ('C000002', '北京华信商贸有限公司', '华北', '北京', '零售业', '小型', '线上推广', '2023-02-01', 'R002', 20000),
        ('C000003', '杭州瑞康医疗器械有限公司', '华东', '杭州', '医疗健康', '大型', '渠道合作', '2023-03-01', 'R001', 90000),
        ('C000004', '北京瑞康医疗器械有限公司', '华北', '北京', '医疗健康', '大型', '渠道合作', '2023-03-01', 'R002', 90000),
        ('C000005', '南京瑞康医疗器械有限公司', '华东', '南京', '医疗健康', '小型', '展会', '2023-03-01', 'R001', 10000),
        ('C000006', '苏州瑞康医疗器械有限公司', '华东', '苏州', '医疗健康', '小型', '展会', '2023-03-01', 'R001', 10000),
        ('17850', 'Acme Trading Ltd', '华南', '深圳', '零售业', '小型', '线上推广', '2023-03-01', NULL, NULL)"""
    )
    c.execute("INSERT INTO products VALUES ('P0001', '激光打印机 A120', '办公设备', 1999, 1200, '2020-01-01')")
    c.execute("INSERT INTO orders VALUES ('SO1', 'C000001', '2024-01-02', '经销商', 'completed', 'R001')")
    return c


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("华东区今年销售额前十的客户", [("region", "华东")]),
        ("top 10 customers in East China", [("region", "华东")]),
        ("northern china revenue", [("region", "华北")]),
        ("上海市和北京的客户", [("city", "上海"), ("city", "北京")]),
        ("customers in Shanghai", [("city", "上海")]),
        ("张伟负责的客户", [("rep", "R001")]),
        ("rep R002", [("rep", "R002")]),
        ("医疗健康行业", [("industry", "医疗健康")]),
        ("healthcare customers", [("industry", "医疗健康")]),
        ("large companies via distributors", [("size", "大型"), ("channel", "经销商")]),
        ("办公设备的销量", [("category", "办公设备")]),
        ("office equipment sales", [("category", "办公设备")]),
        ("激光打印机 A120 卖了多少", [("product", "P0001")]),
        ("is it easy?", []),  # "it" alone is not the IT industry
        ("IT customers", [("industry", "信息技术")]),
    ],
)
def test_find_entities(con: duckdb.DuckDBPyConnection, text: str, expected: list[tuple[str, str]]) -> None:
    idx = EntityIndex.from_warehouse(con)
    assert [(e.kind, e.value) for e in idx.find(text)] == expected


def test_values_come_from_the_data(con: duckdb.DuckDBPyConnection) -> None:
    idx = EntityIndex.from_warehouse(con)
    # 华南 has a customer, 西北 has none: only values present in the warehouse are entities.
    assert [(e.kind, e.value) for e in idx.find("华南和西北")] == [("region", "华南")]


def test_customer_core() -> None:
    assert customer_core("上海华信科技有限公司") == "华信科技"
    assert customer_core("北京天盛新材料股份有限公司") == "天盛新材料"
    assert customer_core("张三") == "张三"


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("上海华信科技有限公司的订单", ["C000001"]),
        ("华信科技最近买了什么", ["C000001"]),
        ("华信商贸", ["C000002"]),
        ("客户C000003的详情", ["C000003"]),
        ("customer 17850", ["17850"]),
        ("how is Acme Trading doing", ["17850"]),
        ("瑞康医疗器械的订单", []),  # four customers share it: a generic fragment, not one name
        ("杭州瑞康医疗", ["C000003"]),
        ("客户C999999", []),  # unknown ids are not invented
        ("销售额前十的客户", []),
    ],
)
def test_find_customers(con: duckdb.DuckDBPyConnection, text: str, ids: list[str]) -> None:
    assert [e.value for e in find_customers(con, text)] == ids


def test_hostile_text_is_only_a_value(con: duckdb.DuckDBPyConnection) -> None:
    assert find_customers(con, "客户'; DROP TABLE customers; --") == []
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 7
