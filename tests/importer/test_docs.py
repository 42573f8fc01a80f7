"""docs/data.md carries the import rules after the contract block, and the generated synonyms are current."""

from __future__ import annotations

from assistant.warehouse.contract_doc import DOC_PATH, END
from assistant.warehouse.importer import docs
from assistant.warehouse.importer.mapping import synonyms


def test_section_after_contract_and_synonyms_current() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    assert text.index(END) < text.index("## Import: cleaning rules") < text.index(docs.BEGIN)
    assert not docs.update_doc(write=False), "run `python -m assistant.warehouse.importer.docs`"


def test_every_synonym_targets_a_real_column() -> None:
    from assistant.warehouse.importer.transactions import TRANSACTIONS
    from assistant.warehouse.schema import TABLES, TABLES_BY_NAME

    syn = synonyms()
    all_columns = {c.name for t in TABLES for c in t.columns}
    assert set(syn["columns"]) <= all_columns
    for table, cols in syn["per_table"].items():
        assert set(cols) <= set(TABLES_BY_NAME[table].column_names)
    assert set(syn["transactions"]) <= set(TRANSACTIONS.column_names)
    assert set(syn["tables"]) == set(TABLES_BY_NAME)
