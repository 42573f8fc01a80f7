"""The transactions preset on a small hand-made log, every figure computed by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from assistant.core.errors import InputError
from assistant.warehouse.importer import ImportOptions, import_files
from tests.importer.helpers import rows, write

# UCI Online Retail layout. By hand:
#  536365 (17850): 6 × 2.55 + 6 × 3.39 = 15.30 + 20.34 = 35.64, completed
#  536366: no customer id → left out, counted
#  C536379 (14527): cancellation, 1 × 27.50, never revenue
#  536380 (14527): only a negative line → returned, 2 × 1.85
#  536381 (14527): sells 10 × 1.85 = 18.50 (completed) and returns 1 × 3.39 → split off as 536381-R (returned)
#  536382 (13047): 3 × 2.10 = 6.30 on 2010-12-05, completed
# Revenue = 35.64 + 18.50 + 6.30 = 60.44; customers 3; orders 6; lines 7 (the one without customer excluded).
LOG = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850.0,United Kingdom
536366,22633,HAND WARMER,6,12/13/2010 8:28,1.85,,United Kingdom
C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527.0,United Kingdom
536380,22633,HAND WARMER,-2,12/2/2010 9:41,1.85,14527.0,United Kingdom
536381,22633,HAND WARMER,10,12/2/2010 10:00,1.85,14527.0,United Kingdom
536381,71053,WHITE METAL LANTERN,-1,12/2/2010 10:00,3.39,14527.0,United Kingdom
536382,22634,,3,12/5/2010 11:00,2.10,13047.0,France
"""


