"""How figures and columns are named and written in an answer's text: labels in the reader's language and
number formats by kind (tools/tables/labels.yaml on top of the semantic layer, tools/tables/metrics.yaml).

Kept apart from ``answer.py`` so the writers of answers (``lead.py``, ``writers.py``) can use it and be used by it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from assistant.answering.value_names import english
from tools.tables import load as load_table

# ---- formatting ---------------------------------------------------------------------------------
# How each figure and column is named and written: tools/tables/labels.yaml (kinds, labels, patterns, per-tool
# overrides) on top of the semantic layer's metric and dimension names (tools/tables/metrics.yaml).

# Kinds whose change is a difference in points, never a percentage (a percent change of a rate or a score
# reads as nonsense: "NPS 变化% 42.2%").
_POINT_KINDS = ("percent", "ratio", "points", "score")
# Kinds whose values are shown as they are (names, identifiers, short neutral text).
_TEXT_KINDS = ("name", "id", "text", "date", "code", "key")
NAME_COLUMNS = ("customer_name", "name", "product_name", "rep_name")
MAX_ROW_PARTS = 5
_CJK = re.compile(r"[\u3400-\u9fff]")


@cache
def _tables() -> tuple[dict[str, Any], dict[str, Any]]:
    return load_table("labels"), load_table("metrics")


@cache
def _metric_meta() -> dict[str, Any]:
    sem = _tables()[1]
    return {**sem["metrics"], **{f"dim:{k}": v for k, v in sem["dimensions"].items()}}


_FORMAT_KINDS = {"money": "money", "percent": "percent", "integer": "count", "number": "number", "days": "days"}


@cache
def spec(key: str, tool: str | None = None) -> dict[str, Any]:
    """How ``key`` is named and written (zh, en, kind, detail …), or {} for a key nobody described.

    Order: the tool's own override, the label table, the semantic layer's metrics and dimensions, then the
    patterns for derived keys (``revenue_change``, ``nps_ci_low``, ``m3`` …).
    """
    labels, sem = _tables()
    override = dict(labels.get("tools", {}).get(tool or "", {}).get(key, {}))
    found: dict[str, Any] = {}
    if key in labels["labels"]:
        found = dict(labels["labels"][key])
    elif key in sem["metrics"]:
        m = sem["metrics"][key]
        kind = labels["metric_kinds"].get(key) or _FORMAT_KINDS.get(m.get("format", ""), "number")
        found = {"zh": m["zh"], "en": m["en"], "kind": kind}
    elif key in sem["dimensions"]:
        d = sem["dimensions"][key]
        found = {"zh": d["zh"], "en": d["en"], "kind": labels["dimension_kinds"].get(key, "name")}
    else:
        found = _from_pattern(key, tool)
    return {**found, **override}


def _from_pattern(key: str, tool: str | None) -> dict[str, Any]:
    for pat in _tables()[0]["patterns"]:
        groups: tuple[str, ...] = ()
        if "suffix" in pat and key.endswith(pat["suffix"]) and len(key) > len(pat["suffix"]):
            base = key[: -len(pat["suffix"])]
        elif "prefix" in pat and key.startswith(pat["prefix"]) and len(key) > len(pat["prefix"]):
            base = key[len(pat["prefix"]) :]
        elif "regex" in pat and (m := re.match(pat["regex"], key)):
            base, groups = "", m.groups()
        else:
            continue
        inner = spec(base, tool) if base else {}
        if base and not inner:
            continue
        out: dict[str, Any] = {}
        for lang in ("zh", "en"):
            text = str(pat[lang]).replace("{base}", str(inner.get(lang, "")))
            for i, g in enumerate(groups, 1):
                text = text.replace(f"{{{i}}}", g)
            out[lang] = text
        kind = pat["kind"]
        base_kind = inner.get("kind", "number")
        if kind == "same":
            out.update({k: v for k, v in inner.items() if k in ("kind", "bounded", "detail", "values")})
        elif kind == "change":
            out.update(kind="change", of=base_kind, bounded=False)
        elif kind == "change_pct":
            # A relative change of a rate or a score is not shown in the text (its change in points is).
            out.update(kind="change_pct", of=base_kind, bounded=False, detail=base_kind in _POINT_KINDS)
        else:
            out["kind"] = kind
        if pat.get("detail"):
            out["detail"] = True
        return out
    return {}


def label(key: str, lang: str, tool: str | None = None) -> str:
    """A column or figure name in the reader's language (labels.yaml and the semantic layer)."""
    found = spec(key, tool)
    if found.get(lang):
        return str(found[lang])
    if key.endswith(("_zh", "_en")) and spec(key[:-3], tool).get(lang):
        return str(spec(key[:-3], tool)[lang])
    return key.replace("_", " ")


