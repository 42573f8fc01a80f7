"""What the jobs share: running tools (their SQL kept for the answer), the words table, names, and formats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from assistant.answering.formatting import fmt
from assistant.answering.names import names_of
from assistant.answering.writers import citation
from tools import load_all
from tools.base import CommonFilters, ToolResult

TABLE = Path(__file__).with_name("jobs.yaml")
FILTERS = tuple(CommonFilters.model_fields)


@cache
def words() -> dict[str, Any]:
    return dict(yaml.safe_load(TABLE.read_text(encoding="utf-8")))


def say(entry: Mapping[str, Any], lang: str, **values: Any) -> str:
    """One sentence of jobs.yaml in ``lang`` with its values filled in."""
    return str(entry[lang]).format(**values)


@dataclass
class Runs:
    """The tools a job ran, in order: their SQL and notes travel with the job's answer."""

    con: duckdb.DuckDBPyConnection
    results: list[ToolResult] = field(default_factory=list)

    def run(self, name: str, args: Mapping[str, Any]) -> ToolResult:
        result = load_all()[name].run(self.con, dict(args))
        self.results.append(result)
        return result

    @property
    def sql(self) -> list[str]:
        return [q for r in self.results for q in r.sql]

    @property
    def notes(self) -> list[str]:
        return list(dict.fromkeys(n for r in self.results for n in r.notes))

    def names(self, ids: list[str]) -> dict[str, str]:
        return names_of(self.con, ids)


def filters(args: CommonFilters) -> dict[str, Any]:
    """The common filters a job was given, to pass on to every tool it runs."""
    return args.model_dump(include=set(FILTERS), exclude_none=True)


def money(v: Any, lang: str) -> str:
    return fmt(v, "revenue", lang)


def sources(pairs: list[list[str]], lang: str) -> str:
    """Where the job's rules come from, as citations of our documents."""
    cites = [c for doc, anchor in pairs if (c := citation(doc, anchor, lang))]
    return ("依据:" if lang == "zh" else "Based on: ") + "; ".join(cites) if cites else ""
