"""Shared helpers for the importer tests: small files, a warehouse checksum."""

from __future__ import annotations

from pathlib import Path

import duckdb

from assistant.warehouse.schema import TABLES

CUSTOMERS_HEADER = "customer_id,name,region,city,industry,size,acquisition_channel,signup_date,rep_id,credit_limit"
CUSTOMERS_ROWS = [
    "C1,甲公司,华东,上海,制造,中型,直销,2024-01-05,,1000",
    "C2,乙公司,华北,北京,零售,小型,线上,2024-02-01,,2000",
    "C3,丙公司,华南,广州,零售,小型,线上,2024-03-01,,",
]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def customers_csv(path: Path, rows: list[str] | None = None, header: str = CUSTOMERS_HEADER) -> Path:
    return write(path, "\n".join([header, *(CUSTOMERS_ROWS if rows is None else rows)]) + "\n")


def checksum(db: Path) -> dict[str, tuple[int, str | None]]:
    """Row count and an order-independent digest of every contract table."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for t in TABLES:
            out[t.name] = con.execute(
                f"SELECT count(*), md5(string_agg(CAST(x AS VARCHAR), '|' ORDER BY CAST(x AS VARCHAR))) FROM {t.name} x"
            ).fetchone()
        return out
    finally:
        con.close()


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
