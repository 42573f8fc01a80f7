"""The ``transactions`` preset: one row per invoice line, split into customers, products, orders, order_items.

The layout of the UCI Online Retail data set (InvoiceNo, StockCode, Description, Quantity,
InvoiceDate, UnitPrice, CustomerID, Country) and of most shop exports. The rules (also in
docs/data.md): invoice ids starting with C are cancelled orders; other lines with a negative
quantity are returns (split off as order ``<invoice>-R`` when the invoice also sells); neither is
revenue. Lines with no customer id are counted and left out. Quantities are stored positive.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from assistant.warehouse.importer.models import ImportReport, TableReport
from assistant.warehouse.importer.sources import sql_str
from assistant.warehouse.importer.validate import Plan, drop_typed
from assistant.warehouse.schema import TABLES_BY_NAME, Column, Table

C = Column
TRANSACTIONS = Table(
    "transactions",
    "交易流水",
    "Transaction log (one row per invoice line)",
    (
        C("invoice", "VARCHAR", "发票/订单号", "Invoice or order id"),
        C("stock_code", "VARCHAR", "商品编码", "Product code"),
        C("description", "VARCHAR", "商品描述", "Product description", nullable=True),
        C("quantity", "INTEGER", "数量", "Quantity (negative for returns)", check="quantity <> 0"),
        C("invoice_date", "TIMESTAMP", "交易时间", "Date and time"),
        C("unit_price", "DECIMAL(18,2)", "单价", "Unit price", check="unit_price >= 0"),
        C("customer_id", "VARCHAR", "客户编号", "Customer id", nullable=True),
        C("customer_name", "VARCHAR", "客户名称", "Customer name", nullable=True),
        C("country", "VARCHAR", "国家/地区", "Country or region", nullable=True),
        C("city", "VARCHAR", "城市", "City", nullable=True),
        C("channel", "VARCHAR", "渠道", "Sales channel", nullable=True),
    ),
    ("invoice", "stock_code"),
)

UNKNOWN = "'未知'"
AMOUNT = "round(abs(quantity) * unit_price, 2)::DECIMAL(18,2)"  # a line's amount (order_items.amount)
# Each staged order with its value as derived.build_sql computes it from the orders and lines: revenue Σ amount; margin
# the same and every line without cost, since the preset's products carry no cost. Only for a replace, where every
# order and product is the preset's own.
ORDER_TOTALS = (
    "SELECT order_id, customer_id, order_date, channel, status, _revenue::DECIMAL(18, 2) AS revenue, "
    "_revenue::DECIMAL(18, 2) AS margin, _lines::INTEGER AS lines_without_cost FROM stg.ok_orders"
)
# The orders from the sides of the invoices (stg.tx_p) when no order is shared by two invoices; the tests compare
# them with grouping the lines by order (False).
BY_SIDE = True
# Below this many lines, numbered_lines packs two running values in one BIGINT (the tests set it to 0 to compare).
PACKED_LINES = 1 << 31
# One BIGINT per line in file order ((_ord, _row) as a number): cheaper to compare and carry than a pair.
KEY = "((_ord::BIGINT << 40) | _row)"
# The lines kept when every invoice names one customer, and their order: a return of an invoice that also sells
# (stg.tx_split) is split off as order <invoice>-R.
LINES = "(SELECT * FROM stg.typed_transactions WHERE _why IS NULL AND customer_id IS NOT NULL)"
RETURN = "(upper(invoice) NOT LIKE 'C%' AND quantity < 0)"  # a return line, unless its invoice is cancelled
SPLIT_ORDER_ID = (
    f"CASE WHEN {RETURN} AND invoice IN (SELECT invoice FROM stg.tx_split) THEN invoice || '-R' ELSE invoice END"
)


# The text columns read by picking one line's value (_first, _last): their lines may keep spaces at the end
# (validate.Plan.untrimmed); the picked value is trimmed, not every line's.
PICKED = frozenset({"description", "customer_name", "country", "city", "channel"})


def _first(col: str) -> str:
    """The first non-NULL value in file order (arg_min over one key: no per-group sort as ORDER BY takes); of a
    PICKED column, trimmed."""
    first = f"arg_min({col}, {KEY}) FILTER (WHERE {col} IS NOT NULL)"
    return f"trim({first})" if col in PICKED else first


def _last(col: str, by: str) -> str:
    """The non-NULL value with the greatest ``by``; of a PICKED column, trimmed."""
    last = f"arg_max({col}, {by}) FILTER (WHERE {col} IS NOT NULL)"
    return f"trim({last})" if col in PICKED else last


def derive(
    con: duckdb.DuckDBPyConnection,
    tx: Plan,
    *,
    append: bool,
    report: ImportReport,
    rejects_known: Callable[[], None] | None = None,
) -> dict[str, Plan]:
    """From ``stg.typed_transactions`` (already typed and checked) to typed plans for the four tables.

    ``rejects_known`` is called once the lines it refuses are in ``stg.rejects``.

    Their lines are ``stg.tx``: a view over the typed lines when every invoice names one customer (the usual
    case: no copy of every line), a table of the lines that keep their invoice's customer otherwise.
    """
    without, used = con.execute(
        "SELECT count(*) FILTER (WHERE customer_id IS NULL), count(*) FILTER (WHERE customer_id IS NOT NULL) "
        "FROM stg.typed_transactions WHERE _why IS NULL"
    ).fetchone()
    report.lines_without_customer = without
    # An invoice belongs to the customer on its first line; a line naming another customer is rejected. An invoice
    # that also sells splits its returns off. Both per invoice by grouping, not by window functions over every
    # line. Usually every invoice names one customer: one grouping of the lines by invoice and side (a return or
    # not; stg.tx_p) is, side by side, the orders (an order is a side of an invoice, both when it does not split:
    # the lines need no second grouping by order), and gives what is needed per invoice (stg.tx_inv1): whether it
    # splits, names two customers, has lines missing between its first and last (refused, without customer, another
    # invoice's: see numbered_lines) or is named like a split-off order (X-R). Only the invoices with a side that
    # could be one of those are grouped again, a few. When an invoice names two customers, its lines are grouped per
    # (invoice, customer), then the earliest of those per invoice (its customer's lines only), for the rejects.
    channel = _first("channel") if "channel" in tx.provided else "NULL::VARCHAR"
    con.execute(
        f"CREATE TABLE stg.tx_p AS SELECT invoice, {RETURN} AS _ret, min(_ord) AS _ord, min(_row) AS _row, "
        f"min(customer_id) AS _c0, max(customer_id) AS _c1, min(invoice_date) AS _d, {channel} AS _channel, "
        f"sum({AMOUNT}) AS _revenue, count(*) AS _lines, min({KEY}) AS _k0, max({KEY}) AS _k1 "
        f"FROM {LINES} GROUP BY invoice, _ret"
    )
    # An invoice's sides: one unless it splits (its returns a side of their own); a cancellation is one side.
    con.execute(
        "CREATE TABLE stg.tx_inv1 AS SELECT * FROM (SELECT invoice, bool_or(_ret) AND bool_or(NOT _ret) AS _split, "
        "min(_c0) <> max(_c1) AS _shared, max(_k1) - min(_k0) + 1 <> sum(_lines) AS _gaps FROM stg.tx_p "
        "SEMI JOIN (SELECT invoice FROM stg.tx_p WHERE _ret OR _c0 <> _c1 OR _k1 - _k0 + 1 <> _lines "
        "OR invoice LIKE '%-R') USING (invoice) GROUP BY invoice) WHERE _split OR _shared OR _gaps OR invoice LIKE '%-R'"
    )
    shared = con.execute("SELECT count(*) FROM stg.tx_inv1 WHERE _shared").fetchone()[0]
    status = (
        "CASE WHEN upper(invoice) LIKE 'C%' THEN 'cancelled' WHEN quantity < 0 THEN 'returned' "
        "ELSE 'completed' END AS status"
    )
    cols = ", ".join(f"t.{c.name}" for c in TRANSACTIONS.columns)  # typed values only: raw text was for rejects
    shared_order = 0
    if shared:
        con.execute(
            "CREATE TABLE stg.tx_inv AS SELECT invoice, arg_min(customer_id, k) AS _cust, arg_min(first_row, k) AS _cust_row, "
            "arg_min(sells, k) AS _sells, arg_min(returns, k) AS _returns, count(*) AS _customers FROM ("
            f"SELECT invoice, customer_id, min({KEY}) AS k, arg_min(_row, {KEY}) AS first_row, "
            "bool_or(quantity > 0) AS sells, bool_or(quantity < 0) AS returns FROM stg.typed_transactions "
            "WHERE _why IS NULL AND customer_id IS NOT NULL GROUP BY invoice, customer_id) GROUP BY invoice"
        )
        con.execute(
            "INSERT INTO stg.rejects SELECT _src, _row, 'transactions', 'customer_id', customer_id, "
            "'发票 ' || invoice || ' 属于客户 ' || _cust || '(第 ' || _cust_row || ' 行),本行却是客户 ' || customer_id, "
            "'invoice ' || invoice || ' belongs to customer ' || _cust || ' (row ' || _cust_row || '), this line names ' || customer_id "
            "FROM stg.typed_transactions JOIN stg.tx_inv USING (invoice) WHERE _why IS NULL AND customer_id <> _cust"
        )
    if rejects_known:
        rejects_known()
    if shared:
        con.execute(
            f"CREATE TABLE stg.tx AS SELECT t._src, t._ord, t._row, {cols}, {status}, "
            "CASE WHEN upper(invoice) NOT LIKE 'C%' AND quantity < 0 AND _sells THEN invoice || '-R' ELSE invoice END AS order_id "
            "FROM stg.typed_transactions t JOIN stg.tx_inv i USING (invoice) WHERE _why IS NULL AND customer_id = _cust"
        )
        drop_typed(con, "transactions")
        used = con.execute("SELECT count(*) FROM stg.tx").fetchone()[0]
        tx.in_order = False  # the lines are a table built by a join, in no particular order
        lines = "stg.tx"
    else:
        # Every line keeps its invoice's customer, so no line needs its invoice's row: only the returns of invoices
        # that also sell (a small table) are looked up, and the lines are read in place by each table below.
        con.execute("CREATE TABLE stg.tx_split AS SELECT invoice FROM stg.tx_inv1 WHERE _split")
        # An order shared by two invoices: invoice X-R and the returns split off X (grouped as one by order id).
        shared_order = con.execute(
            "SELECT count(*) FROM stg.tx_inv1 WHERE invoice LIKE '%-R' "
            "AND substr(invoice, 1, length(invoice) - 2) IN (SELECT invoice FROM stg.tx_split)"
        ).fetchone()[0]
        if tx.in_order:
            # The invoices whose lines numbered_lines cannot number as they stream: lines missing between theirs,
            # or an order shared with another invoice.
            con.execute(
                "CREATE TABLE stg.tx_apart AS SELECT invoice FROM stg.tx_inv1 WHERE _gaps "
                "OR (invoice LIKE '%-R' AND substr(invoice, 1, length(invoice) - 2) IN (SELECT invoice FROM stg.tx_split)) "
                "OR (_split AND invoice || '-R' IN (SELECT invoice FROM stg.tx_inv1))"
            )
        # Customers and products read the lines without their order (stg.tx_lines): the lookup of the split
        # invoices would otherwise run for every line of each (an unused column's join stays in the plan).
        con.execute(f"CREATE VIEW stg.tx_lines AS SELECT t._src, t._ord, t._row, {cols}, {status} FROM {LINES} t")
        con.execute(f"CREATE VIEW stg.tx AS SELECT *, {SPLIT_ORDER_ID} AS order_id FROM stg.tx_lines")
        lines = "stg.tx_lines"
    by_side = BY_SIDE and not shared and not shared_order and bool(tx.labels)  # the orders are stg.tx_p's sides
    # Staging lives in memory up to the import's limit: what is no longer read goes, so less of it spills.
    con.execute("DROP TABLE IF EXISTS stg.tx_inv; DROP TABLE stg.tx_inv1")
    if not by_side:
        con.execute("DROP TABLE stg.tx_p")
    report.tables.setdefault("transactions", TableReport(table="transactions")).imported = used

    def label(ord_: str) -> str:
        """The label of the source numbered ``ord_``."""
        return f"CASE {ord_} " + " ".join(f"WHEN {o} THEN {sql_str(lb)}" for o, lb in tx.labels.items()) + " END"

    def first(col: str) -> str:
        """_first, without a per-group aggregate where the value is known: a column the file lacks is NULL on every
        line, and a source's label is that of its _ord (the key's high bits: the first line's is the least)."""
        if col == "_src" and tx.labels:
            return label("min(_ord)")
        if col != "_src" and col not in tx.provided:
            return "NULL::VARCHAR"
        return _first(col)

    by_side_orders = ""
    if by_side:
        # One row per side of an invoice, with what grouping its lines by order gives (see "orders" below): a side's
        # status is each of its lines' (see status), its customer the invoice's, and the returns split off are X-R.
        by_side_orders = (
            f"(SELECT {label('_ord')} AS _src, _ord, _row, "
            "CASE WHEN _ret AND invoice IN (SELECT invoice FROM stg.tx_split) THEN invoice || '-R' ELSE invoice END "
            f"AS order_id, _c0 AS customer_id, CAST(_d AS DATE) AS order_date, coalesce(_channel, {UNKNOWN}) AS channel, "
            "CASE WHEN _ret THEN 'returned' WHEN upper(invoice) LIKE 'C%' THEN 'cancelled' ELSE 'completed' END "
            "AS status, NULL::VARCHAR AS rep_id, _revenue, _lines, _k0, _k1 FROM stg.tx_p)"
        )
    skip_c = "WHERE customer_id NOT IN (SELECT customer_id FROM main.customers)" if append else ""
    skip_p = "WHERE product_id NOT IN (SELECT product_id FROM main.products)" if append else ""
    rel = {
        "customers": (
            f"(SELECT * FROM (SELECT {first('_src')} AS _src, min(_ord) AS _ord, min(_row) AS _row, "
            f"customer_id, coalesce({first('customer_name')}, customer_id) AS name, "
            f"coalesce({first('country')}, {UNKNOWN}) AS region, coalesce({first('city')}, {UNKNOWN}) AS city, "
            f"{UNKNOWN} AS industry, {UNKNOWN} AS size, {UNKNOWN} AS acquisition_channel, "
            "CAST(min(invoice_date) AS DATE) AS signup_date, NULL::VARCHAR AS rep_id, NULL::DECIMAL(18,2) AS credit_limit "
            f"FROM {lines} GROUP BY customer_id) {skip_c})"
        ),
        "products": (
            f"(SELECT * FROM (SELECT {first('_src')} AS _src, min(_ord) AS _ord, min(_row) AS _row, "
            f"stock_code AS product_id, coalesce({_last('description', 'invoice_date')}, stock_code) AS name, "
            f"{UNKNOWN} AS category, "
            "coalesce(arg_max(unit_price, invoice_date) FILTER (WHERE status = 'completed'), arg_max(unit_price, invoice_date)) AS unit_price, "
            "NULL::DECIMAL(18,2) AS unit_cost, CAST(min(invoice_date) AS DATE) AS launch_date "
            f"FROM {lines} GROUP BY stock_code) {skip_p})"
        ),
        "orders": by_side_orders
        or (
            f"(SELECT {first('_src')} AS _src, min(_ord) AS _ord, min(_row) AS _row, order_id, "
            "any_value(customer_id) AS customer_id, CAST(min(invoice_date) AS DATE) AS order_date, "
            f"coalesce({first('channel')}, {UNKNOWN}) AS channel, "
            "any_value(status) AS status, NULL::VARCHAR AS rep_id, "
            # The order's value from its lines, as order_totals sums it (see ORDER_TOTALS): read from there
            # instead of grouping the lines again.
            f"sum({AMOUNT}) AS _revenue, count(*) AS _lines, min({KEY}) AS _k0, max({KEY}) AS _k1 "
            "FROM stg.tx GROUP BY order_id)"
        ),
        "order_items": (
            "(SELECT _src, _ord, _row, order_id, "
            "row_number() OVER (PARTITION BY order_id ORDER BY _ord, _row)::INTEGER AS line_no, "
            "stock_code AS product_id, abs(quantity) AS quantity, unit_price, 0::DECIMAL(5,4) AS discount, "
            f"{AMOUNT} AS amount FROM stg.tx)"
        ),
    }
    out = {}
    for name, relation in rel.items():
        t = TABLES_BY_NAME[name]
        out[name] = Plan(t, relation, set(t.column_names), typed=True)
    return out


