"""Customer names for results that list customers by id only, so an answer names a customer as people do.

Names are not figures: they only label what a tool computed. On a salesperson's connection only their customers
are there to be named.
"""

from __future__ import annotations

import duckdb

from tools.base import ToolResult

NAMED_BY = ("name", "customer_name")


def customer_names(con: duckdb.DuckDBPyConnection | None, result: ToolResult) -> dict[str, str]:
    """Name by customer id for the ids in ``result``'s rows; {} when its rows carry names or no customer ids."""
    cols = result.columns
    if con is None or "customer_id" not in cols or any(c in cols for c in NAMED_BY):
        return {}
    i = cols.index("customer_id")
    ids = sorted({str(r[i]) for r in result.rows if r[i] is not None})
    if not ids:
        return {}
    try:
        rows = con.execute(
            "SELECT customer_id, name FROM customers WHERE list_contains(?, customer_id)", [ids]
        ).fetchall()
    except duckdb.Error:
        return {}  # a warehouse without the customers table: ids stay ids
    return {str(cid): str(name) for cid, name in rows if name}


def names_of(con: duckdb.DuckDBPyConnection | None, ids: list[str]) -> dict[str, str]:
    """Name by customer id for ``ids`` (those the connection holds)."""
    if con is None or not ids:
        return {}
    try:
        rows = con.execute(
            "SELECT customer_id, name FROM customers WHERE list_contains(?, customer_id)", [sorted(set(ids))]
        ).fetchall()
    except duckdb.Error:
        return {}
    return {str(cid): str(name) for cid, name in rows if name}
