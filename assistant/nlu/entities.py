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


def _table(data: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    return {k: {str(v): [str(a) for a in al] for v, al in vals.items()} for k, vals in data.items()}


@cache
def _raw_aliases() -> dict[str, dict[str, list[str]]]:
    return yaml.safe_load((Path(__file__).with_name("aliases.yaml")).read_text(encoding="utf-8"))


@cache
def _aliases() -> dict[str, dict[str, list[str]]]:
    return _table({k: v for k, v in _raw_aliases().items() if k != "contextual"})


@cache
def _contextual_aliases() -> dict[str, dict[str, list[str]]]:
    """Aliases that count only when a question narrows the previous answer ("只看大客户")."""
    return _table(_raw_aliases().get("contextual", {}))


# What stands between a verb and its object when a count or an aspect is said inside a two-character word ("催了几次款").
SPLIT_VERB_OBJECT = ("了", "过", "了几次", "过几次", "了多少次", "过多少次", "几次", "多少次", "了一次", "过一次")


def _english_names() -> dict[str, dict[str, list[str]]]:
    return {
        "region": {k: [v[0]] for k, v in V.REGIONS.items()},
        "industry": {k: [v[0]] for k, v in V.INDUSTRIES.items()},
        "size": {k: [v[0]] for k, v in V.SIZES.items()},
        "channel": {k: [v] for k, v in V.SALES_CHANNELS.items()},
        "acquisition_channel": {k: [v[0]] for k, v in V.ACQUISITION_CHANNELS.items()},
        "category": {k: [v[0]] for k, v in V.CATEGORIES.items()},
    }


def name_words() -> frozenset[str]:
    """Every English word of the names and aliases values are known by ("north", "china", "referrals"): words a
    typo corrector must leave as they are."""
    import re

    forms = [f for table in (*_english_names().values(), *_aliases().values()) for fs in table.values() for f in fs]
    return frozenset(w for f in forms for w in re.findall(r"[a-z]+", f.lower()))


class EntityIndex:
    """Surface form → (kind, value, label). Build once per warehouse; cheap to query."""

    def __init__(
        self,
        surfaces: dict[str, list[tuple[str, str, str]]],
        exact: dict[str, str] | None = None,
        contextual: EntityIndex | None = None,
    ) -> None:
        self.surfaces = surfaces
        self.contextual = contextual
        self.people: list[tuple[str, str]] = []  # (rep_id, Chinese name): also matched by pinyin
        self._pinyin: EntityIndex | None = None
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
            ("team", "SELECT DISTINCT team FROM sales_reps WHERE team IS NOT NULL"),  # "华南二组"
            # how and why a contact was made ("上门拜访", "催款"): filters on contacts only
            (
                "contact_channel",  # and the way a ticket came in ("通过微信进来的工单")
                "SELECT DISTINCT channel FROM interactions WHERE channel IS NOT NULL "
                "UNION SELECT DISTINCT channel FROM tickets WHERE channel IS NOT NULL",
            ),
            ("contact_purpose", "SELECT DISTINCT purpose FROM interactions WHERE purpose IS NOT NULL"),
            # what a ticket is about ("物流配送的客诉"): a filter on tickets only
            ("issue_category", "SELECT DISTINCT category FROM tickets WHERE category IS NOT NULL"),
            (
                "department",
                "SELECT DISTINCT department FROM tickets WHERE department IS NOT NULL "
                "UNION SELECT DISTINCT department FROM interactions WHERE department IS NOT NULL",
            ),
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
        # "催了几次款", "对过账": a two-character purpose is a verb and its object, said apart around the count
        for v in values["contact_purpose"]:
            if len(v) == 2 and not v.isascii():
                for between in SPLIT_VERB_OBJECT:
                    add(v[0] + between + v[1], "contact_purpose", v, v)
        # "技术支持部" is also "技术支持"; shorter stems ("客服", "销售") are other words too, so they stay whole
        for v in values["department"]:
            if v.endswith("部") and len(v) >= 4:
                add(v[:-1], "department", v, v)
        # "华东区", "上海市" style suffixes on the data's own values.
        for v in values["region"]:
            for suffix in ("区", "地区", "大区"):
                add(v + suffix, "region", v, v)
        for v in values["city"]:
            add(v + "市", "city", v, v)
        for pid, name in con.execute("SELECT product_id, name FROM products").fetchall():
            add(str(name), "product", str(pid), str(name))
            add(str(pid), "product", str(pid), str(name))
        people = []
        for rid, name in con.execute("SELECT rep_id, name FROM sales_reps").fetchall():
            add(str(name), "rep", str(rid), str(name))
            add(str(rid), "rep", str(rid), str(name))
            people.append((str(rid), str(name)))
        ctx_surfaces: dict[str, list[tuple[str, str, str]]] = {}
        for kind, table in _contextual_aliases().items():
            for v, forms in table.items():
                if v in values.get(kind, []):
                    for f in forms:
                        ctx_surfaces.setdefault(f.strip().lower(), []).append((kind, v, v))
        index = cls(surfaces, exact, cls(ctx_surfaces) if ctx_surfaces else None)
        index.people = people
        return index

    def find_contextual(self, text: str) -> list[Entity]:
        return self.contextual.find(text) if self.contextual else []

    def find_pinyin(self, text: str) -> list[Entity]:
        """Reps named in pinyin ("Zhang Wei", "zhangwei", "Wei Zhang"): English questions name
        Chinese colleagues this way. The pinyin table loads on the first English question only."""
        if not self.people or not re.search(r"[A-Za-z]{2,}", text):
            return []
        if self._pinyin is None:
            self._pinyin = EntityIndex(_pinyin_surfaces(self.people))
        return self._pinyin.find(text)

    def find(self, text: str) -> list[Entity]:
        """Longest non-overlapping matches, left to right. A surface with several meanings yields them all."""
        if self._rx is None:
            return []
        out: list[Entity] = []
        for m in self._rx.finditer(text):
            for kind, value, label in self.surfaces[m.group(0).lower()]:
                out.append(Entity(kind, value, label, m.start(), m.end(), m.group(0)))
        return out


def _pinyin_surfaces(people: list[tuple[str, str]]) -> dict[str, list[tuple[str, str, str]]]:
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # optional: without it, reps are found by their Chinese names and ids
        return {}
    out: dict[str, list[tuple[str, str, str]]] = {}
    for rid, name in people:
        syl = [p.replace("v", "u") for p in lazy_pinyin(name)]
        if len(syl) < 2 or not all(p.isascii() and p.isalpha() for p in syl):
            continue
        given = "".join(syl[1:])
        for form in {f"{syl[0]} {given}", f"{syl[0]}{given}", f"{given} {syl[0]}", " ".join(syl)}:
            entry = ("rep", rid, name)
            if entry not in out.setdefault(form, []):
                out[form].append(entry)
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


MAX_GRAMS = 40  # distinct 4-character fragments searched per question
# Characters that belong to the question, not to a name: a fragment never crosses them.
QUESTION_CHARS = set("的了吗呢哪么吧啥谁怎是")
QUESTION_WORDS = re.compile(
    "多少|一共|总共|总计|现在|目前|当前|怎么样|怎样|什么|情况|一下|帮我|看看|看下|查查|查一下|查下|列出|有没有|是否|"
    "比较|对比|同期|以来|至今|为止|最近|分别|各自|还有|已经"
)
# English words that make up questions; a phrase of only these is not a name.
STOP_WORDS = frozenset(
    """a an the of in on at for to from by with and or vs versus is are was were be been do does did done
    have has had get got how many much what which who whom whose when where why this that these those
    our my your their we i you they me us show list give tell find look up about over under more less
    than top bottom last next year month quarter week day days months years all any each every per
    customer customers client clients account accounts revenue sales orders order""".split()
)
MAX_HITS_PER_SEED = 50  # a 4-character fragment in more names than this is a common word


def _runs(text: str, skip: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """Chinese runs of ``text`` with the skipped spans cut out: (start, run)."""
    out: list[tuple[int, str]] = []
    for run in _CJK.finditer(text):
        cur_start, cur = -1, ""
        for i in range(run.start(), run.end()):
            if text[i] in QUESTION_CHARS or any(s <= i < e for s, e in skip):
                if cur:
                    out.append((cur_start, cur))
                cur_start, cur = -1, ""
                continue
            if not cur:
                cur_start = i
            cur += text[i]
        if cur:
            out.append((cur_start, cur))
    return out


MAX_ROWS_PER_SCAN = 5_000


def _names_holding(
    con: duckdb.DuckDBPyConnection, seeds: list[str], seeds_en: list[str], triples: list[str]
) -> list[tuple[str, str]]:
    """(customer_id, name) of the customers whose name holds a fragment, or is one of the 3-character names.

    One scan with one regular expression (RE2 reads each name once, however many fragments). When
    common fragments make that too many rows, the common ones are counted in SQL, set aside, and a second
    scan fetches the names holding the rare ones: names are never fetched by the million.
    """
    alts = [re.escape(g) for g in seeds] + [f"(?i:{re.escape(g)})" for g in seeds_en]
    alts += [f"^{re.escape(t)}$" for t in triples]
    sql = "SELECT customer_id, name FROM customers WHERE regexp_matches(name, $rx) ORDER BY customer_id LIMIT $n"
    rows = con.execute(sql, {"rx": "|".join(alts), "n": MAX_ROWS_PER_SCAN + 1}).fetchall()
    if len(rows) <= MAX_ROWS_PER_SCAN:
        return [(str(c), str(n or "")) for c, n in rows]
    params: dict[str, object] = {"rx": "|".join(alts)}
    counts = []
    for i, g in enumerate(seeds):
        params[f"g{i}"] = g
        counts.append(f"count(*) FILTER (WHERE contains(name, $g{i}))")
    for i, g in enumerate(seeds_en):
        params[f"e{i}"] = g
        counts.append(f"count(*) FILTER (WHERE contains(lower(name), $e{i}))")
    row = (
        con.execute(
            f"SELECT {', '.join(counts) or 'NULL'} FROM (SELECT name FROM customers WHERE regexp_matches(name, $rx))",
            params,
        ).fetchone()
        or ()
    )
    keep = [g for g, c in zip([*seeds, *seeds_en], row, strict=False) if c and c <= MAX_HITS_PER_SEED]
    alts = [re.escape(g) if g in seeds else f"(?i:{re.escape(g)})" for g in keep]
    alts += [f"^{re.escape(t)}$" for t in triples]
    if not alts:
        return []
    # at most MAX_HITS_PER_SEED names per kept fragment, and the exact 3-character names
    bound = MAX_HITS_PER_SEED * len(keep) + MAX_ROWS_PER_SCAN
    rows = con.execute(sql, {"rx": "|".join(alts), "n": bound}).fetchall()
    return [(str(c), str(n or "")) for c, n in rows]


def find_customers(
    con: duckdb.DuckDBPyConnection,
    text: str,
    limit: int = 20,
    skip: list[tuple[int, int]] | None = None,
) -> list[Entity]:
    """Customers named in ``text`` by id (C000123, 客户17850), by a name fragment of 4+ Chinese
    characters ("嘉科医疗"), by a full 3-character name ("关辉鹏") or by 2+ English words. Verified
    against the warehouse.

    ``skip``: spans already explained by other words (time, metrics, cues); no fragment crosses them.
    The search scans the names at most three times however long the question is: once to count the
    4-character fragments (a fragment in many names is a common word, not a name), once for the names
    holding a rare one (longer fragments are matched on those in Python), once for exact 3-character
    names; so it stays fast on a million customers.
    """
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
    skip = [*(skip or []), *[(e.start, e.end) for e in found]]
    grams: dict[str, tuple[int, int]] = {}
    triples: dict[str, tuple[int, int]] = {}
    skip = skip + [(m.start(), m.end()) for m in QUESTION_WORDS.finditer(text)]
    for s0, chunk in _runs(text, skip):
        for n in range(min(len(chunk), 12), 3, -1):
            for i in range(len(chunk) - n + 1):
                grams.setdefault(chunk[i : i + n], (s0 + i, s0 + i + n))
        for i in range(len(chunk) - 2):
            triples.setdefault(chunk[i : i + 3], (s0 + i, s0 + i + 3))
    words = [(m.group(0), m.start()) for m in re.finditer(r"[A-Za-z][A-Za-z&'.-]+", text)]
    english: dict[str, tuple[int, int]] = {}
    for n in (3, 2):
        for i in range(len(words) - n + 1):
            if all(w.lower() in STOP_WORDS for w, _ in words[i : i + n]):
                continue
            phrase = " ".join(w for w, _ in words[i : i + n])
            pos = text.find(phrase)
            if pos >= 0 and not any(s < pos + len(phrase) and pos < e for s, e in skip):
                english.setdefault(phrase.lower(), (pos, pos + len(phrase)))
    hits: list[tuple[str, str, str]] = []  # (fragment, customer_id, name)
    seeds = sorted({g[:4] for g in grams} | {g[i : i + 4] for g in grams for i in range(len(g) - 3)})[:MAX_GRAMS]
    seeds_en = sorted(english)[:MAX_GRAMS]
    if seeds or seeds_en or triples:
        rows = _names_holding(con, seeds, seeds_en, list(triples))
        rare = {g for g in seeds if 0 < sum(g in n for _, n in rows) <= MAX_HITS_PER_SEED}
        for gram in grams:
            if not any(gram[i : i + 4] in rare for i in range(len(gram) - 3)):
                continue  # every name holding it holds a common 4-character fragment: not a name
            matched = [(cid, n) for cid, n in rows if gram in n]
            # A fragment that fits more than a few customers ("医疗器械", "有限公司") is a generic word.
            if 0 < len(matched) <= MAX_CUSTOMERS_PER_FRAGMENT:
                hits += [(gram, cid, n) for cid, n in matched]
        for phrase in seeds_en:
            matched = [(cid, n) for cid, n in rows if phrase in n.lower()]
            if 0 < len(matched) <= MAX_CUSTOMERS_PER_FRAGMENT:
                hits += [(phrase, cid, n) for cid, n in matched]
        hits += [(n, cid, n) for cid, n in rows if n in triples]
        grams.update(english)
        grams.update(triples)
    hits.sort(key=lambda h: (-len(h[0]), h[1]))
    taken: list[tuple[int, int]] = [(e.start, e.end) for e in found]
    for gram, cid, name in hits:
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
