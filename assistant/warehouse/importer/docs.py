"""Render the importer's synonyms (synonyms.yaml) and defaults into docs/data.md, inside its own section.

``python -m assistant.warehouse.importer.docs`` rewrites the block between the import markers; a test fails
when the document drifts from the tables.
"""

from __future__ import annotations

import sys

from assistant.warehouse.contract_doc import DOC_PATH
from assistant.warehouse.importer.mapping import synonyms
from assistant.warehouse.importer.validate import DEFAULTS, VALUE_SYNONYMS

BEGIN = (
    "<!-- import-synonyms:begin (generated from assistant/warehouse/importer/synonyms.yaml; do not edit by hand) -->"
)
END = "<!-- import-synonyms:end -->"


def render() -> str:
    syn = synonyms()
    out = [BEGIN, "", "### Column synonyms · 列名同义词", ""]
    out += ["Any table that has the column:", "", "| column | synonyms |", "|---|---|"]
    for col, words in syn["columns"].items():
        out.append(f"| `{col}` | {', '.join(words)} |")
    out += ["", "Only in one table (checked first):", "", "| table | column | synonyms |", "|---|---|---|"]
    for table, cols in syn["per_table"].items():
        for col, words in cols.items():
            out.append(f"| `{table}` | `{col}` | {', '.join(words)} |")
    out += ["", "Preset `transactions`:", "", "| field | synonyms |", "|---|---|"]
    for col, words in syn["transactions"].items():
        out.append(f"| `{col}` | {', '.join(words)} |")
    out += ["", "File or sheet names that select a table:", "", "| table | names |", "|---|---|"]
    for table, words in syn["tables"].items():
        out.append(f"| `{table}` | {', '.join(words)} |")
    out += ["", "Defaults for a missing column or a blank cell:", "", "| table | column | default |", "|---|---|---|"]
    for table, cols in DEFAULTS.items():
        for col, value in cols.items():
            out.append(f"| `{table}` | `{col}` | `{value}` |")
    out += ["", "Accepted spellings of allowed values:", "", "| column | written | stored |", "|---|---|---|"]
    for col, words in VALUE_SYNONYMS.items():
        for k, v in words.items():
            out.append(f"| `{col}` | {k} | `{v}` |")
    out += ["", END]
    return "\n".join(out)


def update_doc(write: bool = True) -> bool:
    """Replace the generated block in docs/data.md; True when it changed (or would change)."""
    text = DOC_PATH.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < 0:
        raise SystemExit(f"{DOC_PATH}: the import-synonyms markers are missing")
    new = text[:start] + render() + text[end + len(END) :]
    if new != text and write:
        DOC_PATH.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    changed = update_doc(write="--check" not in sys.argv)
    print(f"{DOC_PATH}: {'changed' if changed else 'up to date'}")  # noqa: T201
    sys.exit(1 if changed and "--check" in sys.argv else 0)
