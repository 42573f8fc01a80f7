"""Entities in a question, resolved against the warehouse: regions, cities, industries, sizes,
channels, categories, products, reps and customers.

Surface forms come from the data itself (so a user's own import works), the English names in
``assistant/warehouse/vocab.py`` and the extra aliases in ``aliases.yaml``. Matching is
longest-first and left to right; ASCII aliases match whole words only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import yaml

from assistant.warehouse import vocab as V

KINDS = (
    "region",
    "city",
    "industry",
    "size",
    "channel",
    "acquisition_channel",
    "category",
    "product",
    "rep",
    "customer",
)
COMPANY_SUFFIXES = ("集团有限公司", "股份有限公司", "有限责任公司", "有限公司", "集团", "公司")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
MAX_CUSTOMERS_PER_FRAGMENT = 3


@dataclass(frozen=True)
class Entity:
    kind: str
    value: str  # canonical: the warehouse value, or the id for reps, products, customers
    label: str  # what to show
    start: int
    end: int
    text: str


@cache
def _aliases() -> dict[str, dict[str, list[str]]]:
    data = yaml.safe_load((Path(__file__).with_name("aliases.yaml")).read_text(encoding="utf-8"))
    return {k: {str(v): [str(a) for a in al] for v, al in vals.items()} for k, vals in data.items()}


def _english_names() -> dict[str, dict[str, list[str]]]:
    return {
        "region": {k: [v[0]] for k, v in V.REGIONS.items()},
        "industry": {k: [v[0]] for k, v in V.INDUSTRIES.items()},
        "size": {k: [v[0]] for k, v in V.SIZES.items()},
        "channel": {k: [v] for k, v in V.SALES_CHANNELS.items()},
        "acquisition_channel": {k: [v[0]] for k, v in V.ACQUISITION_CHANNELS.items()},
        "category": {k: [v[0]] for k, v in V.CATEGORIES.items()},
    }


class EntityIndex:
    """Surface form → (kind, value, label). Build once per warehouse; cheap to query."""

    def __init__(self, surfaces: dict[str, list[tuple[str, str, str]]], exact: dict[str, str] | None = None) -> None:
        self.surfaces = surfaces
        forms = sorted(surfaces, key=len, reverse=True)
        parts = []
        for f in forms:
            esc = re.escape(exact.get(f, f) if exact else f)
            if f.isascii():
                # Whole words only; short ones ("IT") keep their case so "is it" is not the IT industry.
                esc = rf"(?<![A-Za-z0-9]){'' if exact and f in exact else '(?i:'}{esc}{'' if exact and f in exact else ')'}(?![A-Za-z0-9])"
            else:
                esc = f"(?i:{esc})"
            parts.append(esc)
        self._rx = re.compile("|".join(parts)) if parts else None

    @classmethod
    def from_warehouse(cls, con: duckdb.DuckDBPyConnection) -> EntityIndex:
        surfaces: dict[str, list[tuple[str, str, str]]] = {}
        exact: dict[str, str] = {}

        def add(form: str, kind: str, value: str, label: str) -> None:
            if form.isascii() and len(form.strip()) <= 3:
                exact[form.strip().lower()] = form.strip()
            form = form.strip().lower()
            if len(form) < 2 and not form.isascii():
                return  # one Chinese character is too ambiguous
            if form.isascii() and len(form) < 2:
                return
            entry = (kind, value, label)
            if entry not in surfaces.setdefault(form, []):
                surfaces[form].append(entry)

        values: dict[str, list[str]] = {}
        for kind, sql in (
            ("region", "SELECT DISTINCT region FROM customers WHERE region IS NOT NULL"),
            ("city", "SELECT DISTINCT city FROM customers WHERE city IS NOT NULL"),
            ("industry", "SELECT DISTINCT industry FROM customers WHERE industry IS NOT NULL"),
            ("size", "SELECT DISTINCT size FROM customers WHERE size IS NOT NULL"),
            (
                "acquisition_channel",
                "SELECT DISTINCT acquisition_channel FROM customers WHERE acquisition_channel IS NOT NULL",
            ),
            ("channel", "SELECT DISTINCT channel FROM orders WHERE channel IS NOT NULL"),
            ("category", "SELECT DISTINCT category FROM products WHERE category IS NOT NULL"),
        ):
            values[kind] = [str(r[0]) for r in con.execute(sql).fetchall()]
            for v in values[kind]:
                add(v, kind, v, v)
        extra = _english_names()
        for kind, table in (*extra.items(), *_aliases().items()):
            for v, forms in table.items():
                if v in values.get(kind, []):
                    for f in forms:
                        add(f, kind, v, v)
        # "华东区", "上海市" style suffixes on the data's own values.
        for v in values["region"]:
            for suffix in ("区", "地区", "大区"):
                add(v + suffix, "region", v, v)
        for v in values["city"]:
            add(v + "市", "city", v, v)
        for pid, name in con.execute("SELECT product_id, name FROM products").fetchall():
            add(str(name), "product", str(pid), str(name))
            add(str(pid), "product", str(pid), str(name))
        for rid, name in con.execute("SELECT rep_id, name FROM sales_reps").fetchall():
            add(str(name), "rep", str(rid), str(name))
            add(str(rid), "rep", str(rid), str(name))
        return cls(surfaces, exact)

    def find(self, text: str) -> list[Entity]:
        """Longest non-overlapping matches, left to right. A surface with several meanings yields them all."""
        if self._rx is None:
            return []
        out: list[Entity] = []
        for m in self._rx.finditer(text):
            for kind, value, label in self.surfaces[m.group(0).lower()]:
                out.append(Entity(kind, value, label, m.start(), m.end(), m.group(0)))
        return out


def customer_core(name: str) -> str:
    """The distinctive part of a company name: without the leading city and the legal suffix.

    >>> customer_core("长沙嘉科医疗器械有限公司")
    '嘉科医疗器械'
    """
    core = name
    for suffix in COMPANY_SUFFIXES:
        if core.endswith(suffix):
            core = core[: -len(suffix)]
            break
    for city in sorted((c for r in V.REGIONS.values() for c in r[2]), key=len, reverse=True):
        if core.startswith(city) and len(core) > len(city) + 1:
            return core[len(city) :]
    return core


ID_PATTERNS = (
    re.compile(
        r"(?:客户|customer|client|cust\.?)\s*(?:id|编号|号|代码)?\s*[:#:]?\s*([A-Za-z]{0,3}\d{3,})", re.IGNORECASE
    ),
    re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,3}\d{4,})(?![A-Za-z0-9])"),
)


def find_customers(con: duckdb.DuckDBPyConnection, text: str, limit: int = 20) -> list[Entity]:
    """Customers named in ``text`` by id (C000123, 客户17850) or by a name fragment of 4+ Chinese
    characters ("嘉科医疗") or 2+ English words. Verified against the warehouse."""
    found: list[Entity] = []
    seen: set[str] = set()
    ids: dict[str, tuple[int, int, str]] = {}
    for rx in ID_PATTERNS:
        for m in rx.finditer(text):
            ids.setdefault(m.group(1), (m.start(1), m.end(1), m.group(1)))
    if ids:
        rows = con.execute(
            "SELECT customer_id, name FROM customers WHERE list_contains($ids, customer_id) OR list_contains($ids, upper(customer_id))",
            {"ids": [i.upper() for i in ids] + list(ids)},
        ).fetchall()
        for cid, name in rows:
            key = cid if cid in ids else next(k for k in ids if k.upper() == cid.upper())
            s, e, t = ids[key]
            found.append(Entity("customer", cid, name or cid, s, e, t))
            seen.add(cid)
    grams: dict[str, tuple[int, int]] = {}
    for run in _CJK.finditer(text):
        s0, chunk = run.start(), run.group(0)
        for n in range(min(len(chunk), 12), 3, -1):
            for i in range(len(chunk) - n + 1):
                grams.setdefault(chunk[i : i + n], (s0 + i, s0 + i + n))
    words = re.findall(r"[A-Za-z][A-Za-z&'.-]+", text)
    for n in (3, 2):
        for i in range(len(words) - n + 1):
            phrase = " ".join(words[i : i + n])
            pos = text.find(phrase)
            if pos >= 0:
                grams.setdefault(phrase, (pos, pos + len(phrase)))
    if not grams:
        return found
    # A fragment that fits more than a few customers ("医疗器械", "有限公司") is a generic word, not a name.
    rows = con.execute(
        """WITH hits AS (SELECT g AS gram, c.customer_id, c.name FROM customers c, unnest($grams) AS t(g)
                         WHERE contains(lower(c.name), lower(g)))
           SELECT gram, customer_id, name FROM hits
           QUALIFY count(*) OVER (PARTITION BY gram) <= $max_per_gram
           ORDER BY length(gram) DESC, customer_id""",
        {"grams": list(grams), "max_per_gram": MAX_CUSTOMERS_PER_FRAGMENT},
    ).fetchall()
    taken: list[tuple[int, int]] = [(e.start, e.end) for e in found]
    for gram, cid, name in rows:
        s, e = grams[gram]
        # Only the longest fragment at a place counts: "华信科技" should not also pull in every "华信科".
        if cid in seen or any(s < te and ts < e and (te - ts) > (e - s) for ts, te in taken):
            continue
        found.append(Entity("customer", cid, name, s, e, gram))
        taken.append((s, e))
        seen.add(cid)
        if len(found) >= limit:
            break
    return found
