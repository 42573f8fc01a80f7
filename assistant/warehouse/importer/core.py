"""``import_files``: read, map, stage, validate, then swap into the warehouse in one transaction.

Staging lives in a separate in-memory DuckDB database attached as ``stg`` (beyond ``memory_limit`` it spills to
the import's temporary folder, so memory stays bounded; writing staging tables to a file cost about half of an
import's time); the warehouse is written only inside the final transaction, so a refused or failed import leaves
it exactly as it was.
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import duckdb

from assistant.core import config
from assistant.core.errors import AssistantError, InputError
from assistant.warehouse import derived
from assistant.warehouse.db import (
    connect,
    contract_problems,
    mark_source,
    replace_warehouse,
    write_lock,
)
from assistant.warehouse.importer import clean
from assistant.warehouse.importer.mapping import contract_table, guess_table, map_columns
from assistant.warehouse.importer.models import (
    ImportFailed,
    ImportOptions,
    ImportReport,
    Message,
    SourceReport,
    TableReport,
)
from assistant.warehouse.importer.sources import PARSE_REASONS, Loader, Source, sql_str
from assistant.warehouse.importer.validate import DEFAULTS, DERIVED, Plan, is_id, keys_and_references, typed_and_checked
from assistant.warehouse.importer.workdir import make_workdir, sweep_stale
from assistant.warehouse.schema import TABLES, TABLES_BY_NAME, Table, add_primary_key, ddl, foreign_keys

FIRST_REJECTS = 5


def import_files(
    paths: Sequence[str | Path], options: ImportOptions | None = None, db: str | Path | None = None
) -> ImportReport:
    """Import the files into the warehouse ``db`` (default: config.db_path()); the report says what happened.

    Raises ``ImportFailed``/``InputError`` (both ``AssistantError``) when nothing was written.
    """
    opts = options or ImportOptions()
    if not paths:
        raise InputError("没有指定要导入的文件。", "No files to import.")
    if opts.table and opts.preset:
        raise InputError("--table 和 --preset 只能选一个。", "Pass either --table or --preset, not both.")
    if opts.table:
        contract_table(opts.table)
    db_path = config.db_path(db)
    parent = db_path.parent if db_path.parent.exists() else None
    if parent is not None:
        sweep_stale(parent)  # what killed imports left here
    workdir = make_workdir(parent)
    con = connect(db_path, read_only=False)
    try:
        return _run(con, [Path(p) for p in paths], opts, db_path, workdir)
    except duckdb.Error as exc:  # not foreseen by a rule above: still nothing was written
        raise AssistantError(
            f"导入失败,数据仓库没有改变:{exc}",
            f"The import failed and the warehouse is unchanged: {exc}",
        ) from exc
    finally:
        try:
            con.execute("DETACH DATABASE IF EXISTS stg")
        except duckdb.Error:
            pass
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _run(
    con: duckdb.DuckDBPyConnection, paths: list[Path], opts: ImportOptions, db_path: Path, workdir: Path
) -> ImportReport:
    con.execute(f"SET memory_limit = {sql_str(opts.memory_limit)}")
    con.execute(f"SET temp_directory = {sql_str(str(workdir / 'spill'))}")
    con.execute("ATTACH ':memory:' AS stg")
    existing = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall()
    }
    fresh = not existing
    if not fresh:
        problems = contract_problems(con)
        if problems:
            raise AssistantError(
                f"数据仓库 {db_path} 与数据契约不符:{'; '.join(problems[:5])}",
                f"Warehouse {db_path} does not match the contract: {'; '.join(problems[:5])}",
            )
    con.execute(
        "CREATE TABLE stg.rejects (src VARCHAR, _row BIGINT, tbl VARCHAR, col VARCHAR, value VARCHAR, zh VARCHAR, en VARCHAR)"
    )
    report = ImportReport(db=str(db_path), mode=opts.mode)
    # One transaction log in one CSV file (the big case) is typed straight from the file, never staged as text.
    loader = Loader(con, workdir, lazy=opts.preset == "transactions" and len(paths) == 1)
    sources: list[Source] = []
    for p in paths:
        sources.extend(loader.load(p))
    in_place = sources[0] if len(sources) == 1 and sources[0].scan else None

    plans: dict[str, list[tuple[Source, Plan]]] = {}
    headers_of: dict[tuple[str, str], str] = {}  # (source, target column) → header, for messages
    for ord_, src in enumerate(sources):
        if opts.preset == "transactions":
            from assistant.warehouse.importer.transactions import TRANSACTIONS

            table = TRANSACTIONS
        else:
            name = opts.table or guess_table(src.headers, Path(src.sheet or src.path.stem).name)
            if name is None:
                raise InputError(
                    f"{src.label}:无法判断要导入哪张表(列:{', '.join(src.headers[:12])})。请用 --table 指定,或用 --preset transactions 导入交易流水。",
                    f"{src.label}: cannot tell which table this is (columns: {', '.join(src.headers[:12])}). "
                    "Pass --table, or --preset transactions for a transaction log.",
                    file=src.label,
                )
            table = contract_table(name)
        m = map_columns(src.headers, table, opts.mapping, src.label)
        missing = [
            c.name
            for c in table.columns
            if not c.nullable
            and c.name not in m.columns
            and c.name not in DEFAULTS.get(table.name, {})
            and (table.name, c.name) not in DERIVED
        ]
        if missing:
            raise InputError(
                f"{src.label}:缺少 {table.name} 表的必需列 {', '.join(missing)}。文件的列:{', '.join(src.headers)}。"
                f"可改列名,或用 --map 源列=目标列 指定。",
                f"{src.label}: missing required column(s) {', '.join(missing)} for table {table.name}. "
                f"The file has: {', '.join(src.headers)}. Rename them or pass --map source=target.",
                file=src.label,
                columns=missing,
            )
        for h, tgt in m.used.items():
            headers_of[(src.label, tgt)] = h
        cols = ", ".join(f"c{i} AS {tgt}" for tgt, i in m.columns.items())
        rel = f"(SELECT {sql_str(src.label)} AS _src, {ord_} AS _ord, _row, {cols} FROM {src.raw})"
        plan = Plan(table, rel, set(m.columns))
        if src is in_place:
            scans = (
                f"(SELECT {sql_str(src.label)} AS _src, {ord_} AS _ord, _blank, {cols} FROM {src.scan})",
                f"(SELECT {cols} FROM {src.fast})",
            )
        plans.setdefault(table.name, []).append((src, plan))
        report.sources.append(
            SourceReport(
                source=src.label,
                table=table.name,
                encoding=src.encoding,
                delimiter=src.delimiter,
                rows=src.rows,
                mapping=m.used,
                ignored=m.ignored,
                defaults={k: v for k, v in DEFAULTS.get(table.name, {}).items() if k not in m.columns},
            )
        )
    con.execute("CREATE TABLE stg.colnames (src VARCHAR, col VARCHAR, header VARCHAR)")
    if headers_of:
        con.executemany("INSERT INTO stg.colnames VALUES (?, ?, ?)", [(s, c, h) for (s, c), h in headers_of.items()])

    # One plan per table: the union of its sources (each with its own date orders).
    merged: dict[str, Plan] = {}
    for name, items in plans.items():
        table = items[0][1].table
        provided = set().union(*(p.provided for _, p in items))
        parts = []
        orders: dict[str, str | None] = {}
        for src, p in items:
            cols = ", ".join(
                (c.name if c.name in p.provided else f"CAST(NULL AS VARCHAR) AS {c.name}")
                for c in table.columns
                if c.name in provided
            )
            parts.append(f"SELECT _src, _ord, _row, {cols} FROM {p.relation}")
            for c in table.columns:
                if c.name in p.provided and c.type in ("DATE", "TIMESTAMP"):
                    header = headers_of.get((src.label, c.name), c.name)
                    fast = scans[1] if src is in_place else None
                    o = clean.infer_date_order(con, p.relation, c.name, opts.date_order, src.label, header, fast)
                    if c.name in orders and orders[c.name] and o and orders[c.name] != o:
                        raise InputError(
                            f"{name}.{c.name}:各文件的日期顺序不一致,请用 --date-order 指定。",
                            f"{name}.{c.name}: the files disagree on the date order; pass --date-order.",
                        )
                    orders[c.name] = orders.get(c.name) or o
        labels = {sources.index(src): src.label for src, _ in items}
        if in_place is not None:  # the file's rows are read by the typing, once (see sources.Source.scan)
            merged[name] = Plan(
                table,
                scans[0],
                provided,
                date_orders=orders,
                labels=labels,
                in_place=lambda rows: loader.scanned(in_place, rows),
            )
            continue
        con.execute(f"CREATE VIEW stg.in_{name} AS " + " UNION ALL ".join(parts))
        merged[name] = Plan(table, f"stg.in_{name}", provided, date_orders=orders, labels=labels)

    built: set[str] = set()  # tables whose rows are valid by construction, staged as they are
    ordered: set[str] = set()  # staged tables whose rows come in file order already (the swap need not sort them)
    if opts.preset == "transactions":
        from assistant.warehouse.importer.transactions import PICKED, derive

        tx = merged.pop("transactions")
        tx.keyed = False  # its lines are split into four tables, each keyed on its own
        tx.untrimmed = PICKED
        typed_and_checked(con, tx)
        if in_place is not None:  # its rows are counted as it is read
            report.sources[0].rows = in_place.rows
        # A replace stages the preset's tables without checking them again: once derive has refused its lines, every
        # reject is known and the file's text can go, all but the rejected rows' lines for the rejects file (at 10M
        # lines it is ~1 GB of staging, which spilled to disk while the tables were built).
        replace = opts.mode == "replace"
        merged = derive(
            con,
            tx,
            append=opts.mode == "append" and not fresh,  # nothing to skip if new
            report=report,
            rejects_known=(lambda: _keep_originals(con, sources)) if replace else None,
        )
        if replace:
            built, ordered = _stage_built(con, merged, in_order=tx.in_order)

    imported = set(merged)
    refs: dict[str, str] = {}
    for t in TABLES:
        parts = []
        if t.name in imported:
            parts.append(f"SELECT {t.primary_key[0]} FROM stg.ok_{t.name}")
        if t.name not in imported or opts.mode == "append":
            if not fresh:
                parts.append(f"SELECT {t.primary_key[0]} FROM main.{t.name}")
        refs[t.name] = "(" + (" UNION ALL ".join(parts) or f"SELECT NULL::VARCHAR AS {t.primary_key[0]}") + ")"
    # Tables in contract order, so referenced tables are settled before the tables that refer to them.
    for t in TABLES:
        if t.name not in merged:
            continue
        plan = merged[t.name]
        if t.name not in built:
            typed_and_checked(con, plan)
            keys_and_references(con, plan, append=opts.mode == "append" and not fresh, imported=imported, refs=refs)
        _warn_formulas(con, t, report)
    if opts.preset == "transactions" and not built:
        from assistant.warehouse.importer.transactions import drop_lines

        drop_lines(con)  # the preset's lines, now in its four tables (staged tables built here still read them)

    _count(con, report, merged, built)
    _summarise(con, report, merged, fresh, built)
    report.first_rejects = _first_rejects(con)
    if report.rows_rejected:
        report.rejects_path = str(_write_rejects(con, opts, db_path, sources))
    rate = report.rows_rejected / report.rows_read if report.rows_read else 0.0
    if report.rows_rejected and rate > opts.max_reject_rate:
        report.ok = False
        first = report.first_rejects[0] if report.first_rejects else Message(zh="", en="")
        raise ImportFailed(
            f"拒收 {report.rows_rejected:,}/{report.rows_read:,} 行({rate:.1%}),超过上限 {opts.max_reject_rate:.1%},"
            f"未导入任何数据。第一处问题:{first.zh}。全部拒收行见 {report.rejects_path}"
            "(可用 --max-reject-rate 提高上限)。",
            f"{report.rows_rejected:,} of {report.rows_read:,} rows rejected ({rate:.1%}), above the "
            f"{opts.max_reject_rate:.1%} limit; nothing was imported. First problem: {first.en}. "
            f"All rejected rows are in {report.rejects_path} (raise the limit with --max-reject-rate).",
            report=report,
            rejects=report.rejects_path,
        )
    if report.rows_read - report.rows_rejected - report.lines_without_customer <= 0:
        raise ImportFailed("没有可导入的行。", "No rows to import.", report=report)
    totals = None
    if built >= {"orders", "order_items", "products"}:
        from assistant.warehouse.importer.transactions import ORDER_TOTALS

        totals = ORDER_TOTALS
    _swap(con, merged, opts, fresh, totals, ordered)
    return report


def _stage_built(
    con: duckdb.DuckDBPyConnection, merged: dict[str, Plan], *, in_order: bool = False
) -> tuple[set[str], set[str]]:
    """Stage a preset's tables as ``stg.ok_<t>`` without checking them again: valid by construction. Returns them,
    and those whose rows come in file order (the order lines, when transactions.numbered_lines says so).

    Only for a replace, where the import brings every table they refer to. Each row comes from validated lines
    (required values present, types converted, the contract's rules on quantity and price met), with defaults
    for the rest; keys are unique by grouping (customers, products, orders) or by numbering (order lines); every
    reference is to a row built from the same lines. The warehouse's own NOT NULL, CHECK and PRIMARY KEY
    constraints still hold every row at the swap. Re-checking cost as much as the rest of the import at 10M lines;
    tests/importer/test_transactions.py runs the full checks over these tables on hostile logs.
    """
    from assistant.warehouse.importer.transactions import drop_sides, numbered_lines

    for name, plan in merged.items():
        if name != "order_items":  # orders keep the per-order values order_totals is built from (ORDER_TOTALS)
            con.execute(f"CREATE TABLE stg.ok_{name} AS SELECT * EXCLUDE (_ord) FROM {plan.relation}")
    drop_sides(con)
    # The lines are numbered once, as they are written, in file order (the swap reads this view once; counts skip it).
    cols = ", ".join(merged["order_items"].table.column_names)
    lines, in_file_order = numbered_lines(con, in_order)
    con.execute(f"CREATE VIEW stg.ok_order_items AS SELECT _src, _row, {cols} FROM {lines}")
    return set(merged), {"order_items"} if in_file_order else set()


def _warn_formulas(con: duckdb.DuckDBPyConnection, t: Table, report: ImportReport) -> None:
    text_cols = [c for c in t.columns if c.type == "VARCHAR" and not is_id(t, c) and not c.allowed]
    if not text_cols:
        return
    # One scan for all the columns; the first character decides (what clean.FORMULA matches).
    marks = ", ".join(f"'{m}'" for m in clean.FORMULA_MARKS)
    counts = con.execute(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE left({c.name}, 1) IN ({marks}))" for c in text_cols)
        + f" FROM stg.ok_{t.name}"
    ).fetchone()
    for c, n in zip(text_cols, counts, strict=True):
        if n:
            report.warnings.append(
                Message(
                    zh=f"{t.name}.{c.name}:{n} 个值以 = + - @ 开头,已按文本原样保存;导出时会加前缀 ' 以免被当作公式执行。",
                    en=f"{t.name}.{c.name}: {n} value(s) start with = + - @; kept as text, and prefixed with ' "
                    "when exported so spreadsheets do not run them as formulas.",
                )
            )


def _count(con: duckdb.DuckDBPyConnection, report: ImportReport, merged: dict[str, Plan], built: set[str]) -> None:
    parse = dict(con.execute("SELECT src, count(*) FROM stg.parse_rejects GROUP BY src").fetchall())
    by_src_table = {s.source: s.table for s in report.sources}
    for s in report.sources:
        tr = report.tables.setdefault(s.table, TableReport(table=s.table))
        tr.read += s.rows
        tr.rejected += parse.get(s.source, 0)
    # Parse rejects become rows of the rejects table, under their source's table.
    con.execute(
        "INSERT INTO stg.rejects SELECT p.src, p._row, m.tbl, NULL, NULL, NULL, p.kind FROM stg.parse_rejects p "
        "JOIN (SELECT unnest($s) AS src, unnest($t) AS tbl) m USING (src)",
        {"s": list(by_src_table), "t": list(by_src_table.values())},
    )
    for tbl, n in con.execute("SELECT tbl, count(*) FROM stg.rejects WHERE zh IS NOT NULL GROUP BY tbl").fetchall():
        tr = report.tables.setdefault(tbl, TableReport(table=tbl))
        tr.rejected += n
    for name in merged:
        tr = report.tables.setdefault(name, TableReport(table=name))
        if name == "order_items" and name in built:  # one line each, and counting the view would number them
            tr.imported = report.tables["transactions"].imported
        else:
            tr.imported = con.execute(f"SELECT count(*) FROM stg.ok_{name}").fetchone()[0]
        if name not in {s.table for s in report.sources}:
            tr.read = tr.imported + tr.rejected  # derived by a preset
    report.rows_read = sum(s.rows for s in report.sources)
    # A source row counts once, however many tables (or derived rows) it failed in.
    report.rows_rejected = con.execute("SELECT count(*) FROM (SELECT DISTINCT src, _row FROM stg.rejects)").fetchone()[
        0
    ]


def _summarise(
    con: duckdb.DuckDBPyConnection, report: ImportReport, merged: dict[str, Plan], fresh: bool, built: set[str]
) -> None:
    if "orders" in merged:
        lo, hi = con.execute("SELECT min(order_date), max(order_date) FROM stg.ok_orders").fetchone()
        if lo:
            report.date_range = (str(lo), str(hi))
    # Customers in the imported data: those imported, and those the imported orders belong to.
    ids = [f"SELECT customer_id FROM stg.ok_{t}" for t in ("customers", "orders") if t in merged]
    if ids:
        report.customers = con.execute(
            f"SELECT count(DISTINCT customer_id) FROM ({' UNION ALL '.join(ids)})"
        ).fetchone()[0]
    if {"orders", "order_items"} <= built:  # a preset's staged orders carry their value: no pass over the lines
        rev = con.execute("SELECT coalesce(sum(_revenue), 0) FROM stg.ok_orders WHERE status = 'completed'").fetchone()
        report.revenue = Decimal(rev[0])
    elif "order_items" in merged:
        orders = "stg.ok_orders" if "orders" in merged else ("main.orders" if not fresh else None)
        if orders:
            rev = con.execute(
                f"SELECT coalesce(sum(i.amount), 0) FROM stg.ok_order_items i JOIN {orders} o USING (order_id) "
                "WHERE o.status = 'completed'"
            ).fetchone()[0]
            report.revenue = Decimal(rev)


def _first_rejects(con: duckdb.DuckDBPyConnection) -> list[Message]:
    rows = con.execute(
        "SELECT r.src, r._row, r.tbl, r.col, coalesce(n.header, r.col), r.zh, r.en, p.kind FROM stg.rejects r "
        "LEFT JOIN stg.colnames n ON n.src = r.src AND n.col = r.col "
        "LEFT JOIN stg.parse_rejects p ON r.zh IS NULL AND p.src = r.src AND p._row = r._row "
        f"ORDER BY r.src, r._row LIMIT {FIRST_REJECTS}"
    ).fetchall()
    out = []
    for src, row, _tbl, col, header, zh, en, kind in rows:
        if zh is None:
            zh, en = PARSE_REASONS.get(kind, (kind, kind))
        where_zh = f"{src} 第 {row} 行" + (f" 列 {header}" + (f"({col})" if header != col else "") if col else "")
        where_en = f"{src} row {row}" + (f" column {header}" + (f" ({col})" if header != col else "") if col else "")
        out.append(Message(zh=f"{where_zh}:{zh}", en=f"{where_en}: {en}"))
    return out


def _csv_line(src: Source) -> str:
    """SQL for a source row written back as one CSV line (the original row in the rejects file)."""
    d = (src.delimiter or ",").replace("'", "''")
    fields = [
        f"CASE WHEN c{i} IS NULL THEN '' WHEN regexp_matches(c{i}, '[\"\\n\\r{d}]') "
        f"THEN '\"' || replace(c{i}, '\"', '\"\"') || '\"' ELSE c{i} END"
        for i in range(len(src.headers))
    ]
    return f"concat_ws('{d}', {', '.join(fields)})"


def _originals(sources: list[Source]) -> str:
    """SQL for the original lines (src, _row, line) of the rows rejected so far."""
    return " UNION ALL ".join(
        f"SELECT {sql_str(s.label)} AS src, _row, {_csv_line(s)} AS line FROM {s.raw} "
        f"WHERE _row IN (SELECT _row FROM stg.rejects WHERE src = {sql_str(s.label)})"
        for s in sources
    )


def _keep_originals(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """Keep the rejected rows' original lines in ``stg.originals``, then drop the sources' staged text.

    Only once no check is left that could reject a row (a reject later would find no original line).
    """
    # Only the sources with rejects are read (a file read in place is read again for them).
    rejected = {r[0] for r in con.execute("SELECT DISTINCT src FROM stg.rejects").fetchall()}
    originals = (
        _originals([s for s in sources if s.label in rejected]) or "SELECT NULL AS src, NULL AS _row, NULL AS line"
    )
    con.execute(f"CREATE TABLE stg.originals AS {originals}")
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE database_name = 'stg'").fetchall()}
    for v in sorted(v for v in views if v.startswith("in_")):
        con.execute(f"DROP VIEW stg.{v}")  # the tables' unions read the sources' views
    for src in sources:
        name = src.raw.removeprefix("stg.")
        con.execute(f"DROP VIEW stg.{name}")
        if not src.scan:  # a file read in place has no text staged; its line map is read by its typed rows
            con.execute(f"DROP TABLE IF EXISTS stg.{name}_0; DROP TABLE IF EXISTS stg.{name}_map")


def _write_rejects(con: duckdb.DuckDBPyConnection, opts: ImportOptions, db_path: Path, sources: list[Source]) -> Path:
    path = opts.rejects_path or db_path.with_name(db_path.stem + ".rejects.csv")
    kept = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'stg' AND table_name = 'originals'"
    ).fetchone()[0]
    originals = "SELECT * FROM stg.originals" if kept else _originals(sources)
    cur = con.execute(
        "SELECT r.src, r._row, r.tbl, coalesce(n.header, r.col), r.value, r.zh, r.en, p.kind, "
        "coalesce(p.line, o.line) FROM stg.rejects r "
        "LEFT JOIN stg.colnames n ON n.src = r.src AND n.col = r.col "
        "LEFT JOIN stg.parse_rejects p ON p.src = r.src AND p._row = r._row "
        f"LEFT JOIN ({originals}) o ON o.src = r.src AND o._row = r._row ORDER BY r.src, r._row"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # UTF-8 with BOM so Excel shows the Chinese; cells that look like formulas get a leading '.
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["文件/file", "行/row", "表/table", "列/column", "值/value", "原因", "reason", "原始行/original row"]
        )
        while batch := cur.fetchmany(10_000):
            for src, row, tbl, col, value, zh, en, kind, line in batch:
                if zh is None:
                    zh, en = PARSE_REASONS.get(kind, (kind, kind))
                w.writerow([src, row, tbl, col, _safe(value), zh, en, _safe((line or "").rstrip("\r\n"))])
    return path


def _safe(v: str | None) -> str:
    if v is None:
        return ""
    return "'" + v if v[:1] in ("=", "+", "-", "@") else v


def _swap(
    con: duckdb.DuckDBPyConnection,
    merged: dict[str, Plan],
    opts: ImportOptions,
    fresh: bool,
    totals: str | None,
    ordered: frozenset[str] | set[str] = frozenset(),
) -> None:
    """Write every accepted row in one transaction: all or nothing, in file order. ``totals``: see derived.build;
    ``ordered``: tables whose staged rows come in file order already, written as they come (a sort less)."""
    con.execute("BEGIN TRANSACTION")
    try:
        # The tables written whole (new, or replaced) are created without their primary key and get it after their
        # rows (add_primary_key: the same constraint, checked at COMMIT, a fraction of the cost of inserting into a
        # keyed table, or of deleting from one); a table without a key index (schema.Table.key_index) gets none.
        if fresh:
            for t in TABLES:
                con.execute(ddl(t, primary_key=t.name not in merged))
        if opts.mode == "replace" and not fresh:
            _check_orphans(con, set(merged))
        rebuilt = fresh or opts.mode == "replace"
        for t in TABLES:
            if t.name not in merged:
                continue
            if rebuilt and not fresh:
                con.execute(f"DROP TABLE main.{t.name}")
                con.execute(ddl(t, name=f"main.{t.name}", primary_key=False))
            cols = ", ".join(t.column_names)
            order = "" if t.name in ordered else " ORDER BY _row"
            con.execute(f"INSERT INTO main.{t.name} ({cols}) SELECT {cols} FROM stg.ok_{t.name}{order}")
            if rebuilt and t.key_index:
                con.execute(add_primary_key(t, name=f"main.{t.name}"))
        if set(merged) & derived.SOURCES:  # in the same transaction: never a moment with stale totals
            derived.build(con, totals)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.TransactionException:
            pass  # a failed COMMIT (a duplicate key found as the keys are built) has already rolled back
        raise


def _check_orphans(con: duckdb.DuckDBPyConnection, replaced: set[str]) -> None:
    """Rows the import does not touch must still find what they refer to after a replace."""
    for t, c, rt, rc in foreign_keys():
        if rt not in replaced or t in replaced:
            continue
        n = con.execute(
            f"SELECT count(*) FROM main.{t} x WHERE x.{c} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM stg.ok_{rt} r WHERE r.{rc} = x.{c})"
        ).fetchone()[0]
        if n:
            raise InputError(
                f"替换 {rt} 后,数据仓库中 {t} 表有 {n:,} 行的 {c} 将找不到对应记录。请一并导入 {t},"
                f"改用 --mode append,或用 --db 导入到新的数据仓库。",
                f"After replacing {rt}, {n:,} row(s) of {t} in the warehouse would refer to a missing {c}. "
                f"Import {t} too, use --mode append, or import into a new warehouse with --db.",
                table=t,
                rows=n,
            )


def import_replacing(
    paths: Sequence[str | Path], options: ImportOptions | None, path: str | Path, *, by: str | None = None
) -> ImportReport:
    """Import into a copy of the warehouse, then move the copy into place at once (keeping a backup).

    Readers keep answering from the old file during the import; a failed import leaves no trace.
    """
    path = Path(path)
    work = path.with_name(path.name + ".importing")
    opts = options or ImportOptions()
    if opts.rejects_path is None:  # beside the warehouse, named after it, not after the working copy
        opts = opts.model_copy(update={"rejects_path": path.with_name(path.stem + ".rejects.csv")})
    with write_lock(path):
        work.unlink(missing_ok=True)
        if path.exists():
            shutil.copyfile(path, work)
            os.chmod(work, 0o600)
        try:
            try:
                report = import_files(paths, opts, db=work)
            except AssistantError as exc:
                failed = getattr(exc, "report", None)
                if failed is not None:
                    failed.db = str(path)
                raise
            report.db = str(path)
            replace_warehouse(work, path)
            mark_source(path, "imported", by)
        finally:
            work.unlink(missing_ok=True)
            Path(str(work) + ".wal").unlink(missing_ok=True)
    return report


__all__ = ["TABLES_BY_NAME", "import_files", "import_replacing"]
