"""customer_profile on a hand-built warehouse; every figure worked out by hand."""

from __future__ import annotations

import duckdb
import pytest
from pydantic import ValidationError

from assistant.core.errors import InputError
from tools import load_all


@pytest.fixture
def con(empty_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    c = empty_con
    c.execute("INSERT INTO sales_reps VALUES ('R1', '张伟', '华东', '华东一组', '2020-01-01')")
    c.execute(
        """INSERT INTO customers VALUES
        ('C1', '上海甲公司', '华东', '上海', '制造业', '中型', '展会', '2024-01-01', 'R1', 100000),
        ('C2', '杭州乙公司', '华东', '杭州', '零售业', '小型', '展会', '2024-01-01', 'R1', 20000)"""
    )
    c.execute("INSERT INTO products VALUES ('P1', '打印机', '办公设备', 100, 60, '2020-01-01')")
    c.execute(
        """INSERT INTO orders VALUES
        ('O1', 'C1', '2024-03-01', '直销', 'completed', 'R1'),
        ('O2', 'C1', '2024-06-01', '直销', 'completed', 'R1'),
        ('O3', 'C1', '2024-06-10', '直销', 'returned', 'R1'),
        ('O4', 'C2', '2024-05-01', '线上', 'completed', 'R1')"""
    )
    c.execute(
        """INSERT INTO order_items VALUES
        ('O1', 1, 'P1', 2, 100, 0, 200), ('O2', 1, 'P1', 1, 100, 0.1, 90), ('O3', 1, 'P1', 5, 100, 0, 500),
        ('O4', 1, 'P1', 3, 100, 0, 300)"""
    )
    c.execute(
        """INSERT INTO invoices VALUES
        ('I1', 'O1', 'C1', '2024-03-01', '2024-03-31', '2024-03-20', 200),
        ('I2', 'O2', 'C1', '2024-06-01', '2024-06-05', NULL, 90)"""
    )
    c.execute(
        """INSERT INTO tickets VALUES
        ('T1', 'C1', '2024-06-11 10:00', NULL, 'complaint', '产品质量', 'P1', '电话', '客服部', 'R1', 'open'),
        ('T2', 'C1', '2024-04-01 10:00', '2024-04-02 10:00', 'inquiry', '产品咨询', NULL, '电话', '销售部', 'R1', 'resolved')"""
    )
    c.execute(
        "INSERT INTO surveys VALUES ('S1', 'C1', '2024-05-01', 8, 4, 2, NULL), ('S2', 'C1', '2024-06-20', 4, 2, 5, NULL)"
    )
    return c


def test_one_customer(con: duckdb.DuckDBPyConnection) -> None:
    res = load_all()["customer_profile"].run(con, {"customer_ids": ["C1"], "as_of": "2024-06-30"})
    rec = res.records()[0]
    # Completed orders O1 (200) and O2 (90): revenue 290, 2 orders; gross profit 290 - 3 × 60 = 110.
    assert rec["orders"] == 2 and float(rec["revenue"]) == 290 and float(rec["gross_profit"]) == 110
    assert rec["returned_orders"] == 1
    assert str(rec["last_order"]) == "2024-06-01" and rec["days_since_last_order"] == 29
    # T1 is a complaint still open at 2024-06-30; T2 was resolved.
    assert rec["complaints"] == 1 and rec["open_tickets"] == 1
    # NPS answers 8 and 4: mean 6.
    assert float(rec["avg_nps"]) == 6.0
    # I2 (90) is unpaid and past its due date 2024-06-05.
    assert float(rec["unpaid_amount"]) == 90 and float(rec["overdue_amount"]) == 90
    assert rec["rep_name"] == "张伟"
    assert rec["rfm_class"] in {
        "重要价值",
        "重要保持",
        "重要发展",
        "重要挽留",
        "一般价值",
        "一般保持",
        "一般发展",
        "一般挽留",
    }
    assert rec["customer_type"] in {"忠诚客户", "潜在客户", "边缘客户", "流失客户"}
    assert res.sql and res.as_of.isoformat() == "2024-06-30"


def test_requires_customers() -> None:
    with pytest.raises(ValidationError, match="customer_ids"):
        load_all()["customer_profile"].args_model.model_validate({})


def test_unknown_customer_is_a_clear_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputError, match="C404"):
        load_all()["customer_profile"].run(con, {"customer_ids": ["C404"], "as_of": "2024-06-30"})