def kind_of(key: str, tool: str | None = None) -> str | None:
    """The kind of a figure or column (money, ratio, percent, points …), None when undescribed."""
    return spec(key, tool).get("kind")


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _money(v: float, lang: str, sign: str = "") -> str:
    a = abs(v)
    if lang == "zh" and a >= 100_000_000:
        return f"{v / 100_000_000:{sign},.2f}亿"
    if lang == "zh" and a >= 10_000:
        return f"{v / 10_000:{sign},.1f}万"
    if lang != "zh" and a >= 1_000:
        return f"{v:{sign},.0f}"
    return f"{v:{sign},.2f}".removesuffix(".00")


def _plain(v: float, sign: str = "", decimals: int = 2) -> str:
    if float(v).is_integer():
        return f"{v:{sign},.0f}"
    return _trim(f"{v:{sign},.{decimals}f}")


def _number(v: float, kind: str | None, lang: str, sign: str = "") -> str:
    zh = lang == "zh"
    if kind == "money":
        return _money(v, lang, sign)
    if kind == "ratio":
        return f"{v * 100:{sign},.1f}%"
    if kind in ("percent", "change_pct"):
        return f"{v:{sign},.1f}%"
    if kind == "points":
        return f"{v:{sign}.1f}"
    if kind == "multiple":
        return _plain(v, sign, 2 if abs(v) < 10 else 1) + (" 倍" if zh else "×")
    if kind == "count":
        return _plain(v, sign, 2)
    if kind == "days":
        return _plain(v, sign, 1)
    if kind in ("hours", "weeks"):
        return f"{v:{sign},.1f}"
    if kind is None and zh and abs(v) >= 100_000 and not float(v).is_integer():
        return _money(v, lang, sign)  # an undescribed large amount (e.g. a SQL alias): still 万 in Chinese
    return _plain(v, sign)


def _change(v: float, of: str, lang: str) -> str:
    """A difference between two periods in the base's own unit: points for rates and scores."""
    zh = lang == "zh"
    if of in ("percent", "ratio"):
        pts = v * 100 if of == "ratio" else v
        return f"{pts:+.1f} 个百分点" if zh else f"{pts:+.1f} pp"
    if of == "points":
        return f"{v:+.1f} 分" if zh else f"{v:+.1f} pts"
    return _number(v, of, lang, sign="+")


def text_value(value: str, lang: str) -> str:
    """A text value for the reader: a bilingual constant's half, a data value's English name in English."""
    # A tool's bilingual constant ("全部 / All") shows the reader's half; "(无)" is the tools' empty group.
    if " / " in value:
        left, right = value.split(" / ", 1)
        if _CJK.search(left) and not _CJK.search(right):
            return left if lang == "zh" else right
    if value == "(无)" and lang != "zh":
        return "(none)"
    if lang != "zh" and _CJK.search(value):
        return english(value) or value
    return value


def _values(found: dict[str, Any]) -> dict[str, Any]:
    """A code column's translations: its own ``values``, or a section of another table (``values_from``)."""
    if "values_from" not in found:
        return dict(found.get("values", {}))
    table, section = str(found["values_from"]).split(".", 1)
    return dict(load_table(table).get(section, {}))


def fmt(
    value: Any,
    key: str = "",
    lang: str = "zh",
    tool: str | None = None,
    kind: str | None = None,
    metric: str | None = None,
) -> str:
    """A value for reading, by the kind of ``key`` (labels.yaml): money in 万/亿 (zh) or with thousands
    separators (en), ratios and percents as percentages, NPS and changes of rates in points, counts, days.

    ``kind`` overrides the table's; ``metric`` is the metric a result is about (for values of kind ``metric``).
    """
    found = spec(key, tool) if key else {}
    kind = kind or found.get("kind")
    if kind == "metric":
        kind = kind_of(metric, tool) if metric else None
    sign = "+" if found.get("signed") else ""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if kind == "code":
        entry = _values(found).get(str(value))
        return str(entry[lang]) if entry else text_value(str(value), lang)
    if kind == "key":
        return label(str(value), lang, tool)
    if isinstance(value, str) or kind in ("name", "id", "text"):
        return text_value(str(value), lang)
    if isinstance(value, Decimal):
        value = float(value)
    if not isinstance(value, (int, float)):
        return str(value)
    if kind == "change":
        return _change(float(value), str(found.get("of", "number")), lang)
    if kind == "change_pct":
        return f"{value:+,.1f}%"
    if kind is None and isinstance(value, int):
        return f"{value:{sign},}"
    return _number(float(value), kind, lang, sign)


