"""Derived tables: order-level totals kept beside the contract tables so the heaviest tools read orders, not lines.

``order_totals`` holds one row per order that has lines, with its revenue (Σ amount of its lines), gross margin
(Σ amount − quantity × unit_cost; a product without cost counts as cost 0), the number of lines whose product
has no cost, and its purchase day (see BUILD_SQL): exactly what the tools would compute from the lines.

It is derived data, never a source: the generator and the importer rebuild it in the same transaction as their
writes, ``python -m assistant data derive`` rebuilds it by hand, and every reader first compares a fingerprint of
the source tables stored at build time with the current one (``state``). A warehouse edited some other way (or
built by hand from docs/data.md, without the table) is read from the lines instead, with the same results.
Known gap: within one process, after the full check passed once, an in-place edit that keeps every count and sum
of LITE_SQL (an order moved to another customer) is not seen until the next process or ``data derive``.

Why a stored table: grouping ~10M lines by order costs DuckDB about as much as everything else predictive CLV does
at 1M customers; reading ~4M order rows instead halves the tool's time.
"""

from __future__ import annotations

import duckdb

ORDER_TOTALS = "order_totals"
META_TABLE = "assistant_derived"  # (name, fingerprints) of each derived table
SOURCES = frozenset({"orders", "order_items", "products"})  # the contract tables the derived ones are built from

# Everything an order's totals depend on: the lines (order, product, quantity, amount), the orders' own columns
# the tools filter on, and the products' cost. The xor of row hashes catches edits that keep every sum (an order
# moved to another customer); rows are keyed, so no two identical rows cancel out. Hashing 10M order ids costs
# ~0.5 s, so readers compare the cheap LITE sums on every call and the full fingerprint once per database and
# process (see ``state``).
FULL_SQL = """
SELECT concat_ws('|',
    (SELECT concat_ws(':', count(*), coalesce(bit_xor(hash(order_id, line_no, product_id, quantity, amount)), 0))
     FROM order_items),
    (SELECT concat_ws(':', count(*), coalesce(bit_xor(hash(order_id, customer_id, order_date, status, channel)), 0))
     FROM orders),
    (SELECT concat_ws(':', count(*), coalesce(bit_xor(hash(product_id, unit_cost)), 0)) FROM products)
)"""
# Counts and sums that appends, deletions and edits of amounts, quantities, dates, statuses, channels and costs
# change; ~0.05 s at 10M lines. What they miss (an order moved to another customer, a line's product swapped with
# the same amount) the full fingerprint catches, once per database and process.
LITE_SQL = """
SELECT concat_ws('|',
    (SELECT concat_ws(':', count(*), coalesce(sum(amount), 0), coalesce(sum(quantity), 0)) FROM order_items),
    (SELECT concat_ws(':', count(*), count(*) FILTER (WHERE status = 'completed'),
                      coalesce(sum(epoch(order_date)), 0), coalesce(sum(hash(channel, status) % 1000003), 0))
     FROM orders),
    (SELECT concat_ws(':', count(*), coalesce(sum(unit_cost), 0)) FROM products)
)"""

# Bumped whenever BUILD_SQL's columns change: a table of another format reads as stale, never as wrong columns.
FORMAT = "3"


def order_values_sql(line_filter: str = "") -> str:
    """Each order's value from its lines: order_id, revenue, margin, lines_without_cost (exact DECIMAL sums).

    The one definition: the stored table is built from it and the tools' fallback (tools.base) sums with it.
    ``line_filter`` is a WHERE clause over the lines (oi) and products (p), e.g. a category filter.
    """
    return f"""SELECT oi.order_id, sum(oi.amount) AS revenue,
               sum(oi.amount - oi.quantity * coalesce(p.unit_cost, 0)) AS margin,
               count(*) FILTER (WHERE p.unit_cost IS NULL) AS lines_without_cost
        FROM order_items oi
        LEFT JOIN products p ON p.product_id = oi.product_id
        {line_filter}
        GROUP BY oi.order_id"""


