"""Typing and validating one staged table, in SQL: bad rows get a reason, good rows go to ``stg.ok_<table>``.

Order of checks for a row (the first failure is its reason): required value missing, value that
cannot be converted, value outside the allowed list, the contract's CHECK rules (schema.py), then
duplicate keys (in the import and, when appending, in the warehouse), then unknown foreign keys
(against the warehouse and the rows accepted from the same import).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from assistant.warehouse.importer import clean
from assistant.warehouse.schema import Column, Table

# Filled in when a file has no such column or the cell is blank; documented in docs/data.md.
DEFAULTS: dict[str, dict[str, str]] = {
    "customers": {
        "region": "未知",
        "city": "未知",
        "industry": "未知",
        "size": "未知",
        "acquisition_channel": "未知",
    },
    "orders": {"channel": "未知", "status": "completed"},
    "order_items": {"discount": "0"},
}
# Columns computed from others when the file lacks them.
DERIVED = {("order_items", "line_no"), ("order_items", "amount")}
# Common spellings of the contract's allowed values (lower-cased keys).
VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "status": {
        "已完成": "completed",
        "完成": "completed",
        "成交": "completed",
        "complete": "completed",
        "退货": "returned",
        "已退货": "returned",
        "return": "returned",
        "取消": "cancelled",
        "已取消": "cancelled",
        "canceled": "cancelled",
        "cancel": "cancelled",
        "处理中": "open",
        "未解决": "open",
        "待处理": "open",
        "已解决": "resolved",
        "已关闭": "resolved",
        "closed": "resolved",
    },
    "kind": {"投诉": "complaint", "客诉": "complaint", "咨询": "inquiry", "建议": "suggestion"},
}

TYPE_HELP: dict[str, tuple[str, str]] = {
    "INTEGER": ("整数", "a whole number"),
    "DECIMAL": ("数字(可带千分位、货币符号)", "a number (thousands separators and currency signs allowed)"),
    "DATE": clean.DATE_HELP,
    "TIMESTAMP": ("日期或日期时间", "a date or date-time"),
}


@dataclass
class Plan:
    """How one table's staged rows are typed: which columns the sources provide, and date orders."""

    table: Table
    relation: str  # SQL relation with _src, _ord, _row and one text (or typed) column per provided column
    provided: set[str]
    typed: bool = False  # relation already holds contract types (the transactions preset)
    keyed: bool = True  # keys_and_references runs next (not for the preset's lines): keep the raw text it reports
    date_orders: dict[str, str | None] = field(default_factory=dict)
    # Each source's label by its _ord, when the relation's _src is that label: the typed rows then keep _ord alone.
    labels: dict[int, str] = field(default_factory=dict)
    # A file read in place (sources.Source.scan): the relation has _blank instead of _row, rows come in file order,
    # and this is called once they are typed (with the rows not blank) for the table mapping positions to lines.
    in_place: Callable[[int], str] | None = None
    # Set by typed_and_checked: ``stg.typed_<t>`` reads its stored rows alone (no join), so a scan of it comes in
    # file order, the order of (_ord, _row); streaming window functions (OVER ()) may rely on it.
    in_order: bool = False
    # Text columns whose reader picks one value among many lines and trims that one (the transactions preset's
    # names and places): typed NULL when blank as clean.txt, but a value whose first character is printable ASCII
    # (not blank, and trim keeps that end) is kept as it is, not trimmed (see _typed_expr).
    untrimmed: frozenset[str] = frozenset()


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def is_id(table: Table, col: Column) -> bool:
    return col.name in table.primary_key or bool(col.references) or col.name.endswith("_id")


def _typed_expr(plan: Plan, col: Column) -> str:
    t = plan.table
    if col.name not in plan.provided:
        if (t.name, col.name) in DERIVED:
            return "NULL"  # filled in the second step
        default = DEFAULTS.get(t.name, {}).get(col.name)
        return f"CAST({_q(default)} AS {col.type})" if default is not None else f"CAST(NULL AS {col.type})"
    c = f"i.{col.name}"
    if plan.typed:
        expr = c
    elif col.name in plan.untrimmed:
        assert col.type == "VARCHAR" and col.nullable and not col.allowed and not col.check, col.name
        # Two byte comparisons instead of a trimmed copy of every value (10M lines, two columns: 1.6 -> 0.8 s CPU).
        expr = f"(CASE WHEN {c} >= '!' AND {c} < chr(127) THEN {c} ELSE {clean.txt(c)} END)"
    elif col.type == "VARCHAR":
        expr = clean.ident(c) if is_id(t, col) else clean.txt(c)
        if col.allowed:
            syn = VALUE_SYNONYMS.get(col.name, {})
            cases = " ".join(f"WHEN {_q(k)} THEN {_q(v)}" for k, v in syn.items())
            low = f"lower({expr})"
            expr = f"(CASE {low} {cases} ELSE {low} END)" if cases else low
    elif col.type == "INTEGER":
        expr = clean.integer(c)
    elif col.type.startswith("DECIMAL"):
        expr = clean.decimal(c, col.type)
    elif col.type == "DATE":
        expr = f"CAST({clean.timestamp(c, plan.date_orders.get(col.name))} AS DATE)"
    elif col.type == "TIMESTAMP":
        expr = clean.timestamp(c, plan.date_orders.get(col.name))
    else:  # pragma: no cover - the contract uses only the types above
        expr = f"TRY_CAST({c} AS {col.type})"
    default = DEFAULTS.get(t.name, {}).get(col.name)
    if default is not None:
        expr = f"coalesce({expr}, CAST({_q(default)} AS {col.type}))"
    return expr


