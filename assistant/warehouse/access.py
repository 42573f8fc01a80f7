"""Per-user data access, enforced in the data layer.

A salesperson's session runs on its own in-memory DuckDB database that holds only the rows of the
customers assigned to them (customers.rep_id), copied from the warehouse at sign-in. The warehouse
is then detached and the connection locked (no file access, no ATTACH, no configuration changes),
so no tool, metric query, LLM-written SQL, export or chart can reach another rep's customer: the
rows are simply not there. Managers and trainers get a read-only, locked connection to the whole
warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from assistant.core.errors import InputError, WarehouseError
from assistant.warehouse.schema import REFERENCE_TABLE, TABLES

ROLES = ("sales", "manager", "trainer")

# How each contract table is cut down to one rep's customers. {c} is the set of their customer ids.
SCOPE_SQL: dict[str, str] = {
    "customers": "SELECT * FROM wh.customers WHERE rep_id = $rep",
    "orders": "SELECT * FROM wh.orders WHERE customer_id IN (SELECT customer_id FROM customers)",
    "order_items": "SELECT * FROM wh.order_items WHERE order_id IN (SELECT order_id FROM orders)",
    "invoices": "SELECT * FROM wh.invoices WHERE customer_id IN (SELECT customer_id FROM customers)",
    "surveys": "SELECT * FROM wh.surveys WHERE customer_id IN (SELECT customer_id FROM customers)",
    "tickets": "SELECT * FROM wh.tickets WHERE customer_id IN (SELECT customer_id FROM customers)",
    "interactions": "SELECT * FROM wh.interactions WHERE customer_id IN (SELECT customer_id FROM customers)",
    # Not customer data: the catalogue and company-level spend stay whole; other reps are not listed.
    "products": "SELECT * FROM wh.products",
    "marketing_spend": "SELECT * FROM wh.marketing_spend",
    "sales_reps": "SELECT * FROM wh.sales_reps WHERE rep_id = $rep",
}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a role and, for salespeople, their rep id."""

    name: str
    role: str
    rep_id: str | None = None
    label_zh: str = ""
    label_en: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InputError(
                f"角色必须是 {'/'.join(ROLES)} 之一,收到 {self.role!r}。",
                f"Role must be one of {', '.join(ROLES)}, got {self.role!r}.",
            )
        if self.role == "sales" and not self.rep_id:
            raise InputError(f"销售账号 {self.name} 需要 rep_id。", f"Sales account {self.name} needs a rep_id.")

    @property
    def sees_everything(self) -> bool:
        return self.role in ("manager", "trainer")


def lock(con: duckdb.DuckDBPyConnection) -> None:
    """No file or network access and no way to undo it: SET cannot change locked settings."""
    con.execute("SET enable_progress_bar = false")  # set before the lock; it would print into answers
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def open_for(db: str | Path, who: Principal) -> duckdb.DuckDBPyConnection:
    """A connection that shows ``who`` exactly the data they may see."""
    path = Path(db)
    if not path.exists():
        raise WarehouseError(f"找不到数据仓库文件 {path}。", f"Warehouse file {path} not found.", path=str(path))
    if who.sees_everything:
        con = duckdb.connect(str(path), read_only=True)
        lock(con)
        return con
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(path)])
        known = con.execute("SELECT count(*) FROM wh.sales_reps WHERE rep_id = ?", [who.rep_id]).fetchone()[0]
        if not known:
            raise InputError(
                f"销售编号 {who.rep_id} 不在数据仓库中,无法确定可见的客户。",
                f"Rep id {who.rep_id} is not in the warehouse, so there are no customers to show.",
            )
        for table in TABLES:  # contract order: customers before the tables that refer to them
            con.execute(
                f"CREATE TABLE {table.name} AS {SCOPE_SQL[table.name]}",
                {"rep": who.rep_id} if "$rep" in SCOPE_SQL[table.name] else {},
            )
        # The company's "today", not the last order among this rep's customers (tools.base.last_order_date).
        con.execute(f"CREATE TABLE {REFERENCE_TABLE} AS SELECT max(order_date) AS as_of FROM wh.orders")
        con.execute("DETACH wh")
        lock(con)
    except BaseException:
        con.close()
        raise
    return con
