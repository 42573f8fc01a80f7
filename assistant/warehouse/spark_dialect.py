"""DuckDB SQL rendered for Spark: sqlglot's transpiler plus the rewrites it lacks, as a table of rules.

DuckDB stays the authoring dialect. ``sqlglot.transpile(read="duckdb", write="spark")`` handles most of what the
tools write (FILTER, QUALIFY, date_diff, arg_min/max, structs, lambdas, GROUPING SETS) but some constructs come
out wrong with no error, or fail on Spark. Each rule below rewrites one of them on the DuckDB syntax tree before
sqlglot generates Spark SQL; ``RULES`` is the pipeline (sqlglot's own optimizer is built the same way). One test
per rule lives in tests/engines/test_spark_dialect.py.

``$name`` parameters become Spark's ``:name`` markers, bound by ``spark.sql(text, args=...)``.

>>> to_spark("SELECT quantile_cont(x, 0.5) AS m FROM t")
'SELECT PERCENTILE(x, 0.5) AS m FROM t'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB

Rule = Callable[[exp.Expression], exp.Expression]


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    # An anonymous call is generated as written: sqlglot does not re-translate it for the target dialect.
    return exp.Anonymous(this=name, expressions=list(args))


def _double(e: exp.Expression) -> exp.Expression:
    return exp.Cast(this=e.copy(), to=exp.DataType.build("DOUBLE"))


def drop_materialized(tree: exp.Expression) -> exp.Expression:
    """``WITH x AS MATERIALIZED (...)``: Spark has no CTE hints (it fails to parse); the hint only steers speed."""
    for cte in tree.find_all(exp.CTE):
        cte.set("materialized", None)
    return tree


def quantiles(tree: exp.Expression) -> exp.Expression:
    """``quantile_cont(x, p)`` is Spark's exact ``percentile(x, p)`` (both interpolate linearly); sqlglot writes
    ``PERCENTILE_CONT(x, p)``, which Spark only knows with ``WITHIN GROUP``.

    ``quantile_disc(x, q)`` (q a fraction or a list of them) is the ceil(q·n)-th smallest non-NULL value. Spark's
    ``percentile_disc`` takes DOUBLE fractions only, where 0.6 × 5 is 3.0000000000000004 and picks the wrong
    value, so the value is read from the sorted list with exact DECIMAL arithmetic instead.
    """

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.PercentileCont) or _named(node, "quantile_cont"):
            return _fn("percentile", *_args(node))
        if isinstance(node, exp.PercentileDisc) or _named(node, "quantile_disc"):
            x, q = _args(node)
            s = exp.column("__s")
            sorted_ = _fn("array_sort", _fn("collect_list", x.copy()))

            def pick(frac: exp.Expression) -> exp.Expression:
                k = _fn("greatest", _fn("ceil", exp.Mul(this=frac, expression=_fn("size", s))), exp.Literal.number(1))
                return _fn("element_at", s, exp.Cast(this=k, to=exp.DataType.build("INT")))

            if isinstance(q, exp.Array):
                body = _fn("transform", q.copy(), _lambda("__q", pick(exp.column("__q"))))
            else:
                body = pick(q.copy())
            return _fn(
                "element_at", _fn("transform", _fn("array", sorted_), _lambda("__s", body)), exp.Literal.number(1)
            )
        return node

    return tree.transform(rewrite)


def list_indexes(tree: exp.Expression) -> exp.Expression:
    """``l[i]`` is 1-based in DuckDB and 0-based in Spark. sqlglot shifts an index only when it can type it as an
    integer (``l[1]``, ``$a[1 + 4 * CAST(x AS INTEGER)]``) and leaves others (``$names[k + 1]``), so a computed
    index read the next element silently. The tree is parsed without any shift (``parse_duckdb``) and every
    index becomes Spark's 1-based ``element_at`` (NULL past the end with ANSI mode off, as DuckDB); a computed
    index 0 is NULL as in DuckDB, not an error. String keys (struct fields, map keys) are left alone."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
            index = node.expressions[0]
            if (isinstance(index, exp.Literal) and index.is_string) or isinstance(index, exp.Slice):
                return node
            if not (
                isinstance(index, exp.Literal) or (isinstance(index, exp.Neg) and isinstance(index.this, exp.Literal))
            ):
                # element_at wants an INT (arithmetic gives BIGINT) and fails on 0.
                index = exp.Cast(
                    this=exp.Nullif(this=index, expression=exp.Literal.number(0)), to=exp.DataType.build("INT")
                )
            return _fn("element_at", node.this, index)
        return node

    return tree.transform(rewrite)


