"""Which source column feeds which target column: names, bilingual synonyms (synonyms.yaml), explicit --map."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assistant.core.errors import InputError
from assistant.warehouse.schema import TABLES, TABLES_BY_NAME, Table

SYNONYMS_PATH = Path(__file__).with_name("synonyms.yaml")
_PUNCT = re.compile(r"[\s_\-./:：()（）\[\]【】#]+")


def norm(name: str) -> str:
    """Header key used for matching.

    >>> norm(" Customer ID ") == norm("customer_id") == norm("CustomerID")
    True
    >>> norm("客户编号(ID)")
    '客户编号id'
    """
    return _PUNCT.sub("", name.replace("\ufeff", "").strip().lower())


@cache
def synonyms() -> dict[str, Any]:
    with SYNONYMS_PATH.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return data


def column_keys(table: Table) -> dict[str, str]:
    """Normalized header → target column for one table (table-specific synonyms win)."""
    syn = synonyms()
    keys: dict[str, str] = {}
    if table.name == "transactions":
        layers = [syn["transactions"]]
    else:
        layers = [syn.get("per_table", {}).get(table.name, {}), syn["columns"]]
    for col in table.columns:
        keys.setdefault(norm(col.name), col.name)
    for layer in layers:
        for col in table.columns:
            for s in layer.get(col.name, []) or []:
                keys.setdefault(norm(str(s)), col.name)
    return keys


@dataclass
class Mapping:
    columns: dict[str, int] = field(default_factory=dict)  # target column → source column index
    used: dict[str, str] = field(default_factory=dict)  # source header → target column
    ignored: list[str] = field(default_factory=list)


def map_columns(headers: list[str], table: Table, explicit: dict[str, str], source: str) -> Mapping:
    """Map headers to the table's columns: ``explicit`` first, then name and synonyms; first match wins."""
    keys = column_keys(table)
    valid = set(table.column_names)
    out = Mapping()
    explicit_n = {norm(k): v for k, v in explicit.items()}
    for i, h in enumerate(headers):
        target = explicit_n.get(norm(h))
        if target is not None and target not in valid:
            raise InputError(
                f"--map {h}={target}:表 {table.name} 没有列 {target}。可用的列:{', '.join(table.column_names)}",
                f"--map {h}={target}: table {table.name} has no column {target}. "
                f"Columns: {', '.join(table.column_names)}",
                file=source,
                column=h,
            )
        target = target or keys.get(norm(h))
        if target and target not in out.columns:
            out.columns[target] = i
            out.used[h] = target
        else:
            out.ignored.append(h)
    known = {norm(h) for h in headers}
    for k in explicit_n:
        if k not in known:
            raise InputError(
                f"--map 指定的源列 {k} 在 {source} 中不存在。文件的列:{', '.join(headers)}",
                f"--map names a source column {k} that {source} does not have. Its columns: {', '.join(headers)}",
                file=source,
            )
    return out


def table_for_name(name: str) -> str | None:
    """A contract table named by a file or sheet name (``customers.csv``, ``客户.xlsx``)."""
    key = norm(name)
    for t in TABLES:
        names = [t.name, t.zh, *synonyms()["tables"].get(t.name, [])]
        if key in {norm(n) for n in names}:
            return t.name
    return None


def guess_table(headers: list[str], name: str) -> str | None:
    """The table a source is for: by its name, else the table whose key and required columns it holds best."""
    by_name = table_for_name(name)
    if by_name:
        return by_name
    best: tuple[float, str] | None = None
    for t in TABLES:
        m = map_columns(headers, t, {}, name)
        if not all(k in m.columns for k in t.primary_key):
            continue
        required = [c.name for c in t.columns if not c.nullable]
        score = sum(c in m.columns for c in required) / len(required) + 0.01 * len(m.columns)
        if best is None or score > best[0]:
            best = (score, t.name)
    return best[1] if best and best[0] >= 0.6 else None


def contract_table(name: str) -> Table:
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise InputError(
            f"没有名为 {name} 的表。可用的表:{', '.join(TABLES_BY_NAME)}",
            f"No table named {name}. Tables: {', '.join(TABLES_BY_NAME)}",
        ) from None
