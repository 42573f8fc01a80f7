"""The teaching tools through the registry: walkthrough text faithful to rfm, exercises with hidden answers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from assistant.capabilities import load_all
from assistant.core.errors import InputError


@pytest.fixture
def con(sample_db: Path):
    c = duckdb.connect(str(sample_db), read_only=True)
    yield c
    c.close()


def test_walkthrough_tool(con: duckdb.DuckDBPyConnection) -> None:
    cid = con.execute("SELECT min(customer_id) FROM orders WHERE status = 'completed'").fetchone()[0]
    res = load_all()["rfm_walkthrough"].run(con, {"customer_ids": [cid]})
    rfm = load_all()["rfm"].run(con, {"customer_ids": [cid], "by": "customer"}).records()[0]
    assert res.tool == "rfm_walkthrough" and f"**{rfm['class_zh']}**" in res.figures["markdown"]
    assert res.sql and res.rows
    with pytest.raises(InputError, match="exactly one customer"):
        load_all()["rfm_walkthrough"].args_model.model_validate({"customer_ids": ["a", "b"]})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_walkthrough_with_no_customer_named_teaches_with_a_real_one(con: duckdb.DuckDBPyConnection, lang: str) -> None:
    res = load_all()["rfm_walkthrough"].run(con, {"lang": lang})
    rfm = load_all()["rfm"].run(con, {"by": "customer"}).records()
    top = [r for r in rfm if r["r_high"] and r["f_high"] and r["m_high"]]
    want = max(top, key=lambda r: r["monetary"])["customer_id"]  # the biggest buyer scoring high on all three
    text = res.figures["markdown"]
    assert want in text.splitlines()[0] and ("没有指定客户" in text if lang == "zh" else "No customer named" in text)


def test_exercises_tool_keeps_answers_out_of_the_text(con: duckdb.DuckDBPyConnection) -> None:
    res = load_all()["exercises"].run(con, {"n": 4, "seed": 5, "lang": "en"})
    items = res.figures["exercises"]
    assert len(items) == 4 == len(res.rows)
    text = res.figures["markdown"]
    for ex in items:
        assert ex["question"] in text and ex["explanation"] not in text