def test_split_into_four_tables(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    report = import_files([write(tmp_path / "online_retail.csv", LOG)], ImportOptions(preset="transactions"), db=db)
    assert report.revenue == Decimal("60.44")
    assert report.customers == 3
    assert report.lines_without_customer == 1
    assert report.date_range == ("2010-12-01", "2010-12-05")
    assert report.rows_read == 8 and report.rows_rejected == 0
    assert {t: (r.imported) for t, r in report.tables.items()} == {
        "transactions": 7,
        "customers": 3,
        "products": 5,
        "orders": 6,
        "order_items": 7,
    }
    assert rows(db, "SELECT order_id, customer_id, order_date::VARCHAR, channel, status FROM orders ORDER BY 1") == [
        ("536365", "17850", "2010-12-01", "未知", "completed"),
        ("536380", "14527", "2010-12-02", "未知", "returned"),
        ("536381", "14527", "2010-12-02", "未知", "completed"),
        ("536381-R", "14527", "2010-12-02", "未知", "returned"),
        ("536382", "13047", "2010-12-05", "未知", "completed"),
        ("C536379", "14527", "2010-12-01", "未知", "cancelled"),
    ]
    assert rows(
        db, "SELECT order_id, line_no, product_id, quantity, amount::VARCHAR FROM order_items ORDER BY 1, 2"
    ) == [
        ("536365", 1, "85123A", 6, "15.30"),
        ("536365", 2, "71053", 6, "20.34"),
        ("536380", 1, "22633", 2, "3.70"),
        ("536381", 1, "22633", 10, "18.50"),
        ("536381-R", 1, "71053", 1, "3.39"),
        ("536382", 1, "22634", 3, "6.30"),
        ("C536379", 1, "D", 1, "27.50"),
    ]
    assert rows(db, "SELECT customer_id, name, region, signup_date::VARCHAR FROM customers ORDER BY 1") == [
        ("13047", "13047", "France", "2010-12-05"),
        ("14527", "14527", "United Kingdom", "2010-12-01"),
        ("17850", "17850", "United Kingdom", "2010-12-01"),
    ]
    # A product with no description is named by its code.
    assert rows(db, "SELECT name FROM products WHERE product_id = '22634'") == [("22634",)]
    # Revenue by the contract's definition, in the warehouse, agrees with the report.
    assert rows(
        db,
        "SELECT sum(oi.amount)::VARCHAR FROM order_items oi JOIN orders o USING (order_id) WHERE o.status = 'completed'",
    ) == [("60.44",)]


def test_chinese_headers_bad_lines_and_append(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    first = (
        '订单号,商品编码,商品名称,数量,交易时间,单价,客户编号,渠道\nA1,P1,杯子,2,2024-01-05 10:00,"1,000.00",K1,线上\n'
    )
    import_files([write(tmp_path / "jan.csv", first)], ImportOptions(preset="transactions"), db=db)
    second = (
        "订单号,商品编码,商品名称,数量,交易时间,单价,客户编号,渠道\n"
        "A2,P1,杯子,1,2024年2月1日,￥900,K1,门店\n"
        "A3,P2,盘子,abc,2024-02-02,5,K2,门店\n"
        "A2,P2,盘子,1,2024-02-01,5,K9,门店\n"
    )
    report = import_files(
        [write(tmp_path / "feb.csv", second)],
        ImportOptions(preset="transactions", mode="append", max_reject_rate=1.0),
        db=db,
    )
    assert [m.en for m in report.first_rejects] == [
        'feb.csv row 3 column 数量 (quantity): "abc" is not a whole number',
        "feb.csv row 4 column 客户编号 (customer_id): invoice A2 belongs to customer K1 (row 2), this line names K9",
    ]
    assert report.revenue == Decimal("900.00")
    assert report.customers == 1  # K1, already known; K2's only line was rejected
    # K1 and P1 were already there: kept as they were, not rejected as duplicates.
    assert rows(db, "SELECT customer_id, signup_date::VARCHAR FROM customers") == [("K1", "2024-01-05")]
    assert rows(db, "SELECT order_id, channel, status FROM orders ORDER BY 1") == [
        ("A1", "线上", "completed"),
        ("A2", "门店", "completed"),
    ]
    assert rows(db, "SELECT sum(amount)::VARCHAR FROM order_items") == [("2900.00",)]


# Every cleaning rule and every preset rule at once, over two files (file order across sources): bad numbers, dates
# and quantities, a negative price, a line without customer, an invoice whose later line names another customer,
# returns split off an invoice that sells, an invoice that only returns, a cancellation that also sells, padded and
# float ids, formula-like text, duplicate lines, an invoice continued in the second file.
HOSTILE_A = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
B1,P1,=CUP,2,1/5/2024 10:00,"1,000.50",17850.0,UK
B1,P2,PLATE,-1,1/5/2024 10:00,3.333,17850.0,UK
B1,P2,PLATE,-1,1/5/2024 10:00,3.333,17850.0,UK
B2,P1,,1,1/6/2024 9:00,¥2.005, 9 ,
B2,P3,BOWL,-3,1/6/2024 9:00,4,9.00,France
B3,P1,CUP,abc,1/7/2024,1,17850.0,UK
B4,P1,CUP,1,13/45/2024,1,17850.0,UK
B5,P1,CUP,1,1/8/2024,-2,17850.0,UK
B6,P1,CUP,0,1/8/2024,2,17850.0,UK
B7,P4,SPOON,-2,1/9/2024,1.10,42,Spain
CB8,P4,SPOON,-1,1/9/2024,1.10,42,Spain
CB8,P1,CUP,2,1/9/2024,1.10,42,Spain
B9,P1,CUP,1,1/10/2024,5,,UK
B10,P5,KNIFE,1,1/11/2024 8:00,7.5,77,Italy
B10,P5,KNIFE,2,1/11/2024 8:00,7.5,78,Italy
"""
HOSTILE_B = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
B11,P1,CUP,3,1/12/2024,(1.50),77,Italy
B12,P6,+FORK,1,1/12/2024,$12.00,78,
B1,P6,FORK,1,1/12/2024,12,17850.0,UK
"""


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    from assistant.warehouse.schema import TABLES

    return {name: rows(db, f"FROM {name} ORDER BY ALL") for name in [*(t.name for t in TABLES), "order_totals"]}


@pytest.mark.parametrize("shared", [True, False])
def test_staged_tables_equal_the_fully_checked_ones(tmp_path: Path, shared: bool) -> None:
    """A replace stages the preset's tables without checking them again (valid by construction); the general path
    (here: an append into a new warehouse, which checks every derived row for keys, references and rules) must give
    the same warehouse, the same report, and no reject of its own beyond the lines'. Both ways the preset reads its
    lines: in place, or (when an invoice names two customers) copied without the lines refused for it."""
    from assistant.warehouse import derived

    a = HOSTILE_A if shared else HOSTILE_A.replace("B10,P5,KNIFE,2,1/11/2024 8:00,7.5,78,Italy\n", "")
    files = [write(tmp_path / "a.csv", a), write(tmp_path / "b.csv", HOSTILE_B)]
    got = {}
    for mode in ("replace", "append"):
        db = tmp_path / f"{mode}.duckdb"
        opts = ImportOptions(preset="transactions", mode=mode, date_order="mdy", max_reject_rate=1.0)
        report = import_files(files, opts, db=db)
        got[mode] = (report, _tables(db))
        con = duckdb.connect(str(db), read_only=True)
        assert derived.state(con) == "fresh"
        # order_totals from the staged values equals order_totals from the lines in the warehouse.
        built = con.execute("FROM order_totals ORDER BY ALL").fetchall()
        con.close()
        con = duckdb.connect(str(db))
        derived.build(con)
        assert con.execute("FROM order_totals ORDER BY ALL").fetchall() == built
        con.close()
    (fast, fast_tables), (full, full_tables) = got["replace"], got["append"]
    assert fast_tables == full_tables
    # The same rejects file, original lines included (the replace drops the file's text once its checks are done,
    # keeping the rejected rows' lines).
    fast_rejects = Path(fast.rejects_path).read_text(encoding="utf-8-sig")
    assert fast_rejects == Path(full.rejects_path).read_text(encoding="utf-8-sig")
    assert fast_rejects.splitlines()[1].startswith("a.csv,7,transactions,Quantity,abc,")
    assert fast_rejects.splitlines()[1].endswith(',"B3,P1,CUP,abc,1/7/2024,1,17850.0,UK"')
    keep = {"db", "mode", "rejects_path"}
    assert fast.model_dump(exclude=keep) == full.model_dump(exclude=keep)
    # Every kind of line problem was met (so the comparison covers them), and only the lines' own problems.
    assert (fast.rows_rejected, fast.lines_without_customer) == (6 if shared else 5, 1)
    assert [m.en.split(":")[0] for m in fast.first_rejects] == [
        "a.csv row 7 column Quantity (quantity)",
        "a.csv row 8 column InvoiceDate (invoice_date)",
        "a.csv row 9 column UnitPrice (unit_price)",
        "a.csv row 10 column Quantity (quantity)",
        *(
            ["a.csv row 16 column CustomerID (customer_id)"]
            if shared
            else ["b.csv row 2 column UnitPrice (unit_price)"]
        ),
    ]
    assert [r[0] for r in fast_tables["orders"]] == ["B1", "B1-R", "B10", "B12", "B2", "B2-R", "B7", "CB8"]
    assert fast.revenue == Decimal("2034.51")


def test_order_lines_numbered_in_file_order_and_written_in_it(tmp_path: Path) -> None:
    """Lines are numbered within their order by file order, whether an order's lines are consecutive (numbered by
    their distance from its first) or not (interleaved with another order, a refused line between them, returns
    split off): by a window over those alone. The table holds them in file order."""
    log = (
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "A,P1,x,1,1/5/2024,1,1,UK\n"
        "A,P2,x,1,1/5/2024,1,1,UK\n"
        "B,P1,x,1,1/5/2024,1,2,UK\n"
        "A,P3,x,1,1/5/2024,1,1,UK\n"
        "C,P1,x,1,1/6/2024,1,2,UK\n"
        "C,P2,x,abc,1/6/2024,1,2,UK\n"
        "C,P3,x,1,1/6/2024,1,2,UK\n"
        "D,P1,x,1,1/7/2024,1,3,UK\n"
        "D,P2,x,-1,1/7/2024,1,3,UK\n"
        "D,P3,x,1,1/7/2024,1,3,UK\n"
        "E,P1,x,1,1/8/2024,1,3,UK\n"
        "E,P2,x,1,1/8/2024,1,3,UK\n"
    )
    db = tmp_path / "w.duckdb"
    opts = ImportOptions(preset="transactions", date_order="mdy", max_reject_rate=1.0)
    report = import_files([write(tmp_path / "log.csv", log)], opts, db=db)
    assert report.rows_rejected == 1
    assert rows(db, "SELECT order_id, line_no, product_id FROM order_items") == [
        ("A", 1, "P1"),
        ("A", 2, "P2"),
        ("B", 1, "P1"),
        ("A", 3, "P3"),
        ("C", 1, "P1"),
        ("C", 2, "P3"),
        ("D", 1, "P1"),
        ("D-R", 1, "P2"),
        ("D", 2, "P3"),
        ("E", 1, "P1"),
        ("E", 2, "P2"),
    ]


def test_log_read_in_place_equals_the_staged_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One log in one CSV file is typed straight from the file (never staged as text; its lines numbered by
    position and the lines DuckDB cannot parse). Lines that cannot be parsed, blank lines, refused rows (their
    original text in the rejects file), an invoice naming two customers: the same as staging the file first."""
    from assistant.warehouse.importer import core
    from assistant.warehouse.importer.sources import Loader

    extra = (
        "B20,P1\n\nB21,P1,CUP,1,1/13/2024,1,5,UK,extra\n,,,,,,,\nB22,P2,PLATE,2,1/13/2024,3,5,UK\n\n\n"
        "B23,P2,PLATE,2,1/14/2024,3,6,UK\n"
    )
    log = write(
        tmp_path / "one.csv",
        HOSTILE_A + extra + HOSTILE_B.split("\n", 1)[1] + 'B24,P1,"CUP,2,1/15/2024,1,5,UK\n',
    )
    got = {}
    for how in ("in place", "staged"):
        if how == "staged":
            monkeypatch.setattr(core, "Loader", lambda con, workdir, lazy=False: Loader(con, workdir))
        for mode in ("replace", "append"):
            db = tmp_path / f"{how}-{mode}.duckdb"
            opts = ImportOptions(preset="transactions", mode=mode, date_order="mdy", max_reject_rate=1.0)
            report = import_files([log], opts, db=db)
            rejects = Path(report.rejects_path).read_text(encoding="utf-8-sig")
            got[how, mode] = (report.model_dump(exclude={"db", "rejects_path"}), rejects, _tables(db))
    for mode in ("replace", "append"):
        assert got["in place", mode] == got["staged", mode]
    report, rejects, _ = got["in place", "replace"]
    assert (report["rows_read"], report["rows_rejected"]) == (23, 9)
    assert "one.csv,17,transactions,,,该行的字段比表头少" in rejects
    assert rejects.splitlines()[-1].startswith("one.csv,28,transactions,,,")
    assert "one.csv,22,transactions,UnitPrice,(1.50)," in rejects  # numbered after the lines before it


def test_log_read_in_place_refused_as_before(tmp_path: Path) -> None:
    header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    with pytest.raises(InputError) as err:
        import_files(
            [write(tmp_path / "h.csv", header + "\n,,,,,,,\n")], ImportOptions(preset="transactions"), db=tmp_path / "w"
        )
    assert err.value.en == "h.csv: only a header, no data rows."
    body = "A,P,x,1,2024-01-01,1,1,UK\nB,P,x,1,05/01/2024,1,1,UK\nC,P,x,1,03/02/2024,1,1,UK\n"
    with pytest.raises(InputError) as err:
        import_files(
            [write(tmp_path / "a.csv", header + body)], ImportOptions(preset="transactions"), db=tmp_path / "w"
        )
    assert "the date 05/01/2024 could be day/month/year or month/day/year" in err.value.en


def test_order_lines_written_in_file_order_at_scale(tmp_path: Path) -> None:
    """Order lines land in file order, numbered in it, when they span several row groups read in parallel and
    orders are nearly as many as lines (writing them as the numbering join gives them, unsorted, did not keep it)."""
    con = duckdb.connect()
    log = tmp_path / "big.csv"
    con.execute(
        "COPY (SELECT CASE WHEN i % 3 = 0 THEN 'S' || i ELSE 'M' || (i // 3) END AS InvoiceNo, 'P' || (i % 7) AS StockCode, "
        "'x' AS Description, 1 + i % 5 AS Quantity, '1/5/2024 10:00' AS InvoiceDate, 1.5 AS UnitPrice, "
        "((CASE WHEN i % 3 = 0 THEN i ELSE i // 3 END) % 997)::VARCHAR AS CustomerID, 'UK' AS Country "
        f"FROM range(300000) t(i)) TO '{log}' (HEADER)"
    )
    con.close()
    db = tmp_path / "w.duckdb"
    import_files([log], ImportOptions(preset="transactions", date_order="mdy"), db=db)
    got = rows(db, "SELECT order_id, line_no FROM order_items")
    con = duckdb.connect()
    want = con.execute(
        f"SELECT InvoiceNo, row_number() OVER (PARTITION BY InvoiceNo ORDER BY n)::INTEGER FROM "
        f"(SELECT *, row_number() OVER () AS n FROM read_csv('{log}', all_varchar=true)) ORDER BY n"
    ).fetchall()
    assert got == want


def test_lines_numbered_as_they_stream_equal_the_staged_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One log read in place with no line DuckDB cannot parse and no invoice naming two customers: its order lines
    are numbered as they stream past in file order (transactions.numbered_lines, in_order). Refused lines between
    an order's lines, lines without customer, returns split off an invoice that sells (also later in the file),
    cancellations, interleaved orders and an invoice continued later: the same warehouse, report and rejects as
    staging the file first (numbered by the join with the orders)."""
    from assistant.warehouse.importer import core, transactions
    from assistant.warehouse.importer.sources import Loader

    a = HOSTILE_A.replace("B10,P5,KNIFE,2,1/11/2024 8:00,7.5,78,Italy\n", "")
    extra = "B13,P1,CUP,1,1/13/2024,1,5,UK\nB13,P2,CUP,-1,1/13/2024,1,5,UK\nB14,P1,CUP,1,1/13/2024,1,5,UK\n"
    extra += "B13,P3,CUP,2,1/13/2024,1,5,UK\nB13,P3,CUP,-2,1/13/2024,1,5,UK\nB14,P2,CUP,x,1/13/2024,1,5,UK\n"
    extra += "B14,P3,CUP,4,1/13/2024,1,5,UK\nB15,P1,CUP,-1,1/14/2024,1,5,UK\nB15,P2,CUP,-1,1/14/2024,1,,UK\n"
    extra += "B15,P3,CUP,-1,1/14/2024,1,5,UK\nB16,P1,CUP,-1,1/14/2024,1,5,UK\nB16,P2,CUP,1,1/14/2024,1,5,UK\n"
    log = write(tmp_path / "one.csv", a + extra + HOSTILE_B.split("\n", 1)[1])
    ways: list[bool] = []
    numbered = transactions.numbered_lines
    monkeypatch.setattr(
        transactions, "numbered_lines", lambda con, in_order=False: ways.append(in_order) or numbered(con, in_order)
    )
    got = {}
    for how in ("in place", "staged"):
        if how == "staged":
            monkeypatch.setattr(core, "Loader", lambda con, workdir, lazy=False: Loader(con, workdir))
        db = tmp_path / f"{how}.duckdb"
        opts = ImportOptions(preset="transactions", date_order="mdy", max_reject_rate=1.0)
        report = import_files([log], opts, db=db)
        rejects = Path(report.rejects_path).read_text(encoding="utf-8-sig")
        in_order = rows(db, "SELECT order_id, line_no, product_id, quantity FROM order_items")
        got[how] = (report.model_dump(exclude={"db", "rejects_path"}), rejects, _tables(db), in_order)
    assert ways == [True, False]
    assert got["in place"] == got["staged"]
    lines = got["in place"][3]
    assert [(o, n) for o, n, *_ in lines if o.startswith(("B13", "B14", "B15", "B16"))] == [
        ("B13", 1),
        ("B13-R", 1),
        ("B14", 1),
        ("B13", 2),
        ("B13-R", 2),
        ("B14", 2),
        ("B15", 1),
        ("B15", 2),
        ("B16-R", 1),
        ("B16", 1),
    ]


# Every invoice's lines consecutive: returns split off between an invoice's sales, an invoice that only returns, a
# cancellation that also sells, one-line invoices.
ONE_RUN = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    "A,P1,x,1,1/5/2024,1,1,UK\nA,P2,x,-1,1/5/2024,1,1,UK\nA,P3,x,2,1/5/2024,1,1,UK\nA,P4,x,-2,1/5/2024,1,1,UK\n"
    "B,P1,x,-1,1/6/2024,1,2,UK\nB,P2,x,-3,1/6/2024,1,2,UK\nC1,P1,x,-1,1/6/2024,1,2,UK\nC1,P2,x,4,1/6/2024,1,2,UK\n"
    "D,P1,x,-1,1/7/2024,1,3,UK\nD,P2,x,5,1/7/2024,1,3,UK\nE,P1,x,1,1/7/2024,1,3,UK\n"
)
# The same, and invoices named like another's returns split off (X-R: one order with them, W-R-R the same for the
# split invoice W-R), before and after it, and a lower-case cancellation with such a name.
SHARED_ORDER = ONE_RUN + (
    "X,P1,a,1,1/5/2024,1,1,UK\nX,P2,a,-1,1/5/2024,1,1,UK\nX,P3,a,2,1/5/2024,1,1,UK\n"
    "X-R,P1,a,-3,1/6/2024,1,1,UK\nX-R,P2,a,1,1/6/2024,1,1,UK\nY-R,P1,a,-1,1/6/2024,1,2,UK\n"
    "Y,P1,a,1,1/7/2024,1,2,UK\nY,P2,a,-1,1/7/2024,1,2,UK\nc9,P1,a,1,1/8/2024,1,3,UK\nc9,P2,a,-1,1/8/2024,1,3,UK\n"
    "c9-R,P2,a,-1,1/8/2024,1,3,UK\nW,P1,a,1,1/9/2024,1,4,UK\nW,P2,a,-1,1/9/2024,1,4,UK\nW-R,P3,a,-2,1/9/2024,1,4,UK\n"
    "W-R-R,P3,a,-2,1/9/2024,1,4,UK\nW-R,P3,a,2,1/9/2024,1,4,UK\n"
)


@pytest.mark.parametrize("packed", [True, False])
@pytest.mark.parametrize(("log", "unsorted"), [(ONE_RUN, True), (SHARED_ORDER, False)])
def test_invoices_in_one_run_written_as_they_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log: str, unsorted: bool, packed: bool
) -> None:
    """When every invoice's lines are consecutive in the file, a line's number is counted as the lines stream past
    (its invoice's lines up to it on its side, returns or not) and the lines are written as they come, unsorted:
    the same warehouse as staging the file first (numbered by the join with the orders). An order shared by two
    invoices (X's returns and invoice X-R) takes the window and the sort (the stream numbered W-R-R 1, 1). The
    stream's running values packed in one BIGINT or not (past 2^31 lines): the same."""
    from assistant.warehouse.importer import core, transactions
    from assistant.warehouse.importer.sources import Loader

    if not packed:
        monkeypatch.setattr(transactions, "PACKED_LINES", 0)

    swap = core._swap
    ordered: list[set[str]] = []
    monkeypatch.setattr(core, "_swap", lambda *a: ordered.append(set(a[5])) or swap(*a))
    got = {}
    for how in ("in place", "staged"):
        if how == "staged":
            monkeypatch.setattr(core, "Loader", lambda con, workdir, lazy=False: Loader(con, workdir))
        db = tmp_path / f"{how}.duckdb"
        opts = ImportOptions(preset="transactions", date_order="mdy")
        report = import_files([write(tmp_path / "log.csv", log)], opts, db=db)
        lines = rows(db, "SELECT order_id, line_no, product_id, quantity FROM order_items")
        got[how] = (report.model_dump(exclude={"db", "rejects_path"}), _tables(db), lines)
    assert ordered == [{"order_items"} if unsorted else set(), set()]
    assert got["in place"] == got["staged"]
    numbers = [(o, n) for o, n, *_ in got["in place"][2]]
    assert numbers[:11] == [
        ("A", 1), ("A-R", 1), ("A", 2), ("A-R", 2), ("B", 1), ("B", 2), ("C1", 1), ("C1", 2), ("D-R", 1), ("D", 1),
        ("E", 1),
    ]  # fmt: skip
    if not unsorted:
        assert [x for x in numbers if x[0].startswith("W")] == [
            ("W", 1), ("W-R", 1), ("W-R-R", 1), ("W-R-R", 2), ("W-R", 2),
        ]  # fmt: skip


