"""metric_query: the semantic layer. Metrics sliced by dimensions, with filters, top-N, having and comparisons.

Metrics, dimensions and the facts they sit on are data (``tools/tables/metrics.yaml``); a query spec
(``MetricQueryArgs``) compiles deterministically to one DuckDB statement built with sqlglot expressions.
Every user value (filters, having thresholds, dates) is a ``$param``; only names from the YAML table
reach the SQL text.

Compilation, for one period:

- ``scope_customers``: customers in the customer filters; ``scope_lines``: their order lines (all statuses)
  up to the period end, in the category/channel/product filters;
- one CTE per fact the metrics sit on (``f0``, ``f1``, …), each grouped by the dimensions, so metrics from
  different facts (orders, surveys, tickets…) never multiply each other's rows (no fan-out);
- ``keys``: the union of the dimension values over the facts; every fact is LEFT JOINed to it with
  ``IS NOT DISTINCT FROM`` (NULL dimension values match too); counts and sums of a fact with no rows
  in a group become 0.

A comparison (the previous period: the previous calendar unit for a calendar period, else equal length just
before; or the same period last year) compiles the same query for
the shifted period (its own CTEs and ``$p_start``/``$p_end``) and joins it on the dimensions.

Semantics (where the issue was silent):

- The period is ``start``..``end``; ``end`` defaults to ``as_of`` (the last order date), no ``start`` means all
  history. Snapshot metrics (active_customers, open_tickets, overdue_amount, unpaid_amount,
  days_since_last_order) are taken at the period end and cannot be sliced by a time dimension.
- Category, channel and product filters select order lines; on facts without lines (surveys, tickets, contacts,
  invoices) they keep the customers who bought in that category/channel/product in the period, as
  ``satisfaction`` does. Marketing spend is not per customer: it takes only its own acquisition channel as a
  filter; customer, category, channel and product filters are refused for it.
- ``figures["totals"]`` holds each metric over all groups (before top-N and having); for additive metrics it
  comes from the same statement, otherwise from a second one.

Dimensions that come from a per-customer table computed by another tool (RFM class, customer type, tier)
plug in with ``register_customer_dimension``: a function returning ``SELECT customer_id, value …`` SQL.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlglot
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlglot import exp

from assistant.core.errors import InputError
from assistant.core.periods import last_year_span, previous_span
from assistant.warehouse.duckdb_engine import as_engine
from tools.base import Chart, CommonFilters, Con, Definition, ToolResult, _as_list, last_order_date, register
from tools.tables import load

TABLE = load("metrics")
FACTS: dict[str, dict[str, Any]] = TABLE["facts"]
METRICS: dict[str, dict[str, Any]] = TABLE["metrics"]
DIMENSIONS: dict[str, dict[str, Any]] = TABLE["dimensions"]
THRESHOLDS: dict[str, dict[str, Any]] = TABLE["thresholds"]
# Metrics that are one metric over another, each on its own fact ("marketing spend per sign-up" by acquisition
# channel): computed group by group from their two parts, which the result shows beside them.
RATIOS: dict[str, tuple[str, str]] = {m: (md["ratio"][0], md["ratio"][1]) for m, md in METRICS.items() if "ratio" in md}


def with_parts(metrics: list[str]) -> list[str]:
    """``metrics`` with each ratio's two parts after it (once)."""
    out: list[str] = []
    for m in metrics:
        out += [m, *RATIOS.get(m, ())]
    return list(dict.fromkeys(out))


def base_metrics(metrics: list[str]) -> list[str]:
    """The metrics computed on facts: ratios replaced by their parts."""
    return [m for m in with_parts(metrics) if m not in RATIOS]


OPS: dict[str, type[exp.Binary]] = {
    ">": exp.GT,
    ">=": exp.GTE,
    "<": exp.LT,
    "<=": exp.LTE,
    "=": exp.EQ,
    "!=": exp.NEQ,
}
CUSTOMER_FILTERS = (
    "region",
    "city",
    "industry",
    "size",
    "acquisition_channel",
    "rep_id",
    "team",
    "cohort",
    "customer_ids",
)
# Filters on the order lines: the product's category, the order's channel, the product itself.
LINE_FILTERS = ("category", "channel", "product")
# Filters on a fact's own column, for the facts that have one (the department of tickets and contacts, the kind of
# tickets: complaint, inquiry, suggestion).
FACT_FILTERS = ("department", "ticket_kind", "issue_category", "contact_channel", "contact_purpose")
SCORE_FACTS = ("surveys",)  # the facts a survey score condition applies to
CUSTOMER_FILTER_COLUMNS = {
    "acquisition_channel": "acquisition_channel",
    "region": "region",
    "city": "city",
    "industry": "industry",
    "size": "size",
    "rep_id": "rep_id",
    "customer_ids": "customer_id",
}
# Customer filters that are not a column of customers: the rep's team ("销售二组的业绩") is the team of the
# customer's assigned rep.
CUSTOMER_FILTER_SQL = {"team": "c.rep_id IN (SELECT rep_id FROM sales_reps WHERE list_contains($f_team, team))"}
# "新客户贡献了多少销售额": the customers whose first completed order falls in the period (the new customers)
NEW_COHORT = (
    "c.customer_id IN (SELECT customer_id FROM orders WHERE status = 'completed' GROUP BY customer_id "
    "HAVING min(order_date) <= $f_end{start})"
)
DEFAULT_LIMIT = 1000
# A condition on a survey score ("推荐意愿打了0分", "CES 5 or more"): the score's column, a comparison, a number;
# "answered" keeps the responses that gave that score at all (the whole of a share of scores).
SCORE_COLUMNS = {"nps": "s.nps", "csat": "s.csat", "ces": "s.ces"}
SCORE_RE = re.compile(r"^(nps|csat|ces)(>=|<=|!=|=|>|<)(\d+(?:\.\d+)?)$|^(nps|csat|ces):answered$")
D = "duckdb"


def _p(sql: str) -> exp.Expression:
    """Parse a fragment of trusted SQL (from the YAML table or this module), DuckDB dialect."""
    return sqlglot.parse_one(sql, read="duckdb")


# ---------------------------------------------------------------------------------------------------------
# Derived per-customer dimensions (RFM class, customer type, tier…), registered by their tools.


@dataclass(frozen=True)
class CustomerDimension:
    """A dimension whose value comes from a per-customer relation ``SELECT customer_id, value …``.

    ``relation(args)`` returns trusted SQL (it may use the scope CTEs ``scope_customers``/``scope_lines`` and
    the parameters ``$f_start``/``$f_end``) and the extra parameters it needs.
    """

    id: str
    zh: str
    en: str
    relation: Callable[[MetricQueryArgs], tuple[str, dict[str, Any]]]
    synonyms_zh: tuple[str, ...] = ()
    synonyms_en: tuple[str, ...] = ()


