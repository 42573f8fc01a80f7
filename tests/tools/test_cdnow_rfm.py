"""rfm on real data: the CDNOW master file (23,570 customers, 69,659 purchases, 1997-01..1998-06) from the
lifetimes wheel, loaded into a contract-shaped warehouse and checked against an independent pandas computation.

Each CDNOW row becomes one completed order with one line (amount = dollar value); as_of is 1998-06-30.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from assistant.warehouse.db import create_tables
from tools.rfm import CLASSES8, RF11, RfmArgs, rfm


def cdnow_path() -> Path | None:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_master.txt"
    return path if path.exists() else None


PATH = cdnow_path()
pytestmark = pytest.mark.skipif(PATH is None, reason="lifetimes (which ships the CDNOW data set) is not installed")
AS_OF = dt.date(1998, 6, 30)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    assert PATH is not None
    df = pd.read_csv(
        PATH,
        sep=r"\s+",
        skiprows=1,
        header=None,
        names=["cid", "date", "cds", "dollars"],
        dtype={"cid": str, "date": str},
    )
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df


@pytest.fixture(scope="module")
def con(cdnow: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    create_tables(con)
    rows = cdnow.reset_index(drop=True).assign(order_id=lambda d: "O" + d.index.astype(str))
    con.register("cd", rows)
    con.execute(
        """INSERT INTO customers SELECT DISTINCT cid, 'CDNOW ' || cid, '华东', '上海', '零售', '个人', '线上',
        DATE '1997-01-01', NULL, NULL FROM cd"""
    )
    con.execute("INSERT INTO products VALUES ('CD', 'CD', '音像', 0, NULL, NULL)")
    con.execute("INSERT INTO orders SELECT order_id, cid, CAST(date AS DATE), '线上', 'completed', NULL FROM cd")
    con.execute(
        """INSERT INTO order_items SELECT order_id, 1, 'CD', greatest(cds, 1),
        CAST(dollars / greatest(cds, 1) AS DECIMAL(18, 2)), 0, CAST(dollars AS DECIMAL(18, 2)) FROM cd"""
    )
    con.unregister("cd")
    return con


def pandas_rfm(df: pd.DataFrame) -> pd.DataFrame:
    """The same definitions, written independently with pandas."""
    g = df.groupby("cid").agg(last=("date", "max"), f=("date", "size"), m=("dollars", "sum"))
    g["r"] = (pd.Timestamp(AS_OF) - g["last"]).dt.days
    g["m"] = g["m"].round(2)
    n = len(g)
    # rank() with ties at the lowest rank = pandas method="min"; R ranked by days descending
    for col, asc in (("r", False), ("f", True), ("m", True)):
        rank = g[col].rank(method="min", ascending=asc).astype(int)
        g[col + "_score"] = 1 + (5 * (rank - 1)) // n
    r_hi = g["r"] <= g["r"].mean()
    f_hi = g["f"] >= g["f"].mean()
    m_hi = g["m"] >= g["m"].mean()
    names = {(c["r"] == "high", c["f"] == "high", c["m"] == "high"): c["zh"] for c in CLASSES8}
    g["class_zh"] = [names[k] for k in zip(r_hi, f_hi, m_hi, strict=True)]
    grid = {}
    for s in RF11:
        for rs, fs in s["cells"]:
            for r in rs:
                for f in fs:
                    grid[(r, f)] = s["en"]
    g["segment_en"] = [grid[k] for k in zip(g["r_score"], g["f_score"], strict=True)]
    return g


def test_cdnow_shape(cdnow: pd.DataFrame) -> None:
    # the published description of the master file
    assert len(cdnow) == 69_659 and cdnow["cid"].nunique() == 23_570
    assert cdnow["date"].min() == pd.Timestamp("1997-01-01") and cdnow["date"].max() == pd.Timestamp("1998-06-30")


def test_rfm_matches_pandas(con: duckdb.DuckDBPyConnection, cdnow: pd.DataFrame) -> None:
    want = pandas_rfm(cdnow)
    res = rfm(con, RfmArgs(as_of=AS_OF, by="customer", limit=1_000_000))
    got = pd.DataFrame(res.rows, columns=res.columns).set_index("customer_id").loc[want.index]
    assert len(got) == 23_570 and res.figures["population"] == 23_570
    assert (got["recency_days"].to_numpy() == want["r"].to_numpy()).all()
    assert (got["frequency"].to_numpy() == want["f"].to_numpy()).all()
    assert np.allclose(got["monetary"].to_numpy(dtype=float), want["m"].to_numpy(), atol=0.011)
    for s in ("r_score", "f_score", "m_score"):
        assert (got[s].to_numpy() == want[s].to_numpy()).all(), s
    assert (got["class_zh"] == want["class_zh"]).all()
    assert (got["segment_en"] == want["segment_en"]).all()
    assert res.figures["f_threshold"] == round(want["f"].mean(), 4)


def test_segment_counts_match_pandas(con: duckdb.DuckDBPyConnection, cdnow: pd.DataFrame) -> None:
    want = pandas_rfm(cdnow)
    res = rfm(con, RfmArgs(as_of=AS_OF))
    counts = {r["class_zh"]: r["customers"] for r in res.records()}
    assert counts == {c["zh"]: int((want["class_zh"] == c["zh"]).sum()) for c in CLASSES8}
    res = rfm(con, RfmArgs(as_of=AS_OF, scheme="rf11"))
    counts = {r["segment_en"]: r["customers"] for r in res.records()}
    assert counts == {s["en"]: int((want["segment_en"] == s["en"]).sum()) for s in RF11}
    # CDNOW is famously one-off heavy: 51% of customers bought once, so F has huge ties
    assert (want["f"] == 1).mean() == pytest.approx(0.51, abs=0.01)
    shares = sum(r["revenue_share"] for r in res.records())
    assert shares == pytest.approx(1, abs=1e-5)
