"""The corpus of bad files: each gives its exact error and leaves the warehouse exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.errors import InputError
from assistant.warehouse.importer import ImportFailed, ImportOptions, import_files
from tests.importer.helpers import CUSTOMERS_HEADER, CUSTOMERS_ROWS, checksum, customers_csv, rows, write

DATE_EN = "a date such as 2024-01-05, 2024/1/5, 2024年1月5日 or an Excel serial"


@pytest.fixture
def wh(tmp_path: Path) -> Path:
    """A warehouse holding three customers."""
    db = tmp_path / "wh.duckdb"
    import_files([customers_csv(tmp_path / "customers.csv")], db=db)
    return db


def refused(db: Path, files: list[Path], **opts: object) -> InputError:
    before = checksum(db)
    with pytest.raises(InputError) as info:
        import_files(files, ImportOptions(**opts), db=db)
    assert checksum(db) == before, "a refused import changed the warehouse"
    return info.value


def test_wrong_encoding(wh: Path, tmp_path: Path) -> None:
    f = tmp_path / "customers_latin1.csv"
    f.write_bytes(b"customer_id,name\nC9,caf\xe9\xff\n")
    err = refused(wh, [f], table="customers")
    assert err.en == (
        "customers_latin1.csv: unknown text encoding: neither UTF-8 nor GBK/GB18030 (byte 23: e9 ff 0a). "
        "Save it as UTF-8 CSV."
    )
    assert "无法识别的文本编码" in err.zh


def test_missing_column(wh: Path, tmp_path: Path) -> None:
    header = CUSTOMERS_HEADER.replace(",signup_date", "")
    body = [",".join(r.split(",")[:7] + r.split(",")[8:]) for r in CUSTOMERS_ROWS]
    err = refused(wh, [customers_csv(tmp_path / "c.csv", body, header)], table="customers")
    assert err.en.startswith(
        "c.csv: missing required column(s) signup_date for table customers. The file has: customer_id, name,"
    )
    assert err.en.endswith("Rename them or pass --map source=target.")


def test_bad_dates(wh: Path, tmp_path: Path) -> None:
    body = [CUSTOMERS_ROWS[0], CUSTOMERS_ROWS[1].replace("2024-02-01", "2024-13-45"), CUSTOMERS_ROWS[2]]
    err = refused(wh, [customers_csv(tmp_path / "c.csv", body)], table="customers")
    assert isinstance(err, ImportFailed)
    assert err.en.startswith(
        f'1 of 3 rows rejected (33.3%), above the 1.0% limit; nothing was imported. First problem: c.csv row 3 column signup_date: "2024-13-45" is not {DATE_EN}.'
    )
    rejects = Path(err.report.rejects_path)
    text = rejects.read_text(encoding="utf-8-sig")
    assert "c.csv,3,customers,signup_date,2024-13-45," in text
    assert "C2,乙公司,华北,北京,零售,小型,线上,2024-13-45,,2000" in text  # the original row


def test_ambiguous_day_month(wh: Path, tmp_path: Path) -> None:
    body = [r.replace("2024-01-05", "05/01/2024").replace("2024-02-01", "01/02/2024") for r in CUSTOMERS_ROWS]
    err = refused(wh, [customers_csv(tmp_path / "c.csv", body)], table="customers")
    assert err.en.endswith(
        "c.csv column signup_date: the date 05/01/2024 could be day/month/year or month/day/year. "
        "Pass --date-order dmy or --date-order mdy."
    )
    # Declared, it imports: 05/01/2024 is 5 January.
    import_files([tmp_path / "c.csv"], ImportOptions(table="customers", date_order="dmy"), db=wh)
    assert rows(wh, "SELECT signup_date::VARCHAR FROM customers WHERE customer_id = 'C1'") == [("2024-01-05",)]


def test_duplicate_ids(wh: Path, tmp_path: Path) -> None:
    body = [*CUSTOMERS_ROWS, CUSTOMERS_ROWS[0].replace("甲公司", "甲公司(重复)")]
    err = refused(wh, [customers_csv(tmp_path / "c.csv", body)], table="customers")
    assert err.en.startswith(
        "1 of 4 rows rejected (25.0%), above the 1.0% limit; nothing was imported. "
        "First problem: c.csv row 5 column customer_id: duplicate key C1 (first seen in c.csv row 2)."
    )


def test_truncated_file(wh: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "c.csv", "\n".join([CUSTOMERS_HEADER, *CUSTOMERS_ROWS[:2], "C3,丙公司,华南"]))
    err = refused(wh, [f], table="customers")
    assert "First problem: c.csv row 4: the row has fewer fields than the header (truncated file?)." in err.en
    assert "c.csv 第 4 行:该行的字段比表头少(文件可能被截断)" in err.zh
    rejects = Path(err.report.rejects_path).read_text(encoding="utf-8-sig").splitlines()
    assert rejects[1] == (
        "c.csv,4,customers,,,该行的字段比表头少(文件可能被截断),"
        'the row has fewer fields than the header (truncated file?),"C3,丙公司,华南"'
    )


def test_truncated_inside_quotes(wh: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "c.csv", "\n".join([CUSTOMERS_HEADER, *CUSTOMERS_ROWS[:2], 'C3,"丙公司 有限']))
    err = refused(wh, [f], table="customers")
    assert "First problem: c.csv row 4: a quote is never closed (truncated file?)." in err.en


def test_empty_file(wh: Path, tmp_path: Path) -> None:
    err = refused(wh, [write(tmp_path / "c.csv", "")], table="customers")
    assert err.en == "c.csv: the file is empty."
    err = refused(wh, [write(tmp_path / "d.csv", "\ufeff\n\n")], table="customers")
    assert err.en == "d.csv: the file is empty."


def test_header_only(wh: Path, tmp_path: Path) -> None:
    err = refused(wh, [customers_csv(tmp_path / "c.csv", [])], table="customers")
    assert err.en == "c.csv: only a header, no data rows."


def test_huge_field(wh: Path, tmp_path: Path) -> None:
    big = CUSTOMERS_ROWS[1].replace("乙公司", "乙" * 1_100_000)  # 3.3 MB in UTF-8
    err = refused(
        wh, [customers_csv(tmp_path / "c.csv", [CUSTOMERS_ROWS[0], big, CUSTOMERS_ROWS[2]])], table="customers"
    )
    assert "First problem: c.csv row 3: the row is longer than the 2 MiB limit (a huge field)." in err.en


def test_impossible_values(wh: Path, tmp_path: Path) -> None:
    body = [CUSTOMERS_ROWS[0], CUSTOMERS_ROWS[1].replace(",2000", ",-5"), CUSTOMERS_ROWS[2]]
    err = refused(wh, [customers_csv(tmp_path / "c.csv", body)], table="customers")
    assert 'First problem: c.csv row 3 column credit_limit: "-5.00" breaks the rule credit_limit >= 0.' in err.en
    surveys = write(
        tmp_path / "surveys.csv",
        "问卷编号,客户编号,调查日期,推荐意愿,满意度,费力度,评语\nS1,C1,2024-05-01,11,4,2,好\n",
    )
    err = refused(wh, [surveys], mode="append")
    assert 'surveys.csv row 2 column 推荐意愿 (nps): "11" breaks the rule nps BETWEEN 0 AND 10.' in err.en


def test_unknown_foreign_key(wh: Path, tmp_path: Path) -> None:
    orders = write(
        tmp_path / "orders.csv",
        "订单编号,客户编号,下单日期\nO1,C1,2024-03-01\nO2,C404,2024-03-02\n",
    )
    err = refused(wh, [orders])
    assert (
        'orders.csv row 3 column 客户编号 (customer_id): customer_id "C404" is not in customers '
        "(neither in the warehouse nor in this import)." in err.en
    )


def test_raised_limit_imports_the_good_rows(wh: Path, tmp_path: Path) -> None:
    orders = write(tmp_path / "orders.csv", "订单编号,客户编号,下单日期\nO1,C1,2024-03-01\nO2,C404,2024-03-02\n")
    rej = tmp_path / "rej.csv"
    report = import_files([orders], ImportOptions(max_reject_rate=0.5, rejects_path=rej), db=wh)
    assert (report.tables["orders"].read, report.tables["orders"].imported, report.tables["orders"].rejected) == (
        2,
        1,
        1,
    )
    assert rows(wh, "SELECT order_id, channel, status, rep_id FROM orders") == [("O1", "未知", "completed", None)]
    assert rej.read_text(encoding="utf-8-sig").splitlines()[1].startswith("orders.csv,3,orders,客户编号,C404,")


def test_formula_cells_kept_as_text_and_flagged(wh: Path, tmp_path: Path) -> None:
    body = [CUSTOMERS_ROWS[0].replace("甲公司", '=HYPERLINK("http://x")'), *CUSTOMERS_ROWS[1:]]
    f = customers_csv(tmp_path / "c.csv", [r.replace('"', "") for r in body])
    report = import_files([f], ImportOptions(table="customers"), db=wh)
    assert rows(wh, "SELECT name FROM customers WHERE customer_id = 'C1'") == [("=HYPERLINK(http://x)",)]
    assert [w.en for w in report.warnings] == [
        "customers.name: 1 value(s) start with = + - @; kept as text, and prefixed with ' when exported "
        "so spreadsheets do not run them as formulas."
    ]


def test_formula_cells_escaped_in_rejects_file(wh: Path, tmp_path: Path) -> None:
    body = [CUSTOMERS_ROWS[0], "C2,乙公司,华北,北京,零售,小型,线上,=1+1,,"]
    err = refused(wh, [customers_csv(tmp_path / "c.csv", body)], table="customers")
    line = Path(err.report.rejects_path).read_text(encoding="utf-8-sig").splitlines()[1]
    assert line.startswith("c.csv,3,customers,signup_date,'=1+1,")  # the value cell cannot run in Excel
    assert line.endswith(',"C2,乙公司,华北,北京,零售,小型,线上,=1+1,,"')


def test_replace_that_would_orphan_rows_is_refused(wh: Path, tmp_path: Path) -> None:
    import_files([write(tmp_path / "orders.csv", "订单编号,客户编号,下单日期\nO1,C1,2024-03-01\n")], db=wh)
    err = refused(wh, [customers_csv(tmp_path / "c.csv", [CUSTOMERS_ROWS[1]])], table="customers")
    assert err.en.startswith(
        "After replacing customers, 1 row(s) of orders in the warehouse would refer to a missing customer_id."
    )


def test_unknown_table_and_bad_map(wh: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "misc.csv", "foo,bar\n1,2\n")
    err = refused(wh, [f])
    assert err.en.startswith("misc.csv: cannot tell which table this is (columns: foo, bar).")
    err = refused(wh, [customers_csv(tmp_path / "c.csv")], table="customers", mapping={"name": "nom"})
    assert err.en.startswith("--map name=nom: table customers has no column nom.")


def test_append_never_overwrites_a_key(wh: Path, tmp_path: Path) -> None:
    # C1 is in the warehouse already: refused with its reason; C9 is new and goes in. The duplicate's value is the
    # text as written in the file.
    body = [" C1 ,新名字,华东,上海,制造,中型,直销,2024-01-05,,1000", "C9,庚公司,华东,上海,制造,中型,直销,2024-06-01,,"]
    report = import_files(
        [customers_csv(tmp_path / "more.csv", body)],
        ImportOptions(table="customers", mode="append", max_reject_rate=1.0),
        db=wh,
    )
    assert [m.en for m in report.first_rejects] == [
        "more.csv row 2 column customer_id: key C1 is already in the warehouse (append never overwrites)"
    ]
    assert rows(wh, "SELECT customer_id, name FROM customers ORDER BY 1") == [
        ("C1", "甲公司"),
        ("C2", "乙公司"),
        ("C3", "丙公司"),
        ("C9", "庚公司"),
    ]
    rejected = Path(report.rejects_path).read_text(encoding="utf-8-sig").splitlines()[1]
    assert rejected.startswith("more.csv,2,customers,customer_id, C1 ,")
