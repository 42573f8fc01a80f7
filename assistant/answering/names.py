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
    return _names(con, "SELECT customer_id, name FROM customers WHERE list_contains(?, customer_id)", ids)


def _names(con: duckdb.DuckDBPyConnection | None, sql: str, ids: list[str]) -> dict[str, str]:
    """Name by id from one of our own lookups (``sql`` takes the ids as its one parameter); {} when the warehouse
    lacks the table: ids stay ids."""
    if con is None or not ids:
        return {}
    try:
        rows = con.execute(sql, [sorted(set(ids))]).fetchall()
    except duckdb.Error:
        return {}
    return {str(i): str(name) for i, name in rows if name}


# How an answer names a rep's customers (lead.py, writers.py) by id, and how it says them once the name is known:
# in a sentence, in a heading; "您"/"your" when the rep is the one asking.
REP_SCOPE = {"zh": ("{rep} 负责的客户", "{rep} 名下"), "en": ("{rep}'s customers", "rep {rep}'s accounts")}
REP_NAMED = {"zh": ("{name}负责的客户", "{name}名下"), "en": ("{name}'s customers", "{name}'s accounts")}
YOU = {"zh": ("您负责的客户", "您名下"), "en": ("your customers", "your accounts")}


def rep_names(con: duckdb.DuckDBPyConnection | None, ids: list[str]) -> dict[str, str]:
    """Name by rep id for ``ids``."""
    return _names(con, "SELECT rep_id, name FROM sales_reps WHERE list_contains(?, rep_id)", ids)


def name_reps(text: str, reps: dict[str, str], lang: str, asker: str | None = None) -> str:
    """``text`` with each rep's customers said as people say them: "张伟负责的客户" rather than "R004 负责的客户", and
    "您负责的客户" / "your customers" when the rep is the one asking."""
    key = "zh" if lang == "zh" else "en"
    for rid, name in reps.items():
        for by_id, said in zip(REP_SCOPE[key], YOU[key] if rid == asker else REP_NAMED[key], strict=True):
            text = text.replace(by_id.format(rep=rid), said.format(name=name))
    return text