DERIVED: dict[str, CustomerDimension] = {}


def register_customer_dimension(dim: CustomerDimension) -> None:
    if dim.id in DIMENSIONS or dim.id in DERIVED:
        raise ValueError(f"dimension {dim.id!r} defined twice")
    DERIVED[dim.id] = dim


def _all_dimensions() -> dict[str, dict[str, Any]]:
    out = dict(DIMENSIONS)
    for d in DERIVED.values():
        out[d.id] = {
            "zh": d.zh,
            "en": d.en,
            "synonyms": {"zh": list(d.synonyms_zh), "en": list(d.synonyms_en)},
            "sql": f"d_{d.id}.value",
            "needs": ["c"],
            "derived": True,
        }
    return out


# ---------------------------------------------------------------------------------------------------------
# The spec.


class Having(BaseModel):
    """指标条件,如 days_since_last_order > 90 / a condition on a metric, e.g. revenue >= 100000."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(..., description="指标编号 / metric id")
    op: Literal[">", ">=", "<", "<=", "=", "!="] = Field(..., description="比较符 / comparison")
    value: float = Field(..., description="阈值 / threshold")


class ShareOf(BaseModel):
    """整体:占比的分母 / the whole a part is a share of: its measure, and the filters only the part has."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(
        ..., description="整体的指标,如 customer_count(全部客户)、orders_placed(全部订单) / the whole's metric id"
    )
    drop: list[str] = Field(
        default_factory=list,
        description="只属于部分的筛选条件(整体不加),如 rep_id:我的客户占华东区的比例 / filters of the part only, "
        "left out of the whole (rep_id in 'my share of East China')",
    )


class MetricQueryArgs(CommonFilters):
    """指标查询参数 / metric query parameters."""

    _product = field_validator(
        "product",
        "department",
        "ticket_kind",
        "team",
        "survey_score",
        "contact_channel",
        "contact_purpose",
        "issue_category",
        "cohort",
        mode="before",
    )(_as_list)

    metrics: list[str] = Field(
        ..., min_length=1, description="指标编号,如 revenue、orders / metric ids, e.g. revenue, orders"
    )
    product: list[str] | None = Field(
        None, description="产品编号(只看这些产品的订单明细) / product ids: only the order lines of these products"
    )
    department: list[str] | None = Field(
        None,
        description="部门(只看这些部门处理的工单、这些部门的客户接触) / departments: only the tickets and contacts "
        "handled by them",
    )
    ticket_kind: list[str] | None = Field(
        None,
        description="工单类型 complaint/inquiry/suggestion(只看这些类型的工单) / ticket kinds: only these tickets",
    )
    team: list[str] | None = Field(
        None, description="销售团队(这些团队的销售负责的客户) / sales teams: the customers their reps are assigned"
    )
    cohort: list[Literal["new"]] | None = Field(
        None,
        description="客户群:new = 首笔成交落在期间内的新客户 / customer cohort: new = customers whose first completed "
        "order falls in the period",
    )
    contact_channel: list[str] | None = Field(
        None,
        description="接触方式,如 上门拜访(只看这些客户接触) / contact channels, e.g. 上门拜访: only these contacts",
    )
    contact_purpose: list[str] | None = Field(
        None, description="接触目的,如 催款(只看这些客户接触) / contact purposes, e.g. 催款: only these contacts"
    )
    issue_category: list[str] | None = Field(
        None,
        description="工单问题类别,如 物流配送(只看这些工单) / ticket issue categories, e.g. 物流配送: only these tickets",
    )
    survey_score: list[str] | None = Field(
        None,
        description="问卷打分条件,如 nps=0、ces>=5、csat<=2(只看这些问卷) / survey score conditions such as nps=0, "
        "ces>=5, csat<=2: only the responses that meet them",
    )
    by: list[str] = Field(
        default_factory=list, description="维度编号,如 region、month / dimension ids, e.g. region, month"
    )
    top: int | None = Field(None, ge=1, description="只取前 N 行 / keep the first N rows")
    order: Literal["asc", "desc"] | None = Field(
        None, description="排序方向(默认按第一个指标降序) / sort direction (default: first metric, descending)"
    )
    sort_by: str | None = Field(
        None,
        description="排序依据(指标或维度编号;有对比时也可按 <指标>_change 或 <指标>_change_pct 排序) / metric or "
        "dimension id to sort by; with a comparison also <metric>_change or <metric>_change_pct (fastest growing)",
    )
    having: list[Having] = Field(default_factory=list, description="指标条件 / conditions on metrics")
    compare: Literal["none", "previous_period", "same_period_last_year"] = Field(
        "none", description="对比:上一期或去年同期 / comparison: previous period or same period last year"
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=100_000, description="最多返回行数 / maximum rows returned")
    share: bool = Field(
        False,
        description="每组占全部的比例(如 线上渠道占总销售额多少) / each group's share of the total over all groups "
        "in scope (e.g. what share of revenue the online channel brings): adds a <metric>_share column",
    )
    share_of: ShareOf | None = Field(
        None,
        description="占比的分母(如 今年有成交的客户占全部客户的比例:metrics=[customers], share_of={metric: "
        "customer_count}) / the whole of a ratio: adds whole_<metric> and <metric>_share (the first metric over it)",
    )
    focus: list[str] | None = Field(
        None,
        description="问题问的那几组(如 各规模中的 个人):回答先说它们,不影响计算 / the groups the question asks about "
        "(e.g. Individual among the sizes): the answer names them first; the figures are the same",
    )
    judged_now: bool = Field(
        False,
        description="快照按现在判断:期间只说发票何时开具,未付/逾期按数据记录到的最新日期判断(如 去年开的发票到现在还有多少没收回来) "
        "/ judge snapshots now: the period says when the invoices were issued; unpaid and overdue as of the latest "
        "date the data records (e.g. of the invoices issued last year, how much is still unpaid)",
    )
    period_grain: Literal["month", "quarter", "half", "year"] | None = Field(
        None,
        description="期间的日历单位(对比时用;不填则按日期判断) / the period's calendar unit, for comparisons "
        "(read from the dates when not given): this quarter to date compares with the same days of last quarter",
    )

    @field_validator("metrics", "by", mode="before")
    @classmethod
    def _listify(cls, v: object) -> object:
        if isinstance(v, str):
            return [v]
        return v

    @model_validator(mode="after")
    def _check(self) -> MetricQueryArgs:
        for m in self.metrics:
            _known("metric", m, METRICS)
        dims = _all_dimensions()
        for d in self.by:
            _known("dimension", d, dims)
        for h in self.having:
            _known("metric", h.metric, METRICS)
        if self.sort_by is not None and self.sort_by not in METRICS and self.sort_by not in dims:
            _known("metric", _change_metric(self.sort_by) or self.sort_by, {**METRICS, **dims})
        change_of = _change_metric(self.sort_by)
        if change_of is not None:
            if self.compare == "none" or change_of not in self.metrics:
                raise InputError(
                    f"按变化排序({self.sort_by})需要对比期,且 {change_of} 要在 metrics 里;请设置 compare。",
                    f"Sorting by a change ({self.sort_by}) needs a comparison and {change_of} among the metrics; "
                    "set compare.",
                )
        elif self.sort_by is not None and self.sort_by not in [
            *self.metrics,
            *self.by,
            *(h.metric for h in self.having),
        ]:
            raise InputError(
                f"排序依据 {self.sort_by} 不在查询的指标或维度中;请把它加到 metrics 或 by。",
                f"sort_by {self.sort_by} is not among the requested metrics or dimensions; add it to metrics or by.",
            )
        for cond in self.survey_score or []:
            if not SCORE_RE.match(cond):
                raise InputError(
                    f"问卷打分条件 {cond!r} 看不懂:请写成 nps=0、ces>=5 这样的形式。",
                    f"Survey score condition {cond!r} not understood: write it as nps=0, ces>=5.",
                )
        if self.share_of is not None:
            _known("metric", self.share_of.metric, METRICS)
            bad = [
                d
                for d in self.share_of.drop
                if d not in (*CUSTOMER_FILTERS, *LINE_FILTERS, *FACT_FILTERS, "survey_score")
            ]
            if bad or self.compare != "none":
                raise InputError(
                    "占比的整体只能去掉筛选条件,且不能同时做对比;请分开查询。",
                    "The whole of a share can only leave out filters, and cannot be combined with a comparison; "
                    "ask separately.",
                )
        if len(set(self.metrics)) != len(self.metrics) or len(set(self.by)) != len(self.by):
            raise InputError(
                "指标或维度重复了,请去掉重复项。", "A metric or dimension is repeated; remove the duplicate."
            )
        return self


