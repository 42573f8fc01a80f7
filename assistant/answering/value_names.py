"""English names for the Chinese values of the data (regions, channels, categories …) in English answers.

An English reader of "Revenue by region: 华东 …" sees a value they cannot read. Values the sample vocabulary, the
alias table or ``value_names.yaml`` name get their English name; any other value (a customer, a product, a user's
own category) is shown as it is. Only what is shown changes: results, JSON and downloads keep the data's values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import yaml

from assistant.warehouse import vocab as V

TABLE = Path(__file__).with_name("value_names.yaml")
ALIASES = Path(__file__).parents[1] / "nlu" / "aliases.yaml"
_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def _title(alias: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in alias.split())  # "xi'an" → "Xi'an", not str.title's "Xi'An"


@cache
def english_names() -> dict[str, str]:
    """English name by value, over every kind (a value means the same thing wherever it appears: 电话 is Phone)."""
    names: dict[str, str] = {}
    for table in (V.REGIONS, V.INDUSTRIES, V.SIZES, V.ACQUISITION_CHANNELS, V.CATEGORIES):
        names.update({value: str(entry[0]) for value, entry in table.items()})
    names.update(V.SALES_CHANNELS)
    cities = yaml.safe_load(ALIASES.read_text(encoding="utf-8")).get("city", {})
    names.update({city: _title(str(aliases[0])) for city, aliases in cities.items() if aliases})
    for kind, values in _table().items():
        if kind != "filter_words":
            names.update({str(k): str(v) for k, v in values.items()})
    return names


@cache
def _table() -> dict[str, dict[str, str]]:
    return dict(yaml.safe_load(TABLE.read_text(encoding="utf-8")))


def english_filter(key: str, shown: str) -> str:
    """How an English sentence names a filter: "about Delivery", "via Online", "in East China"."""
    return str(_table()["filter_words"].get(key, "in {}")).format(shown)


def english_filters(named: Iterable[tuple[str, str]]) -> str:
    """Filters (argument, value as shown) in an English sentence, values of one argument together:
    "in East China and South China via Online"."""
    by_key: dict[str, list[str]] = {}
    for k, v in sorted(named, key=lambda kv: kv[0] != "rep_id"):  # whose customers first: "among your customers in …"
        by_key.setdefault(k, []).append(v)
    return " ".join(english_filter(k, " and ".join(vs)) for k, vs in by_key.items())


@cache
def _team() -> re.Pattern[str]:
    regions = "|".join(map(re.escape, V.REGIONS))
    return re.compile(rf"^({regions})([一二三四五六七八九十])组$")


def english(value: str) -> str | None:
    """The English name of a data value, or None when it has none (shown as it is)."""
    found = english_names().get(value.strip())
    if found:
        return found
    team = _team().match(value.strip())
    if team:
        return f"{V.REGIONS[team.group(1)][0]} team {_DIGITS[team.group(2)]}"
    return None