def is_detail(key: str, tool: str | None = None) -> bool:
    """A figure or column left out of the text (kept in the table and the JSON)."""
    return bool(spec(key, tool).get("detail"))


@dataclass(frozen=True)
class RowLayout:
    """Which columns a text row shows: its name, what qualifies the name, and the labelled parts."""

    name: int | None
    name_parts: tuple[int, ...]
    parts: tuple[tuple[int, str], ...]  # column index, the key it is labelled and formatted by


def row_layout(columns: list[str], rows: list[list[Any]], lang: str, tool: str | None = None) -> RowLayout:
    """The name column and the parts of each text row.

    Bilingual pairs (``X_zh``/``X_en``, or ``X`` beside ``X_en``) show the reader's language under X's label;
    identifiers are left out when the row has a real name; the name is a text column, never a number.
    """
    other = "_en" if lang == "zh" else "_zh"
    hidden: set[str] = set()
    shown_as: dict[str, str] = {}
    for c in columns:
        if not c.endswith(("_zh", "_en")):
            continue
        base = c[:-3]
        if base in columns and f"{base}_zh" not in columns and c.endswith("_en"):
            hidden.add(c if lang == "zh" else base)  # X beside X_en: X holds the Chinese label
            shown_as[c] = base
        elif c.endswith(other):
            hidden.add(c)
        else:
            shown_as[c] = base
            if base in columns and kind_of(base, tool) in ("code", None):
                hidden.add(base)  # the code beside its label (kind beside kind_zh); a grade letter stays
    visible = [c for c in columns if c not in hidden]

    def key(c: str) -> str:
        return shown_as.get(c, c)

    def kind(c: str) -> str | None:
        found = kind_of(key(c), tool)
        if found is None and rows:
            v = rows[0][columns.index(c)]
            return "name" if isinstance(v, (str, dt.date)) else None
        return found

    name = next((c for c in NAME_COLUMNS if c in visible), None)
    if name is None and visible and kind(visible[0]) in _TEXT_KINDS:
        name = visible[0]
    name_parts = tuple(c for c in visible if c != name and spec(key(c), tool).get("name_part"))
    skip = {name, *name_parts}
    if name is not None and kind(name) != "id":
        skip |= {c for c in visible if kind(c) == "id"}
    parts = [c for c in visible if c not in skip and not is_detail(key(c), tool)][:MAX_ROW_PARTS]
    return RowLayout(
        columns.index(name) if name is not None else None,
        tuple(columns.index(c) for c in name_parts),
        tuple((columns.index(c), key(c)) for c in parts),
    )


def cell_kind(key: str, columns: list[str], row: list[Any], tool: str | None) -> str | None:
    """The kind of a cell whose kind depends on the row (satisfaction's extremes: one attribute per row)."""
    rule = spec(key, tool).get("row_kind")
    if not rule or rule.get("column") not in columns:
        return None
    attribute = row[columns.index(rule["column"])]
    found = kind_of(str(attribute), tool) if isinstance(attribute, str) else None
    return found if found and found not in _TEXT_KINDS else str(rule.get("default", "number"))


def _row_line(
    columns: list[str],
    row: list[Any],
    lang: str,
    layout: RowLayout,
    tool: str | None = None,
    metric: str | None = None,
) -> str:
    name = ""
    if layout.name is not None:
        name = fmt(row[layout.name], columns[layout.name], lang, tool)
        for i in layout.name_parts:
            extra = fmt(row[i], columns[i], lang, tool)
            name += f" {extra}" if row[i] not in (None, "") else ""
    parts = []
    for i, k in layout.parts:
        text = fmt(row[i], k, lang, tool, kind=cell_kind(k, columns, row, tool), metric=metric)
        if isinstance(row[i], str) and name and name.startswith(text):
            continue  # already in the row's name (an ABC letter before its class)
        parts.append(f"{label(k, lang, tool)} {text}")
    body = ", ".join(parts)
    if not name:
        return body
    return f"{name}:{body}" if lang == "zh" else f"{name}: {body}"