@pytest.mark.parametrize("mode", ["replace", "append"])
def test_orders_from_the_sides_of_invoices_equal_grouping_by_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """The orders are the sides of the invoices (one grouping of the lines by invoice and return or not, which also
    finds what derive needs per invoice): the same warehouse, report and rejects as grouping the lines by order, on
    hostile lines over two files and in one (splits before and after the sale, an invoice continued in the other
    file or interleaved, refused and customerless lines between an invoice's, cancellations that sell, invoices
    that only return), and on a log whose invoice names another's returns (X-R: grouped by order either way)."""
    from assistant.warehouse.importer import transactions

    a = HOSTILE_A.replace("B10,P5,KNIFE,2,1/11/2024 8:00,7.5,78,Italy\n", "")
    extra = "B13,P1,CUP,1,1/13/2024,1,5,UK\nB13,P2,CUP,-1,1/13/2024,1,5,UK\nB14,P1,CUP,1,1/13/2024,1,5,UK\n"
    extra += "B13,P3,CUP,2,1/13/2024,1,5,UK\nB14,P2,CUP,x,1/13/2024,1,5,UK\nB15,P2,CUP,-1,1/14/2024,1,,UK\n"
    files = {
        "two": [write(tmp_path / "a.csv", a), write(tmp_path / "b.csv", HOSTILE_B)],
        "one": [write(tmp_path / "one.csv", a + extra + HOSTILE_B.split("\n", 1)[1] + ONE_RUN.split("\n", 1)[1])],
        "x-r": [write(tmp_path / "xr.csv", SHARED_ORDER)],
    }
    got = {}
    for by_side in (True, False):
        monkeypatch.setattr(transactions, "BY_SIDE", by_side)
        for name, paths in files.items():
            db = tmp_path / f"{name}-{by_side}.duckdb"
            opts = ImportOptions(preset="transactions", mode=mode, date_order="mdy", max_reject_rate=1.0)
            report = import_files(paths, opts, db=db)
            rejects = Path(report.rejects_path).read_text(encoding="utf-8-sig") if report.rejects_path else ""
            # In file order (two files: lines with the same row number in each come either way, as they always did).
            lines = rows(db, "SELECT order_id, line_no, product_id FROM order_items") if name != "two" else []
            got[by_side, name] = (report.model_dump(exclude={"db", "rejects_path"}), rejects, _tables(db), lines)
    for name in files:
        assert got[True, name] == got[False, name]
    orders = {o[0] for o in got[True, "one"][2]["orders"]}
    assert {"B1", "B1-R", "B13", "B13-R", "A-R", "D-R", "CB8", "C1", "B"} <= orders and "C1-R" not in orders


