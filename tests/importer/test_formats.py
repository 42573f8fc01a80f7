"""Formats: UTF-8, BOM, GBK, other delimiters, quoted newlines, .xlsx with several sheets, Parquet; cleaning rules."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest

from assistant.warehouse.importer import ImportOptions, import_files
from tests.importer.helpers import CUSTOMERS_HEADER, CUSTOMERS_ROWS, rows, write

ZH_CUSTOMERS = "客户编号,客户名称,大区,城市,行业,规模,获客渠道,签约日期,信用额度\nC1,甲公司,华东,上海,制造,中型,直销,2024-01-05,1000\n"


def _names(db: Path) -> list[tuple]:
    return rows(db, "SELECT customer_id, name, region, signup_date::VARCHAR FROM customers ORDER BY 1")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    f = write(tmp_path / "客户.csv", ZH_CUSTOMERS, encoding)
    report = import_files([f], db=tmp_path / "w.duckdb")
    assert _names(tmp_path / "w.duckdb") == [("C1", "甲公司", "华东", "2024-01-05")]
    assert report.sources[0].table == "customers"  # from the file name 客户
    assert report.sources[0].mapping["客户编号"] == "customer_id"


@pytest.mark.parametrize("delim", [";", "\t", "|"])
def test_delimiters(tmp_path: Path, delim: str) -> None:
    f = write(tmp_path / "c.txt", ZH_CUSTOMERS.replace(",", delim))
    report = import_files([f], ImportOptions(table="customers"), db=tmp_path / "w.duckdb")
    assert report.sources[0].delimiter == delim
    assert _names(tmp_path / "w.duckdb") == [("C1", "甲公司", "华东", "2024-01-05")]


def test_quoted_newlines_keep_row_numbers(tmp_path: Path) -> None:
    text = (
        '问卷编号,客户编号,调查日期,推荐意愿,评语\nS1,C1,2024-05-01,9,"很好,\n第二行 ""引号"""\nS2,C1,2024-05-02,x,差\n'
    )
    db = tmp_path / "w.duckdb"
    import_files([write(tmp_path / "c.csv", ZH_CUSTOMERS)], ImportOptions(table="customers"), db=db)
    report = import_files([write(tmp_path / "s.csv", text)], ImportOptions(max_reject_rate=1.0), db=db)
    assert rows(db, "SELECT comment FROM surveys") == [('很好,\n第二行 "引号"',)]
    # Row numbers count records, not physical lines: S2 is row 3, as a spreadsheet shows it.
    assert report.first_rejects[0].en == 's.csv row 3 column 推荐意愿 (nps): "x" is not a whole number'


def test_number_and_date_formats(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "产品编号,产品名称,类别,单价,成本,上市日期",
            'P1,a,x,"¥1,234.50",12元,2024年1月5日',
            "P2,b,x,$12,(3),45296",
            'P3,c,x,"1,000",RMB 7,2024/1/5',
            "P4,d,x,8.0,,20240105",
        ]
    )
    db = tmp_path / "w.duckdb"
    report = import_files([write(tmp_path / "products.csv", text)], ImportOptions(max_reject_rate=1.0), db=db)
    got = rows(
        db, "SELECT product_id, unit_price::VARCHAR, unit_cost::VARCHAR, launch_date::VARCHAR FROM products ORDER BY 1"
    )
    assert got == [
        ("P1", "1234.50", "12.00", "2024-01-05"),
        ("P3", "1000.00", "7.00", "2024-01-05"),
        ("P4", "8.00", None, "2024-01-05"),
    ]
    # P2's cost (3) is negative: refused by the contract's rule unit_cost >= 0.
    assert (
        report.first_rejects[0].en
        == 'products.csv row 3 column 成本 (unit_cost): "-3.00" breaks the rule unit_cost >= 0'
    )


