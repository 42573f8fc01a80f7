"""`python -m assistant data import`: the report on success, one-language errors with --lang, exit code 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from assistant.cli import app
from tests.importer.helpers import customers_csv, rows, write

runner = CliRunner()


def test_import_prints_mapping_and_counts(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    f = customers_csv(tmp_path / "customers.csv")
    res = runner.invoke(app, ["data", "import", str(f), "--db", str(db), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "customers.csv → customers [utf-8, ',']" in res.output
    assert "mapping: customer_id → customer_id" in res.output
    assert "customers                  3           3         0" in res.output
    assert rows(db, "SELECT count(*) FROM customers") == [(3,)]


def test_map_option_and_error_in_one_language(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    f = write(tmp_path / "x.csv", "会员号,客户名称,签约日期\nM1,甲,2024-01-01\n")
    res = runner.invoke(
        app, ["data", "import", str(f), "--db", str(db), "--table", "customers", "--map", "会员号=customer_id"]
    )
    assert res.exit_code == 0, res.output
    assert "会员号 → customer_id" in res.output
    assert rows(db, "SELECT customer_id, region FROM customers") == [("M1", "未知")]
    res = runner.invoke(app, ["data", "import", str(f), "--db", str(db), "--map", "会员号", "--lang", "zh"])
    assert res.exit_code == 2
    assert "错误: --map 会员号:格式应为 源列=目标列" in res.output
    res = runner.invoke(app, ["data", "import", str(tmp_path / "nope.csv"), "--db", str(db), "--lang", "en"])
    assert res.exit_code == 2
    assert "Error: nope.csv: file not found." in res.output