def numbered_lines(con: duckdb.DuckDBPyConnection, in_order: bool = False) -> tuple[str, bool]:
    """The order lines, numbered within their order in file order (needs stg.ok_orders), and whether the relation
    gives them in file order (else the swap sorts them by row).

    Without a sort of every line: an order whose lines are consecutive in the file (keys _k0.._k1, as many as it has
    lines: the usual case) numbers a line by its distance from the first; only the lines of the other orders (the
    returns split off an invoice, interleaved orders, lines between them refused) are numbered by a window, over
    them alone, and joined back (the join may give them out of order: they are sorted by row).

    ``in_order``: stg.tx is the view over the typed lines and they are read in file order (validate.Plan.in_order).
    Lines are then numbered as they stream past, by streaming window functions, before any join: an invoice whose
    lines are consecutive in the file is one run of lines (it starts where the line before is another invoice), and
    a line's number is the count of the run's lines up to it on its side (returns or not): its invoice's order is
    that side, or both when the invoice does not split. Only the invoices in stg.tx_apart (see derive) take the
    window; when there are none (the usual case) the lines are written as they stream, in file order, unsorted.
    The numbers are computed before the one join left (the lookup of the split invoices, a mark join: each line
    passes once, in the order it came), so they hold whatever order it gives; the rows' file order relies on it
    (tests: test_order_lines_written_in_file_order_at_scale, and at 10M lines the same order as sorted).
    """
    key = KEY.replace("_ord", "t._ord").replace("_row", "t._row")
    if in_order:
        apart = con.execute("SELECT count(*) FROM stg.tx_apart").fetchone()[0]
        if apart:
            con.execute(
                f"CREATE TABLE stg.tx_nums AS SELECT {key} AS _k, "
                f"row_number() OVER (PARTITION BY t.order_id ORDER BY {key}) AS _n FROM stg.tx t "
                "SEMI JOIN stg.tx_apart a USING (invoice)"
            )
        # _p numbers the lines streamed, _rets counts the return lines among them; a run's first line and the returns
        # before it are carried down the run by a running max (both only grow), in one BIGINT (_p above 32 bits,
        # the returns below) when the lines are fewer than 2^31: one running max instead of two, ~0.3 s at 10M.
        running = "OVER (ROWS UNBOUNDED PRECEDING)"
        start = (
            "SELECT *, invoice IS DISTINCT FROM lag(invoice) OVER () AS _start, row_number() OVER () AS _p, "
            f"count(*) FILTER (WHERE _ret) {running} AS _rets FROM (SELECT *, {RETURN} AS _ret FROM {LINES})"
        )
        if con.execute("SELECT count(*) FROM stg.typed_transactions_rows").fetchone()[0] < PACKED_LINES:
            runs = (
                "SELECT *, _p - (_s >> 32) + 1 AS _pos, _rets - (_s & 4294967295) AS _run_rets FROM (SELECT *, "
                f"max(CASE WHEN _start THEN (_p << 32) | (_rets - _ret::BIGINT) END) {running} AS _s FROM ({start}))"
            )
        else:
            runs = (
                f"SELECT *, _p - max(CASE WHEN _start THEN _p END) {running} + 1 AS _pos, "
                f"_rets - max(CASE WHEN _start THEN _rets - _ret::BIGINT END) {running} AS _run_rets FROM ({start})"
            )
        streamed = "CASE WHEN t._ret THEN t._run_rets ELSE t._pos - t._run_rets END"
        line_no, join = (
            (f"coalesce(n._n, {streamed})", f" LEFT JOIN stg.tx_nums n ON n._k = {KEY}") if apart else (streamed, "")
        )
        return (
            f"(SELECT _src, _row, {SPLIT_ORDER_ID} AS order_id, ({line_no})::INTEGER AS line_no, "
            f"stock_code AS product_id, abs(quantity) AS quantity, unit_price, 0::DECIMAL(5,4) AS discount, "
            f"{AMOUNT} AS amount FROM ({runs}) t{join})",
            not apart,
        )
    con.execute(
        f"CREATE TABLE stg.tx_nums AS SELECT {key} AS _k, "
        f"row_number() OVER (PARTITION BY t.order_id ORDER BY {key}) AS _n FROM stg.tx t "
        "SEMI JOIN (SELECT order_id FROM stg.ok_orders WHERE _k1 - _k0 + 1 <> _lines) o USING (order_id)"
    )
    return (
        "(SELECT t._src, t._row, t.order_id, "
        f"(CASE WHEN o._k1 - o._k0 + 1 = o._lines THEN {key} - o._k0 + 1 ELSE n._n END)::INTEGER AS line_no, "
        "t.stock_code AS product_id, abs(t.quantity) AS quantity, t.unit_price, 0::DECIMAL(5,4) AS discount, "
        f"{AMOUNT.replace('quantity', 't.quantity').replace('unit_price', 't.unit_price')} AS amount "
        f"FROM stg.tx t JOIN stg.ok_orders o USING (order_id) LEFT JOIN stg.tx_nums n ON n._k = {key})",
        False,
    )


def drop_sides(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the sides of the invoices (stg.tx_p) once the orders are staged from them (they hold as many rows)."""
    con.execute("DROP TABLE IF EXISTS stg.tx_p")


def drop_lines(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the preset's lines once its four tables no longer read them."""
    kinds = dict(
        con.execute(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_catalog = 'stg' "
            "AND table_name IN ('tx', 'tx_lines', 'tx_split', 'tx_apart', 'tx_nums', 'tx_p')"
        ).fetchall()
    )
    for name in ("tx", "tx_lines", "tx_split", "tx_apart", "tx_nums", "tx_p"):  # the views first: they read the others
        if name in kinds:
            con.execute(f"DROP {'VIEW' if kinds[name] == 'VIEW' else 'TABLE'} stg.{name}")
    drop_typed(con, "transactions")
