"""Fixtures for the attack regression tests: the sample warehouse's two biggest books."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest


@pytest.fixture(scope="session")
def books(sample_db: Path) -> list[tuple[str, set[str]]]:
    """The two reps with the most customers, each with their customer ids."""
    con = duckdb.connect(str(sample_db), read_only=True)
    reps = [
        r[0]
        for r in con.execute("SELECT rep_id FROM customers GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2").fetchall()
    ]
    out = [
        (rep, {r[0] for r in con.execute("SELECT customer_id FROM customers WHERE rep_id = ?", [rep]).fetchall()})
        for rep in reps
    ]
    con.close()
    return out
