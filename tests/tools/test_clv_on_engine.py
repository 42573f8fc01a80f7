"""clv's engine-side path (the one Spark takes: rows staged on the engine, predictions per batch, sums in SQL)
gives the answer of the in-process NumPy path. Run here on DuckDB told it is distributed, so no JVM is needed;
tests/engines checks the same on Spark."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from assistant.warehouse.duckdb_engine import DuckDBEngine
from tests.engines.parity import differences
from tools import _lifetime_models as lm
from tools.clv import BASE_VIEW, PREDICTED_COLUMNS, PREDICTED_VIEW, CLVArgs, _Models, clv, predict_batch

CASES: list[dict[str, Any]] = [
    {},
    {"by": "customer", "limit": 30},
    {"by": "customer", "limit": 30, "predictive": False},
    {"by": "region", "predictive": False},
    {"by": "industry", "start": "2025-01-01"},
    {"fit_sample": 100},
    {"region": ["华东"], "by": "customer", "limit": 5},
]


class _Distributed(DuckDBEngine):
    distributed = True


def _json(source: Any, args: dict[str, Any]) -> dict[str, Any]:
    return clv(source, CLVArgs(**args)).to_json()


@pytest.mark.parametrize("args", CASES, ids=[str(i) for i in range(len(CASES))])
def test_engine_path_matches_numpy_path(sample_con: duckdb.DuckDBPyConnection, args: dict[str, Any]) -> None:
    here = _json(sample_con, args)
    engine = _Distributed(sample_con)
    there = _json(engine, args)
    assert differences(here, there) == []
    # The same SQL in the answer: the staging and the sums are the engine's way of doing the NumPy steps.
    assert here["sql"] == there["sql"]
    # The staged views are gone afterwards.
    assert not {BASE_VIEW, PREDICTED_VIEW} & set(engine.tables())


def test_no_buyers_is_the_same_note(empty_con: duckdb.DuckDBPyConnection) -> None:
    empty_con.execute(
        "INSERT INTO customers VALUES ('A', '甲', '华东', '上海', '制造', '小型', '线上', DATE '2024-01-01', NULL, NULL)"
    )
    args = {"as_of": "2025-06-30"}
    assert differences(_json(empty_con, args), _json(_Distributed(empty_con), args)) == []


def test_predict_batch_is_the_same_in_any_split() -> None:
    """Each customer's prediction depends on its own row only: batches of any size give the same figures."""
    rng = np.random.default_rng(3)
    n = 500
    x = rng.integers(0, 6, n).astype(float)
    T = rng.uniform(10, 100, n)
    t_x = np.where(x > 0, T * rng.uniform(0.1, 1, n), 0.0)
    frame = pd.DataFrame(
        {
            "buyer": rng.random(n) > 0.1,
            "x": x,
            "t_x": t_x,
            "T": T,
            "mbar": np.where(x > 0, rng.uniform(50, 500, n), 0.0),
            "revenue": rng.uniform(0, 5000, n),
            "margin": rng.uniform(0, 1000, n),
        }
    )
    bg = lm.BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    gg = lm.GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    models = _Models(bg, gg, 0.2, 12, 0.01, n)
    whole = predict_batch(frame, models)
    parts = pd.concat([predict_batch(frame.iloc[i : i + 37], models) for i in range(0, n, 37)])
    for c in PREDICTED_COLUMNS:
        np.testing.assert_allclose(whole[c].to_numpy(), parts[c].to_numpy(), rtol=1e-12, equal_nan=True)
    assert whole.loc[~frame["buyer"], "pred_clv"].isna().all()
    assert whole.loc[frame["buyer"], "pred_clv"].notna().all()
