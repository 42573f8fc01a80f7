"""Hostile arguments: ToolSpec.run turns every bad one into one bilingual InputError that names the field."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from assistant.capabilities import load_all
from assistant.core.errors import InputError
from tools.base import INT64_MAX, validate_arguments
from tools.rfm import RfmArgs

TOOLS = load_all()


def _error(con: duckdb.DuckDBPyConnection, tool: str, args: dict[str, Any]) -> InputError:
    with pytest.raises(InputError) as exc:
        TOOLS[tool].run(con, args)
    return exc.value


@pytest.mark.parametrize(
    ("tool", "args", "field", "shown", "expect_en", "expect_zh"),
    [
        # wrong type
        ("rfm", {"limit": "many"}, "limit", '"many"', "valid integer", "应为整数"),
        ("customer_types", {"limit": 1.5}, "limit", "1.5", "integer", "应为整数"),
        ("satisfaction", {"share": "x"}, "share", '"x"', "valid number", "应为数字"),
        # out of range
        ("rfm", {"limit": 0}, "limit", "0", "greater than or equal to 1", "应大于或等于 1"),
        ("tiers", {"strategic_share": 1.5}, "strategic_share", "1.5", "less than 1", "应小于 1"),
        # unknown enum value
        ("rfm", {"scheme": "rfm9"}, "scheme", '"rfm9"', "'rfm8' or 'rf11'", "'rfm8'、'rf11' 之一"),
        ("tiers", {"view": "gini"}, "view", '"gini"', "'pareto'", "'tier'、'abc'、'pareto' 之一"),
        # misspelt argument name: refused (extra="forbid"), with the closest valid name
        ("rfm", {"regoin": "华东"}, "regoin", "`region`", "did you mean", "是不是"),
        ("satisfaction", {"dimensoin": "size"}, "dimensoin", "`dimension`", "did you mean", "是不是"),
        # bad date
        ("satisfaction", {"as_of": "2025-13-01"}, "as_of", '"2025-13-01"', "month value", "有效日期"),
        ("rfm", {"start": "2025-02-30"}, "start", '"2025-02-30"', "valid date", "有效日期"),
        # a list where a string is expected (and a dict where a list of strings is)
        ("rfm", {"by": ["customer"]}, "by", '["customer"]', "'segment' or 'customer'", "之一"),
        ("rfm", {"region": {"a": 1}}, "region[0]", '{"a": 1}', "valid string", "应为文本"),
        # a huge limit: a declared bound, or else the 64-bit bound DuckDB would fail on inside the query
        ("rfm", {"limit": 10**30}, "limit", str(10**30), "less than or equal to 1000000", "应小于或等于 1000000"),
        ("cross_sell", {"limit": 10**30}, "limit", str(10**30), f"and {INT64_MAX}", "超出范围"),
        ("satisfaction", {"limit": 2**63}, "limit", str(2**63), f"and {INT64_MAX}", "超出范围"),
        ("churn_retention", {"limit": 10**30}, "limit", str(10**30), "out of range", "超出范围"),
    ],
)
def test_hostile_input_names_field_value_and_expectation(
    empty_con: duckdb.DuckDBPyConnection,
    tool: str,
    args: dict[str, Any],
    field: str,
    shown: str,
    expect_en: str,
    expect_zh: str,
) -> None:
    err = _error(empty_con, tool, args)
    for text in (err.en, err.zh):
        assert f"`{field}`" in text and shown in text, text
    assert expect_en in err.en and expect_zh in err.zh
    assert err.details["fields"] == [field]
    assert err.zh != err.en


def test_every_bad_field_is_named_once(empty_con: duckdb.DuckDBPyConnection) -> None:
    err = _error(empty_con, "rfm", {"as_of": "2025-13-01", "limit": "x", "bogus": 1})
    assert err.details["fields"] == ["as_of", "limit", "bogus"]
    assert err.en.startswith("Invalid arguments for tool rfm: ") and err.zh.startswith("工具 rfm 的参数有误:")
    assert err.en.count("`as_of`") == 1 and err.zh.count("`limit`") == 1
    # nothing close to "bogus": the message lists the valid names instead of guessing
    assert "valid: as_of, start, end" in err.en and "可用参数:as_of, start, end" in err.zh


def test_our_validators_keep_their_own_words(empty_con: duckdb.DuckDBPyConnection) -> None:
    # one_of / at_least / model checks raise InputError themselves: passed through, not wrapped again
    err = _error(empty_con, "satisfaction", {"view": "pie"})
    assert err.en == "view must be one of summary, by, trend, extremes; got 'pie'."
    assert err.zh.startswith("view 只能是")
    err = _error(empty_con, "profitability", {"limit": 0})
    assert err.en == "limit must be at least 1, got 0."
    err = _error(empty_con, "tiers", {"abc_a_share": 0.95})
    assert "abc_a_share" in err.en and "Invalid arguments" not in err.en


def test_plain_value_errors_keep_their_text(empty_con: duckdb.DuckDBPyConnection) -> None:
    # a model-level ValueError (no field in loc) is shown as written, without pydantic's "Value error, " prefix
    err = _error(empty_con, "customer_profile", {})
    assert "customer_ids is required" in err.en and "customer_ids" in err.zh and "Value error" not in err.en
    err = _error(empty_con, "rfm_walkthrough", {"customer_ids": ["a", "b"]})
    assert "exactly one" in err.en and "一位客户" in err.zh and "客户" not in err.en  # each in its own language


def test_models_pass_through_and_dicts_validate() -> None:
    spec = TOOLS["rfm"]
    args = RfmArgs(by="customer")
    assert spec.validate(args) is args
    assert spec.validate({"region": "华东"}).region == ["华东"]  # type: ignore[attr-defined]
    # a model of another type is revalidated against this tool's model
    other = TOOLS["tiers"].args_model(region=["华北"])
    assert spec.validate(other).region == ["华北"]  # type: ignore[attr-defined]
    # an already-built model with an out-of-range integer is still refused (it would fail inside DuckDB)
    with pytest.raises(InputError, match="limit"):
        spec.validate(RfmArgs.model_construct(limit=2**64))


def test_without_tool_name() -> None:
    with pytest.raises(InputError) as exc:
        validate_arguments(RfmArgs, {"limit": -1})
    assert exc.value.en.startswith("Invalid arguments: parameter `limit` got -1")
    assert exc.value.zh.startswith("参数有误:参数 `limit` 收到 -1")


def test_every_tool_refuses_unknown_names(empty_con: duckdb.DuckDBPyConnection) -> None:
    for name, spec in TOOLS.items():
        with pytest.raises(InputError, match="unknown parameter `nonsense_arg`"):
            spec.validate({"nonsense_arg": 1})
        assert spec.args_model.model_config.get("extra") == "forbid", name
