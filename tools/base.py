"""What every analysis tool shares: common filters, the result type, the registry.

A tool is a pure function ``fn(con, args) -> ToolResult``: a DuckDB connection
and a pydantic parameter model in, a typed result out. No clock (the reference
date ``as_of`` is a parameter and defaults to the last order date in the data),
no I/O beyond the connection, no LLM.

Filters compile to SQL fragments with named parameters (``$name``); user values
never go into the SQL text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.core.errors import InputError
from assistant.core.jsonable import to_jsonable
from assistant.warehouse import derived
from assistant.warehouse.duckdb_engine import as_engine
from assistant.warehouse.engine import Engine
from assistant.warehouse.schema import REFERENCE_TABLE

# What a tool runs on: a DuckDB connection (wrapped as the default engine) or any other Engine (Spark).
Con = duckdb.DuckDBPyConnection | Engine

ChartKind = Literal["bar", "line", "pie", "scatter", "heatmap", "area", "table"]


def _as_list(v: object) -> object:
    # Accept "华东" as well as ["华东"]: people and LLMs both send either.
    if v is None or isinstance(v, list):
        return v
    if isinstance(v, (tuple, set)):
        return list(v)
    return [v]


class CommonFilters(BaseModel):
    """Filters every tool accepts. 所有工具通用的筛选条件。"""

    model_config = ConfigDict(extra="forbid")

    as_of: dt.date | None = Field(
        None, description="参考日期(默认为数据中最后一个订单日期) / reference date; defaults to the last order date"
    )
    start: dt.date | None = Field(None, description="期间开始日期(含) / period start, inclusive")
    end: dt.date | None = Field(
        None, description="期间结束日期(含,默认 as_of) / period end, inclusive; defaults to as_of"
    )
    region: list[str] | None = Field(None, description="大区,如 华东 / regions, e.g. 华东")
    city: list[str] | None = Field(None, description="城市 / cities")
    industry: list[str] | None = Field(None, description="行业 / industries")
    size: list[str] | None = Field(None, description="客户规模 / customer sizes")
    acquisition_channel: list[str] | None = Field(
        None, description="获客渠道(客户从哪里来) / acquisition channels: where customers came from"
    )
    rep_id: list[str] | None = Field(None, description="负责销售编号 / assigned sales rep ids")
    category: list[str] | None = Field(None, description="产品类别 / product categories")
    channel: list[str] | None = Field(None, description="销售渠道 / order channels")
    customer_ids: list[str] | None = Field(None, description="客户编号列表 / customer ids")

    _norm = field_validator(
        "region",
        "city",
        "industry",
        "size",
        "acquisition_channel",
        "rep_id",
        "category",
        "channel",
        "customer_ids",
        mode="before",
    )(_as_list)


@dataclass(frozen=True)
class Scope:
    """Resolved filters: concrete dates and the SQL/params that apply them."""

    as_of: dt.date
    start: dt.date | None
    end: dt.date
    params: dict[str, Any]
    customer_where: str  # over alias c (customers)
    line_where: str  # over alias l (the f_lines CTE below)

    def orders_cte(self) -> str:
        """``f_orders``: completed orders in scope, one row per order (order_id, customer_id, order_date).

        Read from ``orders`` directly (a few times fewer rows than order lines) unless a category
        filter needs the lines; the same filters as ``f_lines`` otherwise. Goes after ``ctes()``.
        """
        if "f_category" in self.params:
            return "f_orders AS (SELECT DISTINCT order_id, customer_id, order_date FROM f_lines WHERE status = 'completed')"
        return f"f_orders AS (SELECT o.order_id, o.customer_id, o.order_date FROM orders o WHERE {self._order_where()})"

    def _order_where(self) -> str:
        """The scope's conditions on completed orders (alias o): customers, period and channel."""
        conds = ["o.status = 'completed'", "o.order_date <= $f_end"]
        if self.customer_where != "TRUE":  # as in ctes(): without customer filters every order is in scope
            conds.append("o.customer_id IN (SELECT customer_id FROM f_customers)")
        if self.start:
            conds.append("o.order_date >= $f_start")
        if "f_channel" in self.params:
            conds.append("list_contains($f_channel, o.channel)")
        return " AND ".join(conds)

    def order_values_cte(self, con: Con, days: bool = False) -> str:
        """``f_order_values``: completed orders in scope, one row per order, with their value.

        Columns: order_id, customer_id, order_date, revenue (Σ amount) and margin (Σ amount − quantity ×
        unit_cost; a product without cost counts as cost 0), exact DECIMAL sums, and lines_without_cost. With
        ``days``, also day_first (the first order, by order_id, of its customer and day among the orders in scope)
        and day_revenue (their revenue together). Read from the derived ``order_totals`` table when it matches its
        sources (assistant.warehouse.derived), else summed from the lines; the same figures either way. The stored
        purchase days span all of a day's completed orders, so a channel filter (which splits days) computes them
        here. With a category filter only the lines of those categories count and orders without such lines drop
        out, as with ``f_lines``. Goes after ``ctes()`` (it reads ``f_customers``).
        """
        cols = "o.order_id, o.customer_id, o.order_date, o.revenue, o.margin, o.lines_without_cost"
        totals = "f_category" not in self.params and as_engine(con).derived_fresh(derived.ORDER_TOTALS)
        if totals and not (days and "f_channel" in self.params):
            day_cols = ", o.day_first, o.day_revenue" if days else ""
            return f"""f_order_values AS (
    SELECT {cols}{day_cols}
    FROM {derived.ORDER_TOTALS} o
    WHERE {self._order_where()}
)"""
        if totals:
            rows = f"SELECT {cols} FROM {derived.ORDER_TOTALS} o WHERE {self._order_where()}"
        else:
            category = "WHERE list_contains($f_category, p.category)" if "f_category" in self.params else ""
            rows = f"""SELECT o.order_id, o.customer_id, o.order_date, v.revenue, v.margin, v.lines_without_cost
        FROM orders o
        JOIN (
        {derived.order_values_sql(category)}
        ) v ON v.order_id = o.order_id
        WHERE {self._order_where()}"""
        if not days:
            return f"f_order_values AS (\n    {rows}\n)"
        return f"""f_order_values AS (
    SELECT r.*,
           row_number() OVER (PARTITION BY customer_id, order_date ORDER BY order_id) = 1 AS day_first,
           sum(revenue) OVER (PARTITION BY customer_id, order_date) AS day_revenue
    FROM (
        {rows}
    ) r
)"""

    def ctes(self, products: bool = True) -> str:
        """``f_customers`` (customers in scope) and ``f_lines`` (their order lines in the period, all statuses).

        f_lines columns: order_id, customer_id, order_date, channel, status, order_rep_id,
        line_no, product_id, category, quantity, unit_price, discount, amount, unit_cost.

        ``products=False`` leaves out the join to products (and so the columns category and unit_cost) for a
        tool that reads neither: probing 10M lines against products costs ~15 % of a revenue query. A category
        filter still joins them, since it is applied on the lines.
        """
        # Without customer filters every order is in scope: skipping the semi-join saves a scan at 10M
        # lines (orders always belong to known customers: the importer checks that foreign key).
        customer_join = (
            "" if self.customer_where == "TRUE" else "WHERE o.customer_id IN (SELECT customer_id FROM f_customers)"
        )
        if products or "l.category" in self.line_where:
            product_cols = "p.category, oi.quantity, oi.unit_price, oi.discount, oi.amount,\n               p.unit_cost"
            product_join = "LEFT JOIN products p ON p.product_id = oi.product_id"
        else:
            product_cols = "oi.quantity, oi.unit_price, oi.discount, oi.amount"
            product_join = ""
        return f"""f_customers AS (
    SELECT c.* FROM customers c WHERE {self.customer_where}
),
f_lines AS (
    SELECT * FROM (
        SELECT o.order_id, o.customer_id, o.order_date, o.channel, o.status, o.rep_id AS order_rep_id,
               oi.line_no, oi.product_id, {product_cols}
        FROM orders o
        JOIN order_items oi ON oi.order_id = o.order_id
        {product_join}
        {customer_join}
    ) l
    WHERE {self.line_where}
)"""