PADDED = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country,City,Channel,CustomerName\n"
    'A1,P1,"  ",1,1/5/2024,1,7,"   ",\u3000,"",\u3000\n'
    'A1,P1,"CUP  ",2,1/5/2024,1,7,"UK ",\u3000Leeds\u3000, web ,"Ann\u3000"\n'
    'A1,P2,"\u3000MUG\u3000",1,1/5/2024,1,7,Spain,York,shop,Bob\n'
    "A2,P2,\tPLATE\t,1,1/6/2024,1,8, ,,,\n"
    'A2,P3,"",-1,1/6/2024,1,8,~Peru~ ,x ,\u00a0web\u00a0,"!Cy "\n'
    "A3,P3,BOWL ,1,1/6/2024,1,8,Peru,Lima,shop,Cy\n"
    'A3,P4,"  ",1,1/7/2024,1,9,"",,,\n'
    "A4,P4,\u007fKNIFE,1,1/8/2024,1,9,\u007fX ,,,\n"
)


def test_picked_text_trimmed_once_equals_trimming_every_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Names and places (transactions.PICKED) keep their lines' text untrimmed unless it starts with a character
    other than printable ASCII, and the value picked per customer, product or order is trimmed: the same warehouse,
    report and rejects as trimming every line (PICKED empty), on values padded with spaces (ASCII, ideographic,
    no-break), tabs (which trim keeps), blank and empty text and a DEL; in place, staged (two files), on the path
    where an invoice names two customers, replace and append."""
    from assistant.warehouse.importer import transactions

    shared = PADDED + "A3,P5,CUP,1,1/6/2024,1,10,Chile,,,\n"
    files = {
        "one": [write(tmp_path / "one.csv", PADDED)],
        "two": [write(tmp_path / "a.csv", PADDED), write(tmp_path / "b.csv", HOSTILE_B)],
        "shared": [write(tmp_path / "shared.csv", shared)],
    }
    got = {}
    for picked in (transactions.PICKED, frozenset()):
        monkeypatch.setattr(transactions, "PICKED", picked)
        for name, paths in files.items():
            for mode in ("replace", "append"):
                db = tmp_path / f"{name}-{mode}-{len(picked)}.duckdb"
                opts = ImportOptions(preset="transactions", mode=mode, date_order="mdy", max_reject_rate=1.0)
                report = import_files(paths, opts, db=db)
                rejects = Path(report.rejects_path).read_text(encoding="utf-8-sig") if report.rejects_path else ""
                got[bool(picked), name, mode] = (
                    report.model_dump(exclude={"db", "rejects_path"}),
                    rejects,
                    _tables(db),
                )
    for key in [k for k in got if k[0]]:
        assert got[key] == got[(False, *key[1:])], key
    tables = got[True, "one", "replace"][2]
    assert ("P1", "CUP") in {(p[0], p[1]) for p in tables["products"]}
    assert ("P2", "\tPLATE\t") in {(p[0], p[1]) for p in tables["products"]}  # the later line; tabs stay
    customers = {c[0]: c[1:4] for c in tables["customers"]}
    assert customers["7"] == ("Ann", "UK", "Leeds") and customers["8"][1] == "~Peru~"