def _help(col: Column) -> tuple[str, str]:
    return TYPE_HELP.get(col.type.split("(")[0], (col.type, col.type))


def _val(c: str) -> str:
    return f"left(CAST({c} AS VARCHAR), 60)"


def _reason(zh: str, en: str, col: str) -> str:
    return f"struct_pack(col := {_q(col)}, zh := {zh}, en := {en})"


def typed_and_checked(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """``stg.typed_<t>``: typed values, the first row-level reason (``_why``, NULL when the row is fine) and the text
    of the value it is about (``_value``); the reasons of refused rows go to ``stg.rejects``.

    One pass over the rows, stored compactly (``stg.typed_<t>_rows``; at 10M lines the table is most of the staging):
    a reason is its number in the list of checks, turned into its message only for refused rows; columns a source
    does not provide (a default or NULL) and the source's label are added by the view, not stored per row.
    """
    t = plan.table
    sel = ["i._src", "i._ord", "i._blank" if plan.in_place else "i._row"]
    for col in t.columns:
        sel.append(f"{_typed_expr(plan, col)} AS {col.name}")
        # Typed input (a preset's derived tables) has no raw text to keep.
        keep = col.name in plan.provided and not plan.typed
        raw = f"CAST(i.{col.name} AS VARCHAR)" if keep else "CAST(NULL AS VARCHAR)"
        sel.append(f"{raw} AS {col.name}__raw")
    typed = f"SELECT {', '.join(sel)} FROM {plan.relation} i"
    # Derived columns need typed inputs, hence the nested SELECT (one pass over the rows all the same).
    fill = []
    if t.name == "order_items":
        if "line_no" not in plan.provided:
            fill.append("row_number() OVER (PARTITION BY order_id ORDER BY _ord, _row)::INTEGER AS line_no")
        if "amount" not in plan.provided:
            fill.append("round(quantity * unit_price * (1 - discount), 2)::DECIMAL(18,2) AS amount")
    replace = f" REPLACE ({', '.join(fill)})" if fill else ""
    assert not (fill and plan.in_place), "a table read in place has no row numbers to number its lines by"
    # (condition, column, zh, en): the first that holds is the row's reason. The messages are SQL over the typed
    # columns and _value, the raw text of the reason's column.
    reasons: list[tuple[str, str, str, str]] = []
    for col in t.columns:
        n, raw = col.name, f"{col.name}__raw"
        derived = (t.name, n) in DERIVED and n not in plan.provided
        has_default = n in DEFAULTS.get(t.name, {})
        # Text (clean.txt, clean.ident, the allowed-value spellings) and already typed input are NULL exactly when
        # the text is blank or absent: missing is NULL alone, and no conversion can fail (fewer tests per line).
        blank_only = plan.typed or col.type == "VARCHAR"
        if not col.nullable and not has_default and not derived:
            missing = f"{n} IS NULL" if blank_only else f"{n} IS NULL AND nullif(trim({raw}), '') IS NULL"
            reasons.append((missing, n, "'缺少必填值'", "'required value is missing'"))
        if not derived and not blank_only:
            hz, he = _help(col)
            reasons.append(
                (
                    f"{n} IS NULL AND nullif(trim({raw}), '') IS NOT NULL",
                    n,
                    f"'值 \"' || {_val('_value')} || '\" 不是{hz}'",
                    f"'\"' || {_val('_value')} || '\" is not {he}'",
                )
            )
        if col.allowed:
            allowed = ", ".join(_q(a) for a in col.allowed)
            shown = _val(f"coalesce(_value, {n})")
            reasons.append(
                (
                    f"{n} NOT IN ({allowed})",
                    n,
                    f"'值 \"' || {shown} || '\" 不在允许的取值中({'、'.join(col.allowed)})'",
                    f"'\"' || {shown} || '\" is not one of {', '.join(col.allowed)}'",
                )
            )
        if col.check:
            rule = col.check.replace("'", "''")
            reasons.append(
                (
                    f"NOT ({col.check})",
                    n,
                    f"'值 \"' || {_val(n)} || '\" 不符合规则 {rule}'",
                    f"'\"' || {_val(n)} || '\" breaks the rule {rule}'",
                )
            )
    for chk in t.checks:
        rule = chk.replace("'", "''")
        reasons.append((f"NOT ({chk})", "", f"'不符合规则 {rule}'", f"'breaks the rule {rule}'"))
    assert len(reasons) < 256, t.name
    code = " ".join(f"WHEN {cond} THEN {k}" for k, (cond, *_) in enumerate(reasons, 1))
    why = f"(CASE {code} END)::UTINYINT" if reasons else "NULL::UTINYINT"
    # The text that failed, for the reasons about one column; kept only for refused rows.
    of_col = " ".join(f"WHEN {k} THEN {c}__raw" for k, (_, c, _, _) in enumerate(reasons, 1) if c)
    value = f"CASE _why {of_col} END" if of_col else "CAST(NULL AS VARCHAR)"
    # A column no source provides is one value for every row (its default, or NULL): the view adds it. The raw text
    # is stored only where a later step may still need it (keys and references, see raw_kept).
    constant = [c for c in t.columns if c.name not in plan.provided and (t.name, c.name) not in DERIVED]
    stored = ["_ord", "_blank" if plan.in_place else "_row", *(c.name for c in t.columns if c not in constant)]
    stored += [f"{c}__raw" for c in raw_kept(plan)]
    src = "_src"
    if plan.labels:
        src = "CASE _ord " + " ".join(f"WHEN {o} THEN {_q(lb)}" for o, lb in plan.labels.items()) + " END"
    else:
        stored.insert(0, "_src")
    con.execute(
        f"CREATE TABLE stg.typed_{t.name}_rows AS SELECT {', '.join(stored)}, _why, {value} AS _value "
        f"FROM (SELECT *, {why} AS _why FROM (SELECT *{replace} FROM ({typed})))"
    )
    cols = [f"{_typed_expr(plan, c)} AS {c.name}" if c in constant else c.name for c in t.columns]
    raws = [f"{c}__raw" for c in raw_kept(plan)]
    row, rows = "_row", f"stg.typed_{t.name}_rows"
    if plan.in_place:  # the rows are in file order: a row's number is its position plus the lines before it
        n = con.execute(f"SELECT count(*) FILTER (WHERE NOT _blank) FROM {rows}").fetchone()[0]
        lines = plan.in_place(n)
        row = "r.rowid + 2"
        if lines:
            row += " + coalesce(m.cnt, 0)"
            rows += f" r ASOF LEFT JOIN {lines} m ON r.rowid >= m.g WHERE NOT r._blank"
        else:
            rows += " r WHERE NOT r._blank"
            plan.in_order = True
    con.execute(
        f"CREATE VIEW stg.typed_{t.name} AS SELECT {src} AS _src, _ord, {row} AS _row, "
        f"{', '.join([*cols, *raws])}, _why, _value FROM {rows}"
    )
    if not reasons:
        return

    def by_reason(i: int) -> str:
        return "CASE _why " + " ".join(f"WHEN {k} THEN {r[i]}" for k, r in enumerate(reasons, 1)) + " END"

    column = "CASE _why " + " ".join(f"WHEN {k} THEN {_q(r[1])}" for k, r in enumerate(reasons, 1)) + " END"
    con.execute(
        f"INSERT INTO stg.rejects SELECT _src, _row, {_q(t.name)}, {column}, _value, {by_reason(2)}, "
        f"{by_reason(3)} FROM stg.typed_{t.name} WHERE _why IS NOT NULL"
    )


def drop_typed(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop ``stg.typed_<name>`` (the view and its rows)."""
    con.execute(f"DROP VIEW IF EXISTS stg.typed_{name}; DROP TABLE IF EXISTS stg.typed_{name}_rows")


def raw_kept(plan: Plan) -> list[str]:
    """Columns whose raw text stays in ``stg.typed_<t>``: those keys_and_references can refuse a row on."""
    t = plan.table
    if plan.typed or not plan.keyed:  # a preset's derived table has no raw text; its lines are not keyed
        return []
    return [c.name for c in t.columns if c.name == t.primary_key[0] or c.references]


def _raw_of(t: Table, columns: list[str], why: str) -> str:
    whens = " ".join(f"WHEN {_q(c)} THEN {c}__raw" for c in columns)
    return f"CASE {why}.col {whens} END" if columns else "CAST(NULL AS VARCHAR)"


def keys_and_references(
    con: duckdb.DuckDBPyConnection, plan: Plan, *, append: bool, imported: set[str], refs: dict[str, str]
) -> None:
    """``stg.ok_<t>``: rows that passed, minus duplicate keys and unknown references.

    ``refs`` maps a referenced table to the SQL relation of its valid keys after this import.
    """
    t = plan.table
    pk = ", ".join(t.primary_key)
    pk_text = " || '/' || ".join(f"CAST({k} AS VARCHAR)" for k in t.primary_key)
    cases = [
        "WHEN _dup > 1 THEN "
        + _reason(
            f"'重复的主键 ' || {pk_text} || '(首次出现在 ' || _first_src || ' 第 ' || _first_row || ' 行)'",
            f"'duplicate key ' || {pk_text} || ' (first seen in ' || _first_src || ' row ' || _first_row || ')'",
            t.primary_key[0],
        )
    ]
    # Keys in the warehouse and referenced keys are looked up by joins to their distinct keys (one hash table
    # each), not by a subquery per row: at 10M lines the subqueries cost more than the rest of the import.
    joins: list[str] = []
    flags: list[str] = []
    if append:
        on = " AND ".join(f"w.{k} = t.{k}" for k in t.primary_key)
        joins.append(f"LEFT JOIN (SELECT DISTINCT {pk}, true AS _hit FROM main.{t.name}) w ON {on}")
        flags.append("w._hit AS _in_warehouse")
        cases.append(
            "WHEN _in_warehouse THEN "
            + _reason(
                f"'主键 ' || {pk_text} || ' 已在数据仓库中(追加模式不覆盖已有行)'",
                f"'key ' || {pk_text} || ' is already in the warehouse (append never overwrites)'",
                t.primary_key[0],
            )
        )
    for i, col in enumerate(t.columns):
        if not col.references:
            continue
        rt, rc = col.references.split(".")
        joins.append(
            f"LEFT JOIN (SELECT DISTINCT r.{rc} AS k, true AS _hit FROM {refs[rt]} r) f{i} ON f{i}.k = t.{col.name}"
        )
        flags.append(f"f{i}._hit AS _known_{i}")
        cases.append(
            f"WHEN {col.name} IS NOT NULL AND _known_{i} IS NULL THEN "
            + _reason(
                f"'{col.name} \"' || {_val(col.name)} || '\" 在 {rt} 中不存在(数据仓库和本次导入都没有)'",
                f"'{col.name} \"' || {_val(col.name)} || '\" is not in {rt} (neither in the warehouse nor in this import)'",
                col.name,
            )
        )
    reason = f"CASE {' '.join(cases)} END"
    # Duplicate keys are rare: find their keys by grouping (no sort of every row), then number only their rows.
    con.execute(
        f"CREATE TABLE stg.dups_{t.name} AS SELECT _ord, _row, row_number() OVER w AS _dup, "
        f"first_value(_src) OVER w AS _first_src, first_value(_row) OVER w AS _first_row "
        f"FROM stg.typed_{t.name} SEMI JOIN (SELECT {pk} FROM stg.typed_{t.name} WHERE _why IS NULL "
        f"GROUP BY {pk} HAVING count(*) > 1) USING ({pk}) WHERE _why IS NULL "
        f"WINDOW w AS (PARTITION BY {pk} ORDER BY _ord, _row)"
    )
    con.execute(
        f"CREATE TABLE stg.checked_{t.name} AS SELECT *, {reason} AS _why2 FROM ("
        f"SELECT t.*, d._dup, d._first_src, d._first_row{''.join(', ' + f for f in flags)} FROM stg.typed_{t.name} t "
        f"LEFT JOIN stg.dups_{t.name} d ON d._ord = t._ord AND d._row = t._row {' '.join(joins)} "
        f"WHERE t._why IS NULL) c"
    )
    con.execute(f"DROP TABLE stg.dups_{t.name}")
    drop_typed(con, t.name)  # less staging to hold or spill
    con.execute(
        f"INSERT INTO stg.rejects SELECT _src, _row, {_q(t.name)}, _why2.col, "
        f"CAST({_raw_of(t, raw_kept(plan), '_why2')} AS VARCHAR), _why2.zh, _why2.en "
        f"FROM stg.checked_{t.name} WHERE _why2 IS NOT NULL"
    )
    cols = ", ".join(t.column_names)
    # A view, not another copy of every row: it is read a few times (counts, references, the final insert).
    con.execute(
        f"CREATE VIEW stg.ok_{t.name} AS SELECT _src, _row, {cols} FROM stg.checked_{t.name} WHERE _why2 IS NULL"
    )