def _change_metric(sort_by: str | None) -> str | None:
    """The metric whose change a sort key names ("revenue_change_pct" → "revenue"), else None.

    >>> _change_metric("revenue_change_pct"), _change_metric("orders_change"), _change_metric("revenue")
    ('revenue', 'orders', None)
    """
    for suffix in ("_change_pct", "_change"):
        if sort_by and sort_by.endswith(suffix) and sort_by[: -len(suffix)] in METRICS:
            return sort_by[: -len(suffix)]
    return None


def _known(kind: str, name: str, table: dict[str, dict[str, Any]]) -> None:
    if name in table:
        return
    # Close matches over ids, names and synonyms in both languages.
    vocab: dict[str, str] = {}
    for key, d in table.items():
        vocab[key] = key
        for word in [
            d.get("zh", ""),
            d.get("en", ""),
            *d.get("synonyms", {}).get("zh", []),
            *d.get("synonyms", {}).get("en", []),
        ]:
            if word:
                vocab.setdefault(str(word).lower(), key)
    hits = difflib.get_close_matches(str(name).lower(), list(vocab), n=5, cutoff=0.5)
    keys = list(dict.fromkeys(vocab[h] for h in hits))[:3]
    kind_zh = {"metric": "指标", "dimension": "维度"}[kind]
    sugg_zh = "、".join(f"{k}({table[k]['zh']})" for k in keys)
    sugg_en = ", ".join(f"{k} ({table[k]['en']})" for k in keys)
    all_ids = ", ".join(table)
    raise InputError(
        f"未知{kind_zh} {name!r}。" + (f"你是不是想要:{sugg_zh}?" if keys else "") + f"可用的{kind_zh}:{all_ids}。",
        f"Unknown {kind} {name!r}." + (f" Did you mean: {sugg_en}?" if keys else "") + f" Available: {all_ids}.",
        unknown=name,
        suggestions=keys,
    )


def vocabulary(kind: Literal["metric", "dimension"]) -> dict[str, str]:
    """Every id, name and synonym (lower-cased, both languages) → the metric or dimension id, for the router.

    >>> vocabulary("metric")["客单价"], vocabulary("dimension")["品类"]
    ('avg_order_value', 'category')
    """
    table = METRICS if kind == "metric" else _all_dimensions()
    out: dict[str, str] = {}
    for key, d in table.items():
        syn = d.get("synonyms", {})
        for word in [key, d.get("zh", ""), d.get("en", ""), *syn.get("zh", []), *syn.get("en", [])]:
            if word:
                out.setdefault(str(word).lower(), key)
    return out


# ---------------------------------------------------------------------------------------------------------
# Compilation.


@dataclass(frozen=True)
class Period:
    start: dt.date | None
    end: dt.date


@dataclass
class Compiled:
    sql: str
    params: dict[str, Any]
    columns: list[str]
    dim_columns: list[str]
    metric_columns: list[str]
    total_columns: list[str] = field(default_factory=list)  # trailing columns: totals over all groups
    tree: exp.Expression | None = None  # the statement as built, for an engine that renders another dialect


def _dim_spec(dim_id: str, fact: str) -> dict[str, Any]:
    d = _all_dimensions()[dim_id]
    override = d.get("per_fact", {}).get(fact)
    return {**d, **override} if override else d


def _fact_aliases(fact: dict[str, Any]) -> set[str]:
    have = set(fact.get("provides", []))
    if fact.get("customer"):
        have |= {"c", "r"}
    if fact.get("date"):
        have.add("date")
    return have


def _sliceable_by(metric: str) -> list[str]:
    """The dimensions ``metric`` can be broken down by (what an error suggests instead)."""
    md = METRICS[metric]
    have = _fact_aliases(FACTS[md["fact"]])
    return [d for d in _all_dimensions() if not set(_dim_spec(d, md["fact"]).get("needs", [])) - have]


