"""Round trip: export the generated sample warehouse to one CSV per table, import into a new warehouse, compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.warehouse.importer import import_files
from assistant.warehouse.schema import TABLES


@pytest.fixture(scope="module")
def round_trip(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("export")
    con = duckdb.connect(str(sample_db), read_only=True)
    files = []
    for t in TABLES:
        f = out / f"{t.name}.csv"
        con.execute(f"COPY {t.name} TO '{f}' (HEADER, DELIMITER ',')")
        files.append(f)
    con.close()
    new = out / "imported.duckdb"
    report = import_files(files, db=new)
    assert report.rows_rejected == 0
    return sample_db, new


def test_every_table_identical(round_trip: tuple[Path, Path]) -> None:
    original, imported = round_trip
    con = duckdb.connect()
    con.execute(f"ATTACH '{original}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{imported}' AS b (READ_ONLY)")
    for t in TABLES:
        n_a = con.execute(f"SELECT count(*) FROM a.{t.name}").fetchone()[0]
        n_b = con.execute(f"SELECT count(*) FROM b.{t.name}").fetchone()[0]
        assert n_a == n_b, t.name
        for x, y in (("a", "b"), ("b", "a")):
            diff = con.execute(f"SELECT count(*) FROM (FROM {x}.{t.name} EXCEPT ALL FROM {y}.{t.name})").fetchone()[0]
            assert diff == 0, f"{t.name}: {diff} rows of {x} not in {y}"
    con.close()


def _rounded(v: Any) -> Any:
    # A relative tolerance, not rounding to n digits: a value on a rounding boundary flips with its last bit.
    if isinstance(v, float):
        return pytest.approx(v, rel=1e-9)
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_rounded(x) for x in v]
    return v


def test_tools_give_identical_results(round_trip: tuple[Path, Path]) -> None:
    from assistant.capabilities import load_all

    original, imported = round_trip
    ca = duckdb.connect(str(original), read_only=True)
    cb = duckdb.connect(str(imported), read_only=True)
    compared = 0
    for name, spec in sorted(load_all().items()):
        try:
            ra = spec.run(ca, {})
        except Exception:  # a tool that needs arguments is not part of this comparison
            continue
        rb = spec.run(cb, {})
        # Same tables; float sums may differ in the last bits with the order parallel threads add them.
        assert _rounded([ra.figures, ra.rows]) == [rb.figures, rb.rows], name
        compared += 1
    ca.close()
    cb.close()
    assert compared >= 3


def test_import_builds_fresh_order_totals_identical_to_the_originals(round_trip: tuple[Path, Path]) -> None:
    from assistant.warehouse import derived

    original, imported = round_trip
    cb = duckdb.connect(str(imported), read_only=True)
    assert derived.state(cb) == "fresh"
    cb.close()
    con = duckdb.connect()
    con.execute(f"ATTACH '{original}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{imported}' AS b (READ_ONLY)")
    for x, y in (("a", "b"), ("b", "a")):
        assert (
            con.execute(f"SELECT count(*) FROM (FROM {x}.order_totals EXCEPT ALL FROM {y}.order_totals)").fetchone()[0]
            == 0
        )
    con.close()


def test_importing_into_a_warehouse_refreshes_its_totals(sample_db: Path, tmp_path: Path) -> None:
    import shutil

    from assistant.warehouse import derived

    db = tmp_path / "wh.duckdb"
    shutil.copy(sample_db, db)
    con = duckdb.connect(str(db), read_only=True)
    order_id, line_no, product_id = con.execute(
        "SELECT order_id, max(line_no) + 1, min(product_id) FROM order_items GROUP BY order_id ORDER BY order_id LIMIT 1"
    ).fetchone()
    con.close()
    f = tmp_path / "order_items.csv"
    f.write_text(
        f"order_id,line_no,product_id,quantity,unit_price,discount,amount\n{order_id},{line_no},{product_id},1,10.00,0,10.00\n",
        encoding="utf-8",
    )
    report = import_files([f], db=db)
    assert report.rows_rejected == 0
    con = duckdb.connect(str(db), read_only=True)
    assert derived.state(con) == "fresh"
    got = con.execute("SELECT revenue FROM order_totals WHERE order_id = ?", [order_id]).fetchone()[0]
    want = con.execute("SELECT sum(amount) FROM order_items WHERE order_id = ?", [order_id]).fetchone()[0]
    assert got == want
    con.close()