def last_order_date(con: Con) -> dt.date:
    """The default reference date: the last order date of the whole warehouse.

    A salesperson's scoped database (assistant.warehouse.access) holds only their customers' orders; it
    carries the warehouse's date in REFERENCE_TABLE so "this year" means the same for everyone.
    """
    engine = as_engine(con)
    if REFERENCE_TABLE in engine.tables():  # a scoped copy has it, the warehouse does not
        _, rows = engine.rows(f"SELECT as_of FROM {REFERENCE_TABLE}")
        if rows and rows[0][0] is not None:
            return rows[0][0]
    _, rows = engine.rows("SELECT max(order_date) FROM orders")
    row = rows[0] if rows else None
    if row is None or row[0] is None:
        raise InputError(
            "数据仓库中没有订单,无法确定参考日期;请先导入订单或指定 as_of。",
            "The warehouse has no orders, so there is no default reference date; import orders or pass as_of.",
        )
    return row[0]


def resolve_scope(con: Con, f: CommonFilters) -> Scope:
    """Turn filters into concrete dates and parameterised WHERE clauses."""
    as_of = f.as_of or last_order_date(con)
    end = f.end or as_of
    if f.start and f.start > end:
        raise InputError(
            f"开始日期 {f.start} 晚于结束日期 {end},请调整期间。",
            f"Start date {f.start} is after end date {end}; fix the period.",
        )
    params: dict[str, Any] = {}
    cw: list[str] = ["TRUE"]
    for field_name, column in (
        ("region", "c.region"),
        ("city", "c.city"),
        ("industry", "c.industry"),
        ("size", "c.size"),
        ("acquisition_channel", "c.acquisition_channel"),
        ("rep_id", "c.rep_id"),
        ("customer_ids", "c.customer_id"),
    ):
        values = getattr(f, field_name)
        if values:
            params[f"f_{field_name}"] = [str(v) for v in values]
            cw.append(f"list_contains(${'f_' + field_name}, {column})")
    lw: list[str] = ["l.order_date <= $f_end"]
    params["f_end"] = end
    if f.start:
        params["f_start"] = f.start
        lw.append("l.order_date >= $f_start")
    for field_name, column in (("category", "l.category"), ("channel", "l.channel")):
        values = getattr(f, field_name)
        if values:
            params[f"f_{field_name}"] = [str(v) for v in values]
            lw.append(f"list_contains(${'f_' + field_name}, {column})")
    return Scope(as_of, f.start, end, params, " AND ".join(cw), " AND ".join(lw))