def check_compatible(metrics: list[str], by: list[str]) -> None:
    """Raise InputError when a metric cannot be sliced by a dimension (e.g. NPS by product)."""
    dims = _all_dimensions()
    for m in metrics:
        md = METRICS[m]
        fact = FACTS[md["fact"]]
        have = _fact_aliases(fact)
        for d in by:
            spec = _dim_spec(d, md["fact"])
            missing = set(spec.get("needs", [])) - have
            if missing:
                why_zh = "它是期末快照,没有时间维度" if "date" in missing else f"{fact['zh']}与{dims[d]['zh']}没有关联"
                why_en = (
                    "it is a snapshot at the period end, without a time dimension"
                    if "date" in missing
                    else f"{fact['en']} are not linked to {dims[d]['en']}"
                )
                # in the reader's words (no ids): what cannot be done, why, and what can be asked instead
                other = [x for x in _sliceable_by(m) if not dims[x].get("derived")][:6]
                raise InputError(
                    f"{md['zh']}不能按{dims[d]['zh']}拆分:{why_zh}。"
                    f"可以按{'、'.join(dims[x]['zh'] for x in other)}等查看,或去掉「按{dims[d]['zh']}」。",
                    f"{md['en'][:1].upper()}{md['en'][1:]} cannot be broken down by {dims[d]['en']}: {why_en}. "
                    f"Ask for it by {', '.join(dims[x]['en'] for x in other)}, or without the {dims[d]['en']}.",
                    metric=m,
                    dimension=d,
                )
        for need in md.get("needs", []):
            if need not in by:
                raise InputError(
                    f"{md['zh']}是逐个{dims[need]['zh']}计算的,请按{dims[need]['zh']}查看。",
                    f"{md['en'][:1].upper()}{md['en'][1:]} is computed per {dims[need]['en']}; ask for it by {dims[need]['en']}.",
                    metric=m,
                )


def _dim_columns(by: list[str]) -> list[tuple[str, str, str]]:
    """(dimension id, output column, 'key' or 'label') for each output column of the dimensions."""
    out = []
    dims = _all_dimensions()
    for d in by:
        out.append((d, d, "key"))
        if dims[d].get("label"):
            out.append((d, f"{d}_name", "label"))
    return out


SCOPE_CTES = ("scope_customers", "scope_lines", "buyers")


