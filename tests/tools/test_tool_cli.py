"""``python -m assistant tool``: run, list, and clear bilingual errors; driven through typer's CliRunner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from assistant.capabilities import load_all
from assistant.cli import app, main
from assistant.commands.tool import describe_tools, parse_arguments, render_table
from assistant.core.errors import InputError, WarehouseError
from assistant.warehouse.db import create_tables

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Two customers: A bought twice (2025-06-01 300, 2025-06-30 100), B once (2025-01-01 50)."""
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    create_tables(con)
    con.execute(
        """INSERT INTO customers VALUES
        ('A', '甲公司', '华东', '上海', '制造', '中型', '线上', '2024-01-01', NULL, NULL),
        ('B', '乙公司', '华北', '北京', '零售', '小型', '门店', '2024-01-01', NULL, NULL)"""
    )
    con.execute("INSERT INTO products VALUES ('P', 'p', '办公', 1, 0.5, NULL)")
    for oid, cid, day, amount in (
        ("O1", "A", "2025-06-01", 300),
        ("O2", "A", "2025-06-30", 100),
        ("O3", "B", "2025-01-01", 50),
    ):
        con.execute("INSERT INTO orders VALUES (?, ?, ?, '线上', 'completed', NULL)", [oid, cid, day])
        con.execute("INSERT INTO order_items VALUES (?, 1, 'P', 1, ?, 0, ?)", [oid, amount, amount])
    con.close()
    return path


def test_run_json(db: Path) -> None:
    res = runner.invoke(app, ["tool", "rfm", "--args", '{"by": "customer"}', "--json", "--db", str(db)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out) >= {"tool", "arguments", "as_of", "figures", "columns", "rows", "definitions", "sql", "chart"}
    assert out["tool"] == "rfm" and out["as_of"] == "2025-06-30"  # defaults to the last order date
    rows = {r[0]: dict(zip(out["columns"], r, strict=True)) for r in out["rows"]}
    # A: R 0, F 2, M 400; B: R 180 (2025-01-01 -> 2025-06-30), F 1, M 50
    assert (rows["A"]["recency_days"], rows["A"]["frequency"], rows["A"]["monetary"]) == (0, 2, 400.0)
    assert (rows["B"]["recency_days"], rows["B"]["frequency"], rows["B"]["monetary"]) == (180, 1, 50.0)
    assert out["sql"] and out["definitions"]


def test_run_env_db_and_table_output(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_DB", str(db))
    res = runner.invoke(app, ["tool", "tiers", "--args", '{"as_of": "2025-06-30"}'])
    assert res.exit_code == 0, res.output
    assert "战略客户" in res.output and "Strategic" in res.output and "as_of 2025-06-30" in res.output
    res = runner.invoke(
        app, ["tool", "customer_types", "--args", '{"region": "华北", "as_of": "2025-06-30"}', "--json"]
    )
    out = json.loads(res.output)
    assert out["figures"]["customers"] == 1 and out["arguments"]["region"] == ["华北"]


def test_list() -> None:
    res = runner.invoke(app, ["tool", "--list"])
    assert res.exit_code == 0, res.output
    for name in ("rfm", "customer_types", "tiers"):
        assert f"\n{name}\n" in f"\n{res.output}"
    assert "threshold" in res.output and "mean" in res.output and "参考日期" in res.output
    res = runner.invoke(app, ["tool", "--list", "--json"])
    tools = {t["name"]: t for t in json.loads(res.output)}
    assert set(tools) == set(load_all())
    params = {p["name"]: p for p in tools["rfm"]["parameters"]}
    assert params["scheme"]["default"] == "rfm8" and '"rf11"' in params["scheme"]["type"]
    assert params["region"]["type"] == "list[string]" and params["as_of"]["type"] == "date"
    # every parameter of every tool is described in both languages (a slash separates them by convention)
    for t in describe_tools():
        for p in t["parameters"]:
            assert p["description"], (t["name"], p["name"])


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ('{"scheme": "rfm9"}', "scheme"),
        ('{"threshold": "fixed"}', "r_threshold"),
        ('{"as_of": "not a date"}', "as_of"),
        ('{"limit": 0}', "limit"),
        ('{"bogus": 1}', "bogus"),
    ],
)
def test_bad_parameters_name_the_field(db: Path, args: str, field: str) -> None:
    res = runner.invoke(app, ["tool", "rfm", "--args", args, "--db", str(db)])
    assert res.exit_code != 0
    assert isinstance(res.exception, InputError)
    assert field in res.exception.en and field in res.exception.zh