class Chart(BaseModel):
    """A chart suggestion the UI can draw with plotly."""

    kind: ChartKind
    x: str
    y: str | list[str]
    color: str | None = None
    title_zh: str = ""
    title_en: str = ""


class Definition(BaseModel):
    name: str
    zh: str
    en: str
    value: Any = None  # threshold, weight or formula actually used


class ToolResult(BaseModel):
    """What every tool returns; ``to_json`` gives the CLI/API shape.

    ``tool`` and ``arguments`` are filled in by the registry (``register``): the tool's name and its validated
    arguments, unless the tool sets them itself.
    """

    tool: str = ""
    arguments: dict[str, Any] = Field(default_factory=dict)
    as_of: dt.date | None
    figures: dict[str, Any] = Field(default_factory=dict)
    columns: list[str] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)
    definitions: list[Definition] = Field(default_factory=list)
    sql: list[str] = Field(default_factory=list)
    chart: Chart | None = None
    notes: list[str] = Field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]

    def to_json(self) -> dict[str, Any]:
        d = self.model_dump(mode="python")
        return to_jsonable(d)


def used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Only the parameters the statement names: DuckDB rejects extra ones, and tools share one params dict.

    >>> used_params("SELECT $a", {"a": 1, "b": 2})
    {'a': 1}
    """
    names = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in params.items() if k in names}


def one_of(name: str, allowed: tuple[str, ...] | list[str], *, listify: bool = False) -> Any:
    """A pydantic 'before' validator: the value (or each value of a list) must be one of ``allowed``.

    The error is an InputError in both languages naming the field and the choices; ``listify``
    turns a single value into a one-element list.
    """

    def check(cls: type, v: object) -> object:
        for x in v if isinstance(v, list) else [v]:
            if x is not None and x not in allowed:
                raise InputError(
                    f"{name} 只能是 {'、'.join(allowed)} 之一,收到 {x!r}。",
                    f"{name} must be one of {', '.join(allowed)}; got {x!r}.",
                )
        return [v] if listify and isinstance(v, str) else v

    return field_validator(name, mode="before")(classmethod(check))


def at_least(name: str, minimum: int) -> Any:
    """A pydantic validator: an integer field must be at least ``minimum`` (InputError in both languages)."""

    def check(cls: type, v: int) -> int:
        if v is not None and v < minimum:
            raise InputError(f"{name} 必须至少为 {minimum},收到 {v}。", f"{name} must be at least {minimum}, got {v}.")
        return v

    return field_validator(name)(classmethod(check))


# DuckDB binds Python integers as BIGINT: a larger one (a "huge limit") fails inside the query, not as bad input.
INT64_MAX = 2**63 - 1

# Chinese for pydantic's error types; pydantic's own English message is kept for en. Others fall back to it.
_EXPECTED_ZH: dict[str, str] = {
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数(不能有小数)",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文本(字符串)",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "date_type": "应为有效日期(YYYY-MM-DD)",
    "date_parsing": "应为有效日期(YYYY-MM-DD)",
    "date_from_datetime_parsing": "应为有效日期(YYYY-MM-DD)",
    "date_from_datetime_inexact": "应为日期,不带时间(YYYY-MM-DD)",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于或等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于或等于 {le}",
    "too_short": "至少要有 {min_length} 项",
    "too_long": "至多 {max_length} 项",
    "finite_number": "应为有限的数字",
}


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _problem(err: Mapping[str, Any], fields: list[str]) -> tuple[str, str, str]:
    """One pydantic error as (field, zh, en): the field, the value received and what is expected."""
    loc = list(err.get("loc", ()))
    where = str(loc[0]) + "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in loc[1:]) if loc else ""
    kind, msg, ctx = str(err.get("type", "")), str(err.get("msg", "")), dict(err.get("ctx") or {})
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(where, fields, n=1, cutoff=0.6)
        if close:
            return (
                where,
                f"未知参数 `{where}`(是不是 `{close[0]}`?)",
                f"unknown parameter `{where}` (did you mean `{close[0]}`?)",
            )
        names = ", ".join(fields)
        return where, f"未知参数 `{where}`(可用参数:{names})", f"unknown parameter `{where}` (valid: {names})"
    if kind == "missing":
        return where, f"缺少必填参数 `{where}`", f"missing required parameter `{where}`"
    if kind in ("value_error", "assertion_error"):
        # Our validators' own words (one language or both); pydantic prefixes "Value error, ".
        text = str(ctx.get("error") or msg.split(", ", 1)[-1])
        if not where:
            return "", text, text
        return (
            where,
            f"参数 `{where}` 收到 {_shown(err.get('input'))}:{text}",
            f"parameter `{where}` got {_shown(err.get('input'))}: {text}",
        )
    if kind == "literal_error":
        expected_zh = "应为 " + str(ctx.get("expected", "")).replace(" or ", "、").replace(", ", "、") + " 之一"
    else:
        expected_zh = _EXPECTED_ZH[kind].format(**ctx) if kind in _EXPECTED_ZH else msg
    got = _shown(err.get("input"))
    return where, f"参数 `{where}` 收到 {got},{expected_zh}", f"parameter `{where}` got {got}: {msg}"


def validate_arguments(model: type[BaseModel], arguments: Mapping[str, Any] | BaseModel, tool: str = "") -> BaseModel:
    """``arguments`` as ``model``, or one bilingual InputError naming each bad field, the value sent and what is expected.

    The single translation of pydantic's ValidationError for every caller (CLI, router, LLM agent, reports).
    Our validators (one_of, at_least, model checks) raise InputError themselves; it passes through unchanged.
    Unknown names are refused (CommonFilters forbids extra fields); the message suggests the closest valid one.
    """
    head_zh = f"工具 {tool} 的参数有误:" if tool else "参数有误:"
    head_en = f"Invalid arguments for tool {tool}: " if tool else "Invalid arguments: "
    if isinstance(arguments, model):
        args = arguments
    else:
        data = arguments.model_dump(exclude_unset=True) if isinstance(arguments, BaseModel) else arguments
        try:
            args = model.model_validate(data)
        except ValidationError as exc:
            fields = list(model.model_fields)
            problems = [_problem(e, fields) for e in exc.errors()]
        else:
            problems = []
        # Raised outside the except block and not chained: a validator's ValueError kept inside the
        # ValidationError references this frame (and the caller's connection) in a cycle the GC cannot free.
        if problems:
            raise InputError(
                head_zh + ";".join(p[1] for p in problems),
                head_en + "; ".join(p[2] for p in problems),
                fields=[p[0] for p in problems],
            )
    for name in type(args).model_fields:
        v = getattr(args, name)
        if isinstance(v, int) and not isinstance(v, bool) and not -INT64_MAX - 1 <= v <= INT64_MAX:
            raise InputError(
                f"{head_zh}参数 `{name}` 收到 {v},超出范围:应在 {-INT64_MAX - 1} 到 {INT64_MAX} 之间",
                f"{head_en}parameter `{name}` got {v}, out of range: must be between {-INT64_MAX - 1} and {INT64_MAX}",
                fields=[name],
            )
    return args


class Trace:
    """Runs queries through the engine and remembers the SQL, so the answer can show how it was computed.

    The SQL remembered is the authoring (DuckDB) text whatever the engine: the same answer on every engine.
    """

    def __init__(self, con: Con) -> None:
        self.con = con
        self.engine = as_engine(con)
        self.sql: list[str] = []

    def query(self, sql: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[list[Any]]]:
        self.sql.append(sql.strip())
        return self.engine.rows(sql, used_params(sql, params or {}))

    def columns(self, sql: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Each column as a NumPy array, for the tools that compute per customer in Python."""
        self.sql.append(sql.strip())
        return self.engine.numpy(sql, used_params(sql, params or {}))

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        _, rows = self.query(sql, params)
        return rows[0][0] if rows else None