def list_functions(tree: exp.Expression) -> exp.Expression:
    """List functions sqlglot passes through unchanged although Spark lacks them.

    ``list_position`` is ``array_position`` (0, not NULL, when absent: NULLIF keeps DuckDB's NULL);
    ``list_median`` is the middle of the sorted non-NULL elements (the mean of the two middle ones), as DOUBLE.
    """

    def rewrite(node: exp.Expression) -> exp.Expression:
        if _named(node, "list_position", "array_position", "list_indexof") or isinstance(node, exp.ArrayPosition):
            return exp.Nullif(this=_fn("array_position", *_args(node)), expression=exp.Literal.number(0))
        if _named(node, "list_median"):
            (arr,) = _args(node)
            # transform over a one-element array binds the sorted list once (Spark SQL has no LET).
            middle = sqlglot.parse_one(
                "CASE WHEN size(a) = 0 THEN NULL WHEN size(a) % 2 = 1 THEN CAST(element_at(a, CAST(size(a) DIV 2 + 1 AS INT)) AS DOUBLE) "
                "ELSE (CAST(element_at(a, CAST(size(a) DIV 2 AS INT)) AS DOUBLE) "
                "+ element_at(a, CAST(size(a) DIV 2 + 1 AS INT))) / 2 END",
                read="spark",
            )
            present = _lambda("v", exp.Not(this=exp.Is(this=exp.column("v"), expression=exp.Null())))
            sorted_ = _fn("array_sort", _fn("filter", arr, present))
            return _fn(
                "element_at", _fn("transform", _fn("array", sorted_), _lambda("a", middle)), exp.Literal.number(1)
            )
        return node

    return tree.transform(rewrite)


def named_windows(tree: exp.Expression) -> exp.Expression:
    """``OVER w ... WINDOW w AS (... ROWS ...)``: Spark refuses a named window that carries its own frame;
    every use gets the definition inlined and the WINDOW clause goes."""
    for select in tree.find_all(exp.Select):
        defs = {str(w.alias_or_name).lower(): w for w in select.args.get("windows") or []}
        if not defs:
            continue
        for win in select.find_all(exp.Window):
            name = win.this
            spec = defs.get(str(win.args.get("alias") or "").lower()) if win.args.get("alias") else None
            if spec is None and isinstance(name, exp.Column) and not win.args.get("partition_by"):
                spec = defs.get(str(name.name).lower())
            if spec is None or win in defs.values():
                continue
            for key in ("partition_by", "order", "spec"):
                if spec.args.get(key) is not None and win.args.get(key) is None:
                    win.set(key, spec.args[key].copy())
            win.set("alias", None)
        select.set("windows", None)
    return tree


def range_tables(tree: exp.Expression) -> exp.Expression:
    """``FROM range(a, b) t(i)``: Spark's range names its column ``id`` and takes no column alias."""
    for table in list(tree.find_all(exp.Table)):
        fn = table.this
        if not (isinstance(fn, (exp.Anonymous, exp.Func)) and _named(fn, "range", "generate_series")):
            continue
        alias = table.args.get("alias")
        col = alias.columns[0].name if alias is not None and alias.columns else "range"
        if isinstance(fn, exp.GenerateSeries):
            start, stop = fn.args["start"], fn.args["end"]
            if not fn.args.get("is_end_exclusive"):  # generate_series includes its end, range does not
                stop = exp.Add(this=stop.copy(), expression=exp.Literal.number(1))
        else:
            given = _args(fn)
            start, stop = (given[0], given[1]) if len(given) > 1 else (exp.Literal.number(0), given[0])
        inner = exp.select(exp.alias_(exp.column("id"), col)).from_(
            exp.Table(this=_fn("range", start.copy(), stop.copy()))
        )
        table.replace(
            exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias.name if alias else "t")))
        )
    return tree


def ordered_array_agg(tree: exp.Expression) -> exp.Expression:
    """``array_agg(x ORDER BY k)``: sqlglot writes ``collect_list(x)`` and drops the order (and the NULLs).

    Spark's form: collect (k, x) pairs as structs, sort them by k, keep x.
    """

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.ArrayAgg) or not isinstance(node.this, exp.Order):
            return node
        order: exp.Order = node.this
        value = order.this
        keys = order.expressions
        descending = {bool(k.args.get("desc")) for k in keys}
        if len(descending) != 1:
            raise ValueError("array_agg with mixed ORDER BY directions has no Spark rewrite")
        fields = [exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=k.this.copy()) for i, k in enumerate(keys)]
        fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy()))
        pairs = _fn("collect_list", exp.Struct(expressions=fields))
        ordered = _fn("sort_array", pairs, exp.Boolean(this=not descending.pop()))
        lam = exp.Lambda(
            this=exp.Dot(this=exp.column("s"), expression=exp.to_identifier("v")), expressions=[exp.to_identifier("s")]
        )
        return _fn("transform", ordered, lam)

    return tree.transform(rewrite)