def build_sql(totals: str | None = None) -> str:
    """The statement that builds ``order_totals``. ``totals``: a relation with each order's columns and value
    (order_id, customer_id, order_date, channel, status, revenue, margin, lines_without_cost as the default gives
    them), for a writer that has them already; default: the orders joined with their values from the lines."""
    t = (
        totals
        or f"""
    -- Orders without lines have no value and are left out, as the line-based tools never see them either.
    SELECT o.order_id, o.customer_id, o.order_date, o.channel, o.status,
           v.revenue::DECIMAL(18, 2) AS revenue, v.margin::DECIMAL(18, 2) AS margin,
           v.lines_without_cost::INTEGER AS lines_without_cost
    FROM orders o
    JOIN (
        {order_values_sql()}
    ) v ON v.order_id = o.order_id
"""
    )
    # t is read twice (the days with several orders, then every order): a caller's relation (staged orders) is read
    # again rather than copied; the default, a grouping of every line, is computed once.
    materialized = "NOT MATERIALIZED " if totals else ""
    return f"""
CREATE OR REPLACE TABLE {ORDER_TOTALS} AS
WITH t AS {materialized}({t}),
-- Purchase days (BG/NBD counts a customer's orders on one day as one purchase): day_first marks the first
-- completed order of each customer and day (the least order id), day_revenue is the revenue of all of them (NULL
-- unless completed). Most such days hold one order, its own first with its own revenue: only the days with several
-- (d, usually few) are looked up. A window over every order sorted them all (at 2.5M orders ~1.4 s CPU against
-- ~0.9 s this way).
d AS (
    SELECT customer_id, order_date, min(order_id) AS first_order, sum(revenue) AS revenue
    FROM t WHERE status = 'completed'
    GROUP BY customer_id, order_date
    HAVING count(*) > 1
)
SELECT t.*,
       coalesce(t.status = 'completed' AND (d.first_order IS NULL OR t.order_id = d.first_order), false)
           AS day_first,
       CASE WHEN t.status = 'completed' THEN coalesce(d.revenue, t.revenue) END AS day_revenue
FROM t
LEFT JOIN d
    ON t.status = 'completed'
    AND d.customer_id IS NOT DISTINCT FROM t.customer_id
    AND d.order_date IS NOT DISTINCT FROM t.order_date
-- Stored in customer order: its readers group it by customer, and DuckDB groups rows that come together faster than
-- rows spread over the table (1M customers, CPU: the review's pass 0.78 -> 0.57 s, CLV 1.64 -> 1.45, profitability
-- 0.96 -> 0.73; the sort costs an import of 10M lines ~0.4 s).
ORDER BY t.customer_id, t.order_date, t.order_id
"""


BUILD_SQL = build_sql()


_VERIFIED: set[tuple[str, str]] = set()  # (database, lite fingerprint) whose full fingerprint matched


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    return str(con.execute(sql).fetchone()[0])


def build(con: duckdb.DuckDBPyConnection, totals: str | None = None) -> None:
    """(Re)build the derived tables from the contract tables; the caller owns the transaction.

    ``totals``: each order with its value (see ``build_sql``) when the caller has them already (the importer's
    transactions preset, from its staged orders); they must equal what the tables in the warehouse give.
    """
    con.execute(build_sql(totals))
    # build() rebuilds every derived table, so the whole bookkeeping table is rewritten with them.
    con.execute(f"CREATE OR REPLACE TABLE {META_TABLE} (name VARCHAR PRIMARY KEY, lite_fp VARCHAR, full_fp VARCHAR)")
    con.execute(f"INSERT INTO {META_TABLE} VALUES (?, ?, ?)", [ORDER_TOTALS, _lite(con), _one(con, FULL_SQL)])


def _lite(con: duckdb.DuckDBPyConnection) -> str:
    return f"v{FORMAT}|{_one(con, LITE_SQL)}"


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
            "AND table_schema = 'main' AND table_name = ?",
            [table],
        ).fetchone()[0]
    )


def _database(con: duckdb.DuckDBPyConnection) -> str:
    """The file behind the connection's default database; in-memory ones are told apart by connection."""
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return str(row[0]) if row and row[0] else f"memory:{id(con)}"


def state(con: duckdb.DuckDBPyConnection) -> str:
    """``fresh`` (matches its sources), ``stale`` (sources changed since it was built) or ``missing``."""
    if not (_has(con, ORDER_TOTALS) and _has(con, META_TABLE)):
        return "missing"
    row = con.execute(f"SELECT lite_fp, full_fp FROM {META_TABLE} WHERE name = ?", [ORDER_TOTALS]).fetchone()
    if row is None:
        return "missing"
    lite = _lite(con)
    if lite != row[0]:
        return "stale"
    key = (_database(con), lite)
    if key not in _VERIFIED:
        if _one(con, FULL_SQL) != row[1]:
            return "stale"
        _VERIFIED.add(key)
    return "fresh"


def order_totals_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    return state(con) == "fresh"