Needs = Literal["warehouse", "knowledge"]


@dataclass(frozen=True)
class ToolSpec:
    """One capability the router, the LLM and the CLI can call: name, bilingual description, argument model, function.

    ``needs`` says what ``fn`` takes first: the warehouse connection (the analysis tools) or the knowledge base
    (document search). ``module`` is where it was registered, so each package can list its own.
    """

    name: str
    zh: str
    en: str
    args_model: type[BaseModel]
    fn: Callable[[Any, Any], ToolResult]
    examples: tuple[str, ...] = field(default=())
    needs: Needs = "warehouse"
    module: str = ""

    def validate(self, arguments: Mapping[str, Any] | BaseModel) -> BaseModel:
        """The arguments as this tool's model; any invalid one is an InputError naming it (see validate_arguments)."""
        return validate_arguments(self.args_model, arguments, self.name)

    def run(self, source: Any, arguments: Mapping[str, Any] | BaseModel) -> ToolResult:
        """Validate ``arguments`` and run on ``source`` (a connection, or the knowledge base when ``needs`` says so)."""
        return self.fn(source, self.validate(arguments))


REGISTRY: dict[str, ToolSpec] = {}


def register(
    name: str,
    zh: str,
    en: str,
    args_model: type[BaseModel],
    examples: tuple[str, ...] = (),
    *,
    needs: Needs = "warehouse",
) -> Callable[[Callable[[Any, Any], ToolResult]], Callable[[Any, Any], ToolResult]]:
    """Decorator: add a tool to the one registry the CLI, router and LLM read.

    The decorated function returns its result with ``tool`` set to ``name`` and ``arguments`` to the validated
    arguments (JSON values, no None), unless it set them itself.
    """

    def deco(fn: Callable[[Any, Any], ToolResult]) -> Callable[[Any, Any], ToolResult]:
        if name in REGISTRY:
            raise ValueError(f"tool {name!r} registered twice")

        @functools.wraps(fn)
        def named(source: Any, args: Any) -> ToolResult:
            result = fn(source, args)
            update: dict[str, Any] = {}
            if not result.tool:
                update["tool"] = name
            if "arguments" not in result.model_fields_set and isinstance(args, BaseModel):
                update["arguments"] = args.model_dump(mode="json", exclude_none=True)
            return result.model_copy(update=update) if update else result

        REGISTRY[name] = ToolSpec(name, zh, en, args_model, named, examples, needs, fn.__module__)
        return named

    return deco