@pytest.mark.parametrize("args", ["{as_of: 1}", "[1, 2]", '"x"'])
def test_bad_json(db: Path, args: str) -> None:
    res = runner.invoke(app, ["tool", "rfm", "--args", args, "--db", str(db)])
    assert isinstance(res.exception, InputError)
    assert "JSON" in res.exception.en and "JSON" in res.exception.zh


def test_unknown_tool_and_missing_name(db: Path) -> None:
    res = runner.invoke(app, ["tool", "nope", "--db", str(db)])
    assert isinstance(res.exception, InputError) and "rfm" in res.exception.en and "没有名为 nope" in res.exception.zh
    res = runner.invoke(app, ["tool"])
    assert isinstance(res.exception, InputError) and "--list" in res.exception.en


def test_missing_warehouse(tmp_path: Path) -> None:
    res = runner.invoke(app, ["tool", "rfm", "--db", str(tmp_path / "none.duckdb")])
    assert isinstance(res.exception, WarehouseError)


def test_main_prints_both_languages(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["assistant", "tool", "rfm", "--args", '{"scheme": 1}', "--db", str(db)])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "错误: 工具 rfm 的参数有误" in err and "Error: Invalid arguments for tool rfm" in err and "scheme" in err


def test_parse_arguments_accepts_dicts_and_empty() -> None:
    spec = load_all()["rfm"]
    assert parse_arguments(spec, None).by == "segment"  # type: ignore[attr-defined]
    assert parse_arguments(spec, {"region": "华东"}).region == ["华东"]  # type: ignore[attr-defined]


def test_render_table_aligns_cjk() -> None:
    lines = render_table(["类别", "n"], [["重要价值", 1], ["ab", 22]])
    # "重要价值" is 8 terminal columns wide: "ab" is padded with 6 spaces, then the 2-space gap
    assert lines[2:] == ["重要价值  1", "ab        22"]
    assert lines[1] == "--------  --"


@pytest.mark.parametrize(
    ("tool", "args", "field", "hint"),
    [
        ("rfm", {"threshold": "average"}, "threshold", "mean"),  # unknown option: the message lists the valid ones
        ("rfm", {"m_threshold": -5}, "m_threshold", "0"),
        ("customer_types", {"loyal_min_f_score": 9}, "loyal_min_f_score", "5"),
        ("customer_types", {"by": "region"}, "by", "customer"),
        ("tiers", {"strategic_share": 1.5}, "strategic_share", "1"),
        ("tiers", {"view": "gini"}, "view", "pareto"),
        ("tiers", {"abc_a_share": 0.95}, "abc_a_share", "abc_b_share"),
    ],
)
def test_bad_thresholds_and_options_say_what_to_fix(tool: str, args: dict[str, object], field: str, hint: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_arguments(load_all()[tool], args)
    assert field in exc.value.en and field in exc.value.zh and hint in exc.value.en


@pytest.mark.parametrize(
    ("tool", "args", "zh", "en"),
    [
        (
            "rfm",
            '{"regoin": "华东"}',
            "未知参数 `regoin`(是不是 `region`?)",
            "unknown parameter `regoin` (did you mean `region`?)",
        ),
        (
            "satisfaction",
            '{"as_of": "2025-13-01"}',
            '参数 `as_of` 收到 "2025-13-01"',
            'parameter `as_of` got "2025-13-01"',
        ),
        ("cross_sell", '{"limit": 1000000000000000000000000000000}', "超出范围", "out of range"),
    ],
)
def test_main_bad_arguments_exit_2_in_both_languages(
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tool: str,
    args: str,
    zh: str,
    en: str,
) -> None:
    monkeypatch.setattr(sys, "argv", ["assistant", "tool", tool, "--args", args, "--db", str(db)])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"错误: 工具 {tool} 的参数有误:" in err and f"Error: Invalid arguments for tool {tool}: " in err
    assert zh in err and en in err


def test_python_m_assistant_bad_argument_exit_2(tmp_path: Path) -> None:
    # The real entry point; the arguments are checked before the warehouse is opened, so none is needed.
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "tool", "rfm", "--args", '{"limit": "many"}', "--db", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert '错误: 工具 rfm 的参数有误:参数 `limit` 收到 "many",应为整数' in proc.stderr
    assert (
        'Error: Invalid arguments for tool rfm: parameter `limit` got "many": Input should be a valid integer'
        in proc.stderr
    )
    assert "Traceback" not in proc.stderr