def test_float_ids_and_status_words(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    import_files(
        [write(tmp_path / "c.csv", ZH_CUSTOMERS.replace("C1,", "17850.0,"))], ImportOptions(table="customers"), db=db
    )
    import_files(
        [
            write(
                tmp_path / "orders.csv",
                "订单号,客户编号,订单日期,订单状态\n1.0,17850,2024-02-01,已取消\n2,17850.0,2024-02-02,退货\n",
            )
        ],
        db=db,
    )
    assert rows(db, "SELECT order_id, customer_id, status FROM orders ORDER BY 1") == [
        ("1", "17850", "cancelled"),
        ("2", "17850", "returned"),
    ]


def test_xlsx_two_sheets(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户"
    ws.append(["客户编号", "客户名称", "大区", "城市", "行业", "规模", "获客渠道", "签约日期"])
    import datetime as dt

    ws.append([17850.0, "甲公司", "华东", "上海", "制造", "中型", "直销", dt.datetime(2024, 1, 5)])
    ws.append([2, "乙公司", "华北", "北京", "零售", "小型", "线上", "2024/2/1"])
    ws2 = wb.create_sheet("订单")
    ws2.append(["订单编号", "客户编号", "下单日期", "销售渠道"])
    ws2.append(["O1", 17850, dt.date(2024, 3, 1), "门店"])
    ws2.append(["O2", 2, 45352, None])
    wb.create_sheet("空白")
    f = tmp_path / "book.xlsx"
    wb.save(f)
    db = tmp_path / "w.duckdb"
    report = import_files([f], db=db)
    assert [(s.source, s.table) for s in report.sources] == [
        ("book.xlsx[客户]", "customers"),
        ("book.xlsx[订单]", "orders"),
    ]
    assert rows(db, "SELECT order_id, customer_id, order_date::VARCHAR, channel FROM orders ORDER BY 1") == [
        ("O1", "17850", "2024-03-01", "门店"),
        ("O2", "2", "2024-03-01", "未知"),
    ]
    assert _names(db) == [("17850", "甲公司", "华东", "2024-01-05"), ("2", "乙公司", "华北", "2024-02-01")]


def test_parquet(tmp_path: Path) -> None:
    f = tmp_path / "cust.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 'C' || i AS customer_id, 'n' || i AS name, '华东' AS region, '上海' AS city, '制造' AS industry, "
        "'中型' AS size, '直销' AS acquisition_channel, DATE '2024-01-01' + i::INTEGER AS signup_date, "
        f"CAST(i * 100.5 AS DECIMAL(18,2)) AS credit_limit FROM range(3) t(i)) TO '{f}' (FORMAT parquet)"
    )
    con.close()
    db = tmp_path / "w.duckdb"
    report = import_files([f], ImportOptions(table="customers"), db=db)
    assert report.sources[0].encoding == "parquet"
    assert rows(db, "SELECT customer_id, signup_date::VARCHAR, credit_limit::VARCHAR FROM customers ORDER BY 1") == [
        ("C0", "2024-01-01", "0.00"),
        ("C1", "2024-01-02", "100.50"),
        ("C2", "2024-01-03", "201.00"),
    ]


def test_explicit_map_and_append(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    header = CUSTOMERS_HEADER.replace("customer_id", "会员号")
    f = write(tmp_path / "members.csv", "\n".join([header, *CUSTOMERS_ROWS[:2]]) + "\n")
    report = import_files([f], ImportOptions(table="customers", mapping={"会员号": "customer_id"}), db=db)
    assert report.sources[0].mapping["会员号"] == "customer_id"
    g = write(tmp_path / "more.csv", "\n".join([CUSTOMERS_HEADER, CUSTOMERS_ROWS[2]]) + "\n")
    import_files([g], ImportOptions(table="customers", mode="append"), db=db)
    assert [r[0] for r in _names(db)] == ["C1", "C2", "C3"]


def test_new_warehouse_gets_every_contract_table(tmp_path: Path) -> None:
    from assistant.warehouse.db import contract_problems

    db = tmp_path / "w.duckdb"
    import_files([write(tmp_path / "c.csv", ZH_CUSTOMERS)], ImportOptions(table="customers"), db=db)
    con = duckdb.connect(str(db), read_only=True)
    assert contract_problems(con) == []
    con.close()


def test_declared_ymd_rejects_day_month_forms(tmp_path: Path) -> None:
    body = [CUSTOMERS_ROWS[0], CUSTOMERS_ROWS[1].replace("2024-02-01", "01/02/2024"), CUSTOMERS_ROWS[2]]
    f = write(tmp_path / "c.csv", "\n".join([CUSTOMERS_HEADER, *body]) + "\n")
    report = import_files(
        [f], ImportOptions(table="customers", date_order="ymd", max_reject_rate=0.5), db=tmp_path / "w.duckdb"
    )
    assert report.first_rejects[0].en.startswith('c.csv row 3 column signup_date: "01/02/2024" is not a date')
    assert report.tables["customers"].imported == 2