def double_averages(tree: exp.Expression) -> exp.Expression:
    """DuckDB's ``avg`` and ``/`` give DOUBLE; Spark's keep DECIMAL with its own precision (silently different
    digits). Casting the operand to DOUBLE gives DuckDB's result (an integer or DOUBLE operand is unchanged).

    Not ``CAST(avg(x) AS DOUBLE)``: Spark's DECIMAL average keeps only four more digits of scale (the average of
    1.0/0.0 flags is 0.10156, not DuckDB's 0.1015625). The price: a DOUBLE sum adds in another order than
    DuckDB's exact DECIMAL sum, so the last bits can differ (a figure rounded to cents can then differ by one
    cent when it falls on a half); the parity suite compares within 1e-6."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Avg) and not isinstance(node.this, exp.Cast):
            node.set("this", _double(node.this))
        elif isinstance(node, exp.Div):
            node.set("this", _double(node.this))
        return node

    return tree.transform(rewrite)


def unsigned_types(tree: exp.Expression) -> exp.Expression:
    """``UBIGINT`` (cross_sell's category bitmask) does not exist on Spark; BIGINT holds the same 64 bits and
    ``|``, ``&``, ``<<`` and ``bit_count`` treat them alike."""
    unsigned = {
        exp.DataType.Type.UBIGINT: "BIGINT",
        exp.DataType.Type.UINT: "BIGINT",
        exp.DataType.Type.USMALLINT: "INT",
        exp.DataType.Type.UTINYINT: "SMALLINT",
    }
    for dt in list(tree.find_all(exp.DataType)):
        if dt.this in unsigned:
            dt.replace(exp.DataType.build(unsigned[dt.this]))
    return tree


def epoch_seconds(tree: exp.Expression) -> exp.Expression:
    """``epoch(d)`` (seconds since 1970) is ``unix_timestamp`` of the date at midnight UTC (the session's zone)."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.TimeToUnix) or _named(node, "epoch"):
            arg = node.this if isinstance(node, exp.TimeToUnix) else _args(node)[0]
            return _fn("unix_timestamp", exp.Cast(this=arg.copy(), to=exp.DataType.build("TIMESTAMP")))
        return node

    return tree.transform(rewrite)


RULES: tuple[Rule, ...] = (
    drop_materialized,
    quantiles,
    list_indexes,
    list_functions,
    named_windows,
    range_tables,
    ordered_array_agg,
    double_averages,
    unsigned_types,
    epoch_seconds,
)


class _DuckDBAsWritten(DuckDB):
    """DuckDB, with list indexes kept as written (1-based) rather than shifted by sqlglot's type guess."""

    INDEX_OFFSET = 0


# sqlglot's DuckDB tokenizer reads ``$a[f($b)]`` as the start of a dollar-quoted string and fails. Parameters
# are therefore parsed as columns with a reserved prefix and turned back into placeholders on the tree.
PARAM = re.compile(r"\$([A-Za-z_]\w*)")
_PARAM_PREFIX = "__param__"


def parse_duckdb(sql: str) -> exp.Expression:
    """One DuckDB statement as a tree, ``$name`` parameters as placeholders whatever surrounds them."""
    tree = sqlglot.parse_one(PARAM.sub(_PARAM_PREFIX + r"\1", sql), read=_DuckDBAsWritten)

    def back(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name.startswith(_PARAM_PREFIX):
            return exp.Placeholder(this=node.name[len(_PARAM_PREFIX) :])
        return node

    return tree.transform(back)


def rewrite(tree: exp.Expression) -> exp.Expression:
    """Every rule applied in order, on a copy."""
    out = tree.copy()
    for rule in RULES:
        out = rule(out)
    return out


@lru_cache(maxsize=512)
def to_spark(sql: str) -> str:
    """DuckDB SQL text as Spark SQL (cached: the tools send the same statements again and again)."""
    return tree_to_spark(parse_duckdb(sql))


def tree_to_spark(tree: exp.Expression, sql: str | None = None) -> str:
    """A tree parsed as DuckDB SQL, as Spark SQL. A tree holding list indexes was shifted by sqlglot's parser
    (see ``list_indexes``): it is rendered from its text ``sql`` instead when given."""
    if sql is not None and tree.find(exp.Bracket) is not None:
        return to_spark(sql)
    return rewrite(tree).sql(dialect="spark")


def _lambda(var: str, body: exp.Expression) -> exp.Lambda:
    return exp.Lambda(this=body, expressions=[exp.to_identifier(var)])


def _named(node: exp.Expression, *names: str) -> bool:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower() in names
    return isinstance(node, exp.Func) and node.sql_name().lower() in names


def _args(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    return [v for k, v in node.args.items() if isinstance(v, exp.Expression) and k != "ignore_nulls"]