def _suffix_scope(tree: exp.Expression, sfx: str) -> exp.Expression:
    """Point references to the scope CTEs at the comparison period's copies (``scope_lines_p`` …)."""
    if not sfx:
        return tree

    def tr(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.db and node.name in SCOPE_CTES:
            node = node.copy()
            node.set("this", exp.to_identifier(node.name + sfx))
        return node

    return tree.transform(tr)


def _fact_select(
    fact_id: str,
    metrics: list[str],
    by: list[str],
    args: MetricQueryArgs,
    has_start: bool,
    buyers: bool,
    sfx: str,
) -> exp.Select:
    fact = FACTS[fact_id]
    date_sql = fact.get("date")
    cust = fact.get("customer")
    source = fact["from_start"] if has_start and fact.get("from_start") else fact["from"]
    q = _suffix_scope(_p(f"SELECT * FROM {source}"), sfx)
    assert isinstance(q, exp.Select)
    q.set("expressions", [])
    needed: set[str] = set()
    projections: list[exp.Expression] = []
    groups: list[exp.Expression] = []
    for d, col, kind in _dim_columns(by):
        spec = _dim_spec(d, fact_id)
        needed |= set(spec.get("needs", []))
        text = spec["label"] if kind == "label" else spec["sql"]
        if date_sql:
            text = text.replace("{date}", f"({date_sql})")
        e = _p(text)
        projections.append(exp.alias_(e, col))
        groups.append(e.copy())
    for m in metrics:
        projections.append(exp.alias_(_p(METRICS[m]["sql"]), m))
    q = q.select(*projections)
    if cust:
        # Joins only when a dimension needs them: on 10M lines each join costs seconds.
        if needed & {"c", "r"}:
            q = q.join("customers AS c", on=f"c.customer_id = {cust}", join_type="inner", dialect=D)
        if "r" in needed:
            q = q.join("sales_reps AS r", on="r.rep_id = c.rep_id", join_type="left", dialect=D)
        if _has_customer_filter(args) and "scope_" not in fact["from"]:  # scope_* CTEs are filtered already
            q = q.where(f"{cust} IN (SELECT customer_id FROM scope_customers{sfx})", dialect=D)
        if buyers and fact.get("buyers_only"):
            q = q.where(f"{cust} IN (SELECT customer_id FROM buyers{sfx})", dialect=D)
        for d in by:
            if d in DERIVED:
                rel, _ = DERIVED[d].relation(args)
                q = q.join(
                    exp.alias_(exp.Subquery(this=_suffix_scope(_p(rel), sfx)), f"d_{d}"),
                    on=f"d_{d}.customer_id = {cust}",
                    join_type="left",
                    dialect=D,
                )
    if "p" in needed:
        q = q.join("products AS p", on=f"p.product_id = {fact['product']}", join_type="left", dialect=D)
    if not cust:
        for name, col in _own_filters(fact_id).items():
            if getattr(args, name):
                q = q.where(f"list_contains($f_{name}, {col})", dialect=D)
    for name in FACT_FILTERS:
        if getattr(args, name):
            col = DIMENSIONS[name]["per_fact"][fact_id]["sql"]  # _check_fact_filters made sure the fact has it
            q = q.where(f"list_contains($f_{name}, {col})", dialect=D)
    if fact_id in SCORE_FACTS:
        for i, cond in enumerate(args.survey_score or []):
            q = q.where(_score_condition(cond, i), dialect=D)
    for cond in fact.get("where", []):
        q = q.where(cond, dialect=D)
    if has_start:
        for cond in fact.get("where_start", []):
            q = q.where(cond, dialect=D)
        if args.judged_now:  # the period names when the records began (invoices issued in it), not a snapshot's day
            for cond in fact.get("where_now", []):
                q = q.where(cond, dialect=D)
    if groups:
        q = q.group_by(*groups)
    return q


def _score_condition(cond: str, i: int) -> str:
    """SQL for one survey score condition: the column from SCORE_COLUMNS, the comparison from OPS, the number a
    parameter ($score_<i>)."""
    m = SCORE_RE.match(cond)
    assert m is not None  # validated with the arguments
    if m.group(4):
        return f"{SCORE_COLUMNS[m.group(4)]} IS NOT NULL"
    return f"{SCORE_COLUMNS[m.group(1)]} {m.group(2)} $score_{i}"


def _score_params(args: MetricQueryArgs) -> dict[str, float]:
    out = {}
    for i, cond in enumerate(args.survey_score or []):
        m = SCORE_RE.match(cond)
        if m and m.group(3):
            out[f"score_{i}"] = float(m.group(3))
    return out


def _has_customer_filter(args: MetricQueryArgs) -> bool:
    return any(getattr(args, name) for name in CUSTOMER_FILTERS)


def _scope_ctes(
    args: MetricQueryArgs, has_start: bool, sfx: str, with_products: bool = True
) -> list[tuple[str, exp.Expression]]:
    cust = exp.select("c.*").from_("customers AS c")
    for name in CUSTOMER_FILTERS:
        if getattr(args, name):
            if name == "cohort":
                cond = NEW_COHORT.format(start=" AND min(order_date) >= $f_start" if has_start else "")
            else:
                cond = CUSTOMER_FILTER_SQL.get(name) or f"list_contains($f_{name}, c.{CUSTOMER_FILTER_COLUMNS[name]})"
            cust = cust.where(cond, dialect=D)
    lines = (
        exp.select(
            "o.order_id",
            "o.customer_id",
            "o.order_date",
            "o.channel",
            "o.status",
            "oi.line_no",
            "oi.product_id",
            "oi.quantity",
            "oi.amount",
        )
        .from_("orders AS o")
        .join("order_items AS oi", on="oi.order_id = o.order_id", join_type="inner", dialect=D)
        .where("o.order_date <= $f_end", dialect=D)
    )
    if with_products:  # category and unit cost; the join costs a pass over the lines, so only when used
        lines = lines.select("pp.category", "pp.unit_cost").join(
            "products AS pp", on="pp.product_id = oi.product_id", join_type="left", dialect=D
        )
    if _has_customer_filter(args):
        lines = lines.where(f"o.customer_id IN (SELECT customer_id FROM scope_customers{sfx})", dialect=D)
    if args.category:
        lines = lines.where("list_contains($f_category, pp.category)", dialect=D)
    if args.channel:
        lines = lines.where("list_contains($f_channel, o.channel)", dialect=D)
    if args.product:
        lines = lines.where("list_contains($f_product, oi.product_id)", dialect=D)
    ctes: list[tuple[str, exp.Expression]] = [(f"scope_customers{sfx}", cust), (f"scope_lines{sfx}", lines)]
    if args.category or args.channel or args.product:
        buyers = (
            exp.select("customer_id").distinct().from_(f"scope_lines{sfx}").where("status = 'completed'", dialect=D)
        )
        if has_start:
            buyers = buyers.where("order_date >= $f_start", dialect=D)
        ctes.append((f"buyers{sfx}", buyers))
    return ctes


def _period_ctes(
    args: MetricQueryArgs, metrics: list[str], by: list[str], period: Period, sfx: str
) -> tuple[list[tuple[str, exp.Expression]], exp.Select]:
    """CTEs for one period and the SELECT that gives one row per dimension key with every metric."""
    has_start = period.start is not None
    ratios = [m for m in metrics if m in RATIOS]
    metrics = base_metrics(metrics)
    with_products = bool(
        args.category or any("unit_cost" in METRICS[m]["sql"] for m in metrics) or any(d in DERIVED for d in by)
    )
    ctes = _scope_ctes(args, has_start, sfx, with_products)
    buyers = bool(args.category or args.channel or args.product)
    facts: dict[str, list[str]] = {}
    for m in metrics:
        facts.setdefault(METRICS[m]["fact"], []).append(m)
    dcols = [col for _, col, _ in _dim_columns(by)]
    names = []
    for i, (fact_id, ms) in enumerate(facts.items()):
        name = f"f{i}{sfx}"
        ctes.append((name, _fact_select(fact_id, ms, by, args, has_start, buyers, sfx)))
        names.append((name, ms))

    def value(name: str, m: str) -> exp.Expression:
        col = exp.column(m, table=name)
        return exp.func("coalesce", col, exp.Literal.number(0)) if METRICS[m].get("zero") else col

    def metric_expr(name: str, m: str) -> exp.Expression:
        return exp.alias_(value(name, m), m)

    where = {m: n for n, ms in names for m in ms}
    ratio_cols = [
        exp.alias_(
            exp.Div(
                this=exp.Cast(this=value(where[a], a), to=exp.DataType.build("double")),
                expression=exp.func("nullif", value(where[b], b), exp.Literal.number(0)),
            ),
            r,
        )
        for r in ratios
        for a, b in [RATIOS[r]]
    ]

    if not dcols or len(names) == 1:  # one row, or one fact: no key union needed
        body = exp.select(
            *[exp.column(c, table=names[0][0]) for c in dcols],
            *[metric_expr(n, m) for n, ms in names for m in ms],
            *ratio_cols,
        ).from_(names[0][0])
        for n, _ in names[1:]:
            body = body.join(n, join_type="cross")
        return ctes, body
    keys: exp.Expression = exp.select(*dcols).from_(names[0][0])
    for n, _ in names[1:]:
        keys = exp.union(keys, exp.select(*dcols).from_(n), distinct=True)
    kname = f"keys{sfx}"
    ctes.append((kname, keys))
    body = exp.select(
        *[exp.column(c, table="k") for c in dcols], *[metric_expr(n, m) for n, ms in names for m in ms], *ratio_cols
    )
    body = body.from_(f"{kname} AS k")
    for n, _ in names:
        on = exp.and_(
            *[exp.NullSafeEQ(this=exp.column(c, table=n), expression=exp.column(c, table="k")) for c in dcols]
        )
        body = body.join(n, on=on, join_type="left")
    return ctes, body


def _rename_params(tree: exp.Expression, mapping: dict[str, str]) -> exp.Expression:
    def tr(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name in mapping:
            return exp.Placeholder(this=mapping[node.name])
        return node

    return tree.transform(tr)


def previous_period(kind: str, start: dt.date, end: dt.date, grain: str | None = None) -> Period:
    """The comparison period (``assistant.core.periods``, the product's one definition): the previous calendar
    unit for a calendar period (a month to date: the same days of the month before), else the span of equal
    length just before; or the same dates a year earlier.

    >>> previous_period("previous_period", dt.date(2024, 4, 1), dt.date(2024, 6, 30))
    Period(start=datetime.date(2024, 1, 1), end=datetime.date(2024, 3, 31))
    >>> previous_period("previous_period", dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    Period(start=datetime.date(2026, 8, 1), end=datetime.date(2026, 8, 31))
    >>> previous_period("same_period_last_year", dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    Period(start=datetime.date(2023, 2, 1), end=datetime.date(2023, 2, 28))
    """
    if kind == "previous_period":
        return Period(*previous_span(start, end, grain))
    return Period(*last_year_span(start, end))


def compile_query(
    args: MetricQueryArgs,
    period: Period,
    prev: Period | None = None,
    *,
    for_totals: bool = False,
    ref_date: dt.date | None = None,
    state_date: dt.date | None = None,
) -> Compiled:
    """Compile the spec to one SQL statement and its parameters (no execution).

    >>> c = compile_query(MetricQueryArgs(metrics=["revenue"], region=["华东'; --"]), Period(None, dt.date(2024, 6, 30)))
    >>> "华东" in c.sql, c.params["f_region"], c.columns
    (False, ["华东'; --"], ['revenue'])
    """
    metrics = list(args.metrics)
    for h in args.having:
        if h.metric not in metrics:
            metrics.append(h.metric)
    metrics = with_parts(metrics)
    by = [] if for_totals else list(args.by)
    if for_totals:  # per-customer metrics have no overall value
        metrics = [m for m in metrics if not METRICS[m].get("needs")]
    check_compatible(base_metrics(metrics), by)
    # what is known today (an invoice issued last year may have gone overdue since): never before the period end
    params: dict[str, Any] = {
        "f_end": period.end,
        "ref_date": max(ref_date or period.end, period.end),
        # snapshots (unpaid, open) are taken here: the period end, or what the data records now when none was named
        "state_date": max(state_date or period.end, period.end),
        # overdue is due before this day: the period end, or the reference date when a snapshot is judged now
        "due_by": max(ref_date or period.end, period.end) if args.judged_now else period.end,
    }
    if period.start is not None:
        params["f_start"] = period.start
    if any("$active_days" in METRICS[m]["sql"] for m in base_metrics(metrics)):
        params["active_days"] = int(THRESHOLDS["active_days"]["value"])
    for name in (*CUSTOMER_FILTERS, *LINE_FILTERS, *FACT_FILTERS):
        values = getattr(args, name)
        if values:
            if name != "cohort":  # the cohort is a condition, not a list of values
                params[f"f_{name}"] = [str(v) for v in values]
    params.update(_score_params(args))
    for d in by:
        if d in DERIVED:
            _, extra = DERIVED[d].relation(args)
            params.update(extra)

    ctes, cur = _period_ctes(args, metrics, by, period, "")
    dcols = [col for _, col, _ in _dim_columns(by)]
    all_ctes = [*ctes, ("cur", cur)]
    out_cols = list(dcols) + list(metrics)
    if prev is not None and not for_totals:
        pctes, pbody = _period_ctes(args, metrics, by, prev, "_p")
        rename = {"f_start": "p_start", "f_end": "p_end", "state_date": "p_end", "due_by": "p_end"}
        all_ctes += [(n, _rename_params(e, rename)) for n, e in pctes] + [("prev", _rename_params(pbody, rename))]
        params["p_start"], params["p_end"] = prev.start, prev.end
        sel: list[exp.Expression] = [exp.column(c, table="cur") for c in dcols]
        for m in metrics:
            c, p = exp.column(m, table="cur"), exp.column(m, table="prev")
            if METRICS[m].get("zero"):  # no rows in the earlier period means 0, not unknown
                p = exp.func("coalesce", p, exp.Literal.number(0))
            sel += [
                exp.alias_(c, m),
                exp.alias_(p.copy(), f"{m}_previous"),
                exp.alias_(exp.Sub(this=c.copy(), expression=p.copy()), f"{m}_change"),
                exp.alias_(
                    exp.Div(
                        this=exp.Mul(
                            this=exp.Literal.number("100.0"),
                            expression=exp.Paren(this=exp.Sub(this=c.copy(), expression=p.copy())),
                        ),
                        expression=exp.func("nullif", exp.func("abs", p.copy()), exp.Literal.number(0)),
                    ),
                    f"{m}_change_pct",
                ),
            ]
        out_cols = list(dcols) + [x for m in metrics for x in (m, f"{m}_previous", f"{m}_change", f"{m}_change_pct")]
        final = exp.select(*sel).from_("cur")
        if dcols:
            on = exp.and_(
                *[
                    exp.NullSafeEQ(this=exp.column(c, table="prev"), expression=exp.column(c, table="cur"))
                    for c in dcols
                ]
            )
            final = final.join("prev", on=on, join_type="left")
        else:
            final = final.join("prev", join_type="cross")
    else:
        final = exp.select(*[exp.column(c, table="cur") for c in out_cols]).from_("cur")
    if args.share_of is not None and not for_totals:
        # The whole, compiled like the part but without the part's own filters, joined on the groups: the part's
        # first metric over the whole's metric, group by group.
        whole = args.share_of.metric
        update: dict[str, Any] = {**dict.fromkeys(args.share_of.drop), "metrics": [whole], "having": []}
        if "survey_score" in args.share_of.drop and args.survey_score:
            # "CES 打 5 分及以上的比例": over the responses that gave a CES score at all
            fields = dict.fromkeys(m.group(1) or m.group(4) for c in args.survey_score if (m := SCORE_RE.match(c)))
            update["survey_score"] = [f"{f}:answered" for f in fields]
        wargs = args.model_copy(update={**update, "share_of": None})
        check_compatible([whole], by)
        wctes, wbody = _period_ctes(wargs, [whole], by, period, "_w")
        all_ctes += [*wctes, ("whole", wbody)]
        part = exp.column(metrics[0], table="cur")
        wcol = exp.column(whole, table="whole")
        final = final.select(
            exp.alias_(wcol, f"whole_{whole}"),
            exp.alias_(
                exp.Div(
                    this=exp.Cast(this=part, to=exp.DataType.build("double")),
                    expression=exp.func("nullif", wcol.copy(), exp.Literal.number(0)),
                ),
                f"{metrics[0]}_share",
            ),
        )
        on = [exp.NullSafeEQ(this=exp.column(c, table="whole"), expression=exp.column(c, table="cur")) for c in dcols]
        final = (
            final.join("whole", on=exp.and_(*on), join_type="left") if on else final.join("whole", join_type="cross")
        )
        out_cols += [f"whole_{whole}", f"{metrics[0]}_share"]

    total_cols: list[str] = []
    if not for_totals and by and all(METRICS[m].get("additive") for m in metrics):
        # Totals of additive metrics are sums of the groups: computed here, without a second pass over the facts.
        tot = exp.select(*[exp.alias_(exp.func("sum", exp.column(m, table="cur")), f"_total_{m}") for m in metrics])
        all_ctes.append(("tot", tot.from_("cur")))
        total_cols = [f"_total_{m}" for m in metrics]
        final = final.select(*[exp.column(c, table="tot") for c in total_cols]).join("tot", join_type="cross")
    if not for_totals:
        for i, h in enumerate(args.having):
            params[f"h{i}"] = h.value
            final = final.where(
                OPS[h.op](this=exp.column(h.metric, table="cur"), expression=exp.Placeholder(this=f"h{i}"))
            )
        if args.top is not None:
            # A ranking is among the groups that have a value: tickets about no product are no product category's
            # ("哪个产品类别投诉最多"); the full breakdown (no top) still shows them as a group of their own.
            for _, col, kind in _dim_columns(by):
                if kind == "key":
                    final = final.where(exp.Not(this=exp.Is(this=exp.column(col, table="cur"), expression=exp.Null())))
        final = final.order_by(*_order(args, metrics, by, dcols))
        n = min(args.top, args.limit + 1) if args.top is not None else args.limit + 1
        final = final.limit(n)
    with_ = exp.With(
        expressions=[exp.CTE(this=e, alias=exp.TableAlias(this=exp.to_identifier(n))) for n, e in all_ctes]
    )
    final.set("with_", with_)
    # DuckDB refuses parameters the statement does not use: pass exactly those it does.
    used = {ph.name for ph in final.find_all(exp.Placeholder)}
    missing = used - set(params)
    if missing:  # a YAML or derived-dimension fragment refers to a parameter nobody set
        raise ValueError(f"metric_query: no value for parameters {sorted(missing)}")
    params = {k: v for k, v in params.items() if k in used}
    sql = final.sql(dialect="duckdb", pretty=True)
    return Compiled(sql, params, out_cols, dcols, list(metrics), total_cols, final)


def _order(args: MetricQueryArgs, metrics: list[str], by: list[str], dcols: list[str]) -> list[exp.Expression]:
    time_dims = [d for d in by if _all_dimensions()[d].get("time")]
    if args.sort_by is None and args.order is None and args.top is None and time_dims:
        keys = [(d, False) for d in time_dims]
    else:
        key = args.sort_by or metrics[0]
        keys = [(key, (args.order or "desc") == "desc")]
    # A change is a column of the comparison's select, not of the current period's relation.
    out = [
        exp.Ordered(
            this=exp.column(k) if _change_metric(k) else exp.column(k, table="cur"), desc=desc, nulls_first=False
        )
        for k, desc in keys
    ]
    out += [exp.Ordered(this=exp.column(c, table="cur"), desc=False, nulls_first=False) for c in dcols]
    return out


# ---------------------------------------------------------------------------------------------------------
# The tool.


def _chart(args: MetricQueryArgs) -> Chart | None:
    dims = _all_dimensions()
    if not args.by:
        return None
    time_dims = [d for d in args.by if dims[d].get("time")]
    first = args.metrics[0]
    # "按大区的销售额", not "销售额 按 大区" (a log line in a heading)
    title_zh = (
        "按" + "、".join(dims[d]["zh"] for d in args.by) + "的" + "、".join(METRICS[m]["zh"] for m in args.metrics)
    )
    title_en = ", ".join(METRICS[m]["en"] for m in args.metrics) + " by " + ", ".join(dims[d]["en"] for d in args.by)
    others = [d for d in args.by if d not in time_dims]
    if time_dims:
        return Chart(
            kind="line",
            x=time_dims[0],
            y=args.metrics if len(args.metrics) > 1 else first,
            color=others[0] if others else None,
            title_zh=title_zh,
            title_en=title_en,
        )
    if len(args.by) == 1:
        x = f"{args.by[0]}_name" if dims[args.by[0]].get("label") else args.by[0]
        return Chart(
            kind="bar", x=x, y=args.metrics if len(args.metrics) > 1 else first, title_zh=title_zh, title_en=title_en
        )
    if len(args.metrics) == 1:
        return Chart(kind="heatmap", x=args.by[0], y=args.by[1], color=first, title_zh=title_zh, title_en=title_en)
    return Chart(kind="bar", x=args.by[0], y=first, color=args.by[1], title_zh=title_zh, title_en=title_en)


def _definitions(metrics: list[str]) -> list[Definition]:
    out = []
    for m in metrics:
        md = METRICS[m]
        if m in RATIOS:
            a, b = RATIOS[m]
            out.append(
                Definition(
                    name=m,
                    zh=f"{md['zh']}({md['unit']['zh']}):{md['def_zh']}",
                    en=f"{md['en']} ({md['unit']['en']}): {md['def_en']}",
                    value=f"{a} / {b}",
                )
            )
            continue
        fact = FACTS[md["fact"]]
        out.append(
            Definition(
                name=m,
                zh=f"{md['zh']}({md['unit']['zh']}):{md['def_zh']};数据:{fact['zh']}",
                en=f"{md['en']} ({md['unit']['en']}): {md['def_en']}; over {fact['en']}",
                value=md["sql"],
            )
        )
    return out


def _own_filters(fact_id: str) -> dict[str, str]:
    """Filters a fact without customers applies to its own columns: those whose dimension it defines itself
    (marketing spend's acquisition channel is m.channel; the catalogue's category and product are its own)."""
    return {
        name: spec["sql"]
        for name, dim in DIMENSIONS.items()
        if name in (*CUSTOMER_FILTERS, *LINE_FILTERS) and (spec := dim.get("per_fact", {}).get(fact_id)) is not None
    }


def _check_fact_filters(args: MetricQueryArgs, metrics: list[str]) -> None:
    """A filter on a fact's own column (department, ticket kind, a survey score) applies only to the facts that
    record it: refuse it, saying so, for any other measure."""
    if args.survey_score and any(METRICS[m]["fact"] not in SCORE_FACTS for m in metrics):
        raise InputError(
            "问卷打分条件只能用于问卷指标(问卷数、NPS、CSAT、CES);请去掉该条件或分开查询。",
            "A survey score condition applies to survey measures only (responses, NPS, CSAT, CES); drop it or ask "
            "separately.",
        )
    for name in FACT_FILTERS:
        if not getattr(args, name):
            continue
        dim = DIMENSIONS[name]
        bad = [m for m in metrics if METRICS[m]["fact"] not in dim.get("per_fact", {})]
        if bad:
            names_zh = "、".join(str(METRICS[m]["zh"]) for m in bad)
            names_en = ", ".join(str(METRICS[m]["en"]) for m in bad)
            facts = list(dict.fromkeys(f.split("_")[-1] for f in dim["per_fact"]))  # tickets, interactions
            on_zh = "和".join({"tickets": "工单", "interactions": "客户接触"}.get(f, f) for f in facts)
            on_en = " and ".join({"interactions": "contacts"}.get(f, f) for f in facts)
            raise InputError(
                f"{names_zh}不能按{dim['zh']}筛选({dim['zh']}只记录在{on_zh}上);请去掉该条件或分开查询。",
                f"{names_en} cannot be filtered by {dim['en']} ({dim['en']} is recorded on {on_en} only); drop that "
                "filter or ask separately.",
            )


def _check_marketing(args: MetricQueryArgs, metrics: list[str]) -> None:
    facts = [METRICS[m]["fact"] for m in metrics if FACTS[METRICS[m]["fact"]].get("customer") is None]
    if not facts:
        return
    own = set.intersection(*(set(_own_filters(f)) for f in facts))
    used = [n for n in (*CUSTOMER_FILTERS, *LINE_FILTERS) if getattr(args, n) and n not in own]
    if used:
        zh = "、".join(dict.fromkeys(str(FACTS[f]["zh"]) for f in facts))
        en = ", ".join(dict.fromkeys(str(FACTS[f]["en"]) for f in facts))
        raise InputError(
            f"{zh}不按客户记录,不能按 {', '.join(used)} 筛选;请去掉这些条件或分开查询。",
            f"{en[:1].upper()}{en[1:]} are not recorded per customer; they cannot be filtered by "
            f"{', '.join(used)}. Drop those filters or ask separately.",
        )


def _with_shares(
    args: MetricQueryArgs, metrics: list[str], columns: list[str], rows: list[list[Any]], totals: dict[str, Any]
) -> tuple[list[str], list[list[Any]]]:
    """Each group's share of the total in scope (a fraction), after each metric's column; for metrics that add
    up (sums and counts), never for ratios such as NPS or a margin."""
    out_cols, out_rows = list(columns), [list(r) for r in rows]
    for m in args.metrics:
        total = totals.get(m)
        if (
            m not in out_cols
            or m in RATIOS
            or METRICS[m].get("format") not in ("integer", "money", "number")
            or not total
        ):
            continue
        i = out_cols.index(m) + 1
        out_cols.insert(i, f"{m}_share")
        for r in out_rows:
            v = r[i - 1]
            r.insert(i, None if v is None else float(v) / float(total))
    return out_cols, out_rows


def _latest_state(con: Con, end: dt.date) -> dt.date:
    """The last date the data records an invoice, a payment or a resolution: "now" for a snapshot asked with no
    period named (an invoice paid a day after the last order is paid now; one issued two days after it is owed now:
    "all our unpaid invoices" reads every invoice recorded)."""
    _, rows = as_engine(con).rows(
        "SELECT greatest((SELECT max(issue_date) FROM invoices), (SELECT max(paid_date) FROM invoices), "
        "(SELECT CAST(max(resolved_at) AS DATE) FROM tickets))",
        {},
    )
    latest = rows[0][0] if rows else None
    return max(end, latest) if isinstance(latest, dt.date) else end


def _top_share(
    args: MetricQueryArgs, columns: list[str], rows: list[list[Any]], totals: dict[str, Any]
) -> dict[str, Any] | None:
    """The top N rows together ("前十大客户合计占销售额的比例"): their sum, the total over all groups, the share."""
    m = args.metrics[0]
    total = totals.get(m)
    if m not in columns or f"{m}_share" not in columns or not total:
        return None
    part = sum(float(r[columns.index(m)] or 0) for r in rows)
    return {"metric": m, "n": len(rows), "value": part, "total": float(total), "share": part / float(total)}


@register(
    "metric_query",
    "指标查询:按维度(大区、产品、销售、月份…)切分一个或几个指标(销售额、毛利、订单数、新客户、NPS、投诉…),支持筛选、前 N 名、条件和同比/环比",
    "Metric query: one or a few metrics (revenue, gross profit, orders, new customers, NPS, complaints, …) sliced by "
    "dimensions (region, product, rep, month, …) with filters, top N, conditions and period comparisons",
    MetricQueryArgs,
    examples=(
        "华东今年销售额前10的客户",
        "各产品类别上季度的销售额和毛利",
        "how many new customers each month in 2024",
        "张伟负责的客户里哪些超过90天没下单",
    ),
)
def metric_query(con: Con, args: MetricQueryArgs) -> ToolResult:
    ref_date = last_order_date(con)
    as_of = args.as_of or ref_date
    end = args.end or as_of
    if args.start and args.start > end:
        raise InputError(
            f"开始日期 {args.start} 晚于结束日期 {end},请调整期间。",
            f"Start date {args.start} is after end date {end}; fix the period.",
        )
    metrics = with_parts(list(dict.fromkeys([*args.metrics, *(h.metric for h in args.having)])))
    whole = [args.share_of.metric] if args.share_of else []
    _check_marketing(args, base_metrics([*metrics, *whole]))
    _check_fact_filters(args, base_metrics([*metrics, *whole]))
    dims = _all_dimensions()
    prev: Period | None = None
    if args.compare != "none":
        if args.start is None:
            raise InputError(
                "对比需要明确的期间:请给出开始日期(如本季度、今年)。",
                "A comparison needs a period: give a start date (e.g. this quarter, this year).",
            )
        if any(dims[d].get("time") for d in args.by):
            raise InputError(
                "按时间维度(日/周/月/季/年)查看时已是趋势,不能再做同比/环比;请去掉时间维度或对比。",
                "With a time dimension the result is already a trend; drop the time dimension or the comparison.",
            )
        prev = previous_period(args.compare, args.start, end, args.period_grain)
    period = Period(args.start, end)
    snapshots = any("$state_date" in str(FACTS[METRICS[m]["fact"]].get("where", "")) for m in base_metrics(metrics))
    # a snapshot is taken at the period end; with no period named, or judged now, at the latest the data records
    named = (args.end or args.as_of) and not args.judged_now
    state_date = end if named or not snapshots else _latest_state(con, end)
    compiled = compile_query(args, period, prev, ref_date=ref_date, state_date=state_date)
    engine = as_engine(con)
    _, fetched = engine.rows(compiled.sql, compiled.params, tree=compiled.tree)
    rows = [list(r[: len(compiled.columns)]) for r in fetched]
    truncated = len(rows) > args.limit
    if truncated:
        rows = rows[: args.limit]
    sqls = [compiled.sql]
    figures: dict[str, Any] = {
        "rows": len(rows),
        "truncated": truncated,
        "limit": args.limit,
        "start": period.start,
        "end": period.end,
    }
    if prev is not None:
        figures["previous_start"], figures["previous_end"] = prev.start, prev.end
    if compiled.total_columns and rows:
        figures["totals"] = dict(zip(compiled.metric_columns, fetched[0][len(compiled.columns) :], strict=True))
    elif args.by and any(not METRICS[m].get("needs") for m in metrics):
        totals = compile_query(args, period, for_totals=True, ref_date=ref_date, state_date=state_date)
        _, trows = engine.rows(totals.sql, totals.params, tree=totals.tree)
        trow = trows[0] if trows else None
        figures["totals"] = dict(zip(totals.metric_columns, trow or [], strict=False))
        sqls.append(totals.sql)
    elif not args.by and rows:
        figures["totals"] = {m: rows[0][compiled.columns.index(m)] for m in metrics}
    if args.share:
        columns, rows = _with_shares(args, metrics, compiled.columns, rows, figures.get("totals") or {})
        if args.top is not None and args.by and rows:
            figures["top_share"] = _top_share(args, columns, rows, figures.get("totals") or {})
    else:
        columns = compiled.columns
    notes = []
    if truncated:
        notes.append(
            f"结果超过 {args.limit} 行,只显示前 {args.limit} 行 / more than {args.limit} rows; showing the first {args.limit}"
        )
    if "days_since_last_order" in metrics:
        notes.append("从未下单的客户“距上次下单天数”为空 / customers who never ordered have no days_since_last_order")
    return ToolResult(
        as_of=as_of,
        figures=figures,
        columns=columns,
        rows=rows,
        definitions=_definitions(metrics),
        sql=sqls,
        chart=_chart(args),
        notes=notes,
    )
