"""CLV and CAC on hand-built tables (expectations worked out by hand), the predictive path against the model
functions, and the CDNOW sample through the tool's own SQL against the published BG/NBD and Gamma-Gamma fits."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assistant.core.errors import InputError
from tools import _lifetime_models as lm
from tools.clv import CLVArgs, _hex_key, clv

AS_OF = dt.date(2025, 6, 30)


def _order(con, oid, cid, day, revenue, cost, status="completed", channel="线上", category="A"):
    pid = f"P{oid}"
    con.execute("INSERT INTO products VALUES (?, ?, ?, ?, ?, NULL)", [pid, pid, category, revenue, cost])
    con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, NULL)", [oid, cid, day, channel, status])
    con.execute("INSERT INTO order_items VALUES (?, 1, ?, 1, ?, 0, ?)", [oid, pid, revenue, revenue])


@pytest.fixture
def con(empty_con):
    c = empty_con
    c.execute(
        """INSERT INTO customers VALUES
        ('A', '甲', '华东', '上海', '制造', '小型', '线上', DATE '2024-01-01', NULL, NULL),
        ('B', '乙', '华东', '上海', '制造', '小型', '线上', DATE '2024-01-01', NULL, NULL),
        ('C', '丙', '华北', '北京', '零售', '中型', '展会', DATE '2025-04-01', NULL, NULL),
        ('D', '丁', '华北', '北京', '零售', '中型', '展会', DATE '2025-04-01', NULL, NULL)"""
    )
    _order(c, "A1", "A", "2024-03-01", 1000, 600)  # previous year; margin 400
    _order(c, "A2", "A", "2025-02-01", 300, 200)  # last year; the two orders of 2025-02-01 are one purchase day:
    _order(c, "A3", "A", "2025-02-01", 200, 100, channel="门店", category="B")  # revenue 500, margin 200
    _order(c, "B1", "B", "2024-01-15", 2000, 1000)  # previous year only; margin 1000
    _order(c, "C1", "C", "2025-05-01", 300, 200)  # last year; margin 100
    _order(c, "C2", "C", "2025-05-02", 999, 0, status="returned")  # not revenue
    c.execute(
        """INSERT INTO marketing_spend VALUES
        (DATE '2024-01-01', '线上', 300), (DATE '2025-01-01', '线上', 300),
        (DATE '2025-05-01', '展会', 900), (DATE '2024-06-01', '电话', 50)"""
    )
    return c


def _run(con, **kw):
    kw.setdefault("as_of", AS_OF)
    kw.setdefault("predictive", False)
    return clv(con, CLVArgs(**kw))


# Last year = 2024-07-01..2025-06-30, previous year = 2023-07-02..2024-06-30.
# Active last year: A (margin 200), C (margin 100) → m = 150. Active the year before: A, B; A came back → r = 1/2.
# CLV = m·r / (1 + d − r) = 150 · 0.5 / 0.6 = 125.  Historical CLV: A 600, B 1000, C 100 → 1700 over 3 buyers.


def test_overall_figures_by_hand(con):
    f = _run(con).figures
    assert f["customers"] == 4 and f["buyers"] == 3
    assert f["revenue"] == pytest.approx(3800)
    assert f["historical_clv_total"] == pytest.approx(1700)
    assert f["historical_clv_mean"] == pytest.approx(1700 / 3)
    assert f["annual_margin_m"] == pytest.approx(150)
    assert f["retention_r"] == pytest.approx(0.5)
    assert f["clv_formula"] == pytest.approx(125)
    # CAC: all spend 600 + 900 + 50 over 3 new customers (no period: every buyer is new).
    assert f["marketing_spend"] == pytest.approx(1550) and f["new_customers"] == 3
    assert f["cac"] == pytest.approx(1550 / 3)
    assert f["clv_cac_ratio"] == pytest.approx(125 / (1550 / 3))
    assert "bgnbd" not in f  # predictive=False


def test_by_acquisition_channel_with_cac(con):
    res = _run(con)
    recs = {r["acquisition_channel"]: r for r in res.records()}
    # 线上 (A, B): m = 200 (A only active last year), r = 1/2 → 200·0.5/0.6 = 166.67; CAC 600 / 2 = 300.
    on = recs["线上"]
    assert on["customers"] == 2 and on["buyers"] == 2 and on["historical_clv"] == pytest.approx(1600)
    assert on["annual_margin_m"] == pytest.approx(200) and on["retention_r"] == pytest.approx(0.5)
    assert on["clv_formula"] == pytest.approx(200 * 0.5 / 0.6)
    assert on["cac"] == pytest.approx(300) and on["clv_cac_ratio"] == pytest.approx(200 * 0.5 / 0.6 / 300)
    # 展会 (C, D): nobody active the year before → r and CLV undefined; CAC 900 / 1.
    ex = recs["展会"]
    assert ex["customers"] == 2 and ex["buyers"] == 1 and ex["retention_r"] is None and ex["clv_formula"] is None
    assert ex["cac"] == pytest.approx(900) and ex["clv_cac_ratio"] is None
    # 电话: spend but no customer acquired → a row with CAC undefined.
    assert recs["电话"]["customers"] == 0 and recs["电话"]["marketing_spend"] == pytest.approx(50)
    assert recs["电话"]["cac"] is None
    assert [r[0] for r in res.rows] == ["线上", "展会", "电话"]  # historical CLV descending


def test_per_customer_rows(con):
    res = _run(con, by="customer")
    assert res.columns[0] == "customer_id"
    recs = {r["customer_id"]: r for r in res.records()}
    assert [r[0] for r in res.rows] == ["B", "A", "C", "D"]  # no prediction: historical CLV descending
    a = recs["A"]
    assert a["historical_clv"] == pytest.approx(600) and a["margin_12m"] == pytest.approx(200)
    assert a["clv_formula"] == pytest.approx(200 * 0.5 / 0.6)
    # Purchase days 2024-03-01 and 2025-02-01: x = 1, t_x = 337 days, T = 486 days (weeks = days / 7),
    # mean repeat spend = the 2025-02-01 day = 300 + 200.
    assert a["repeat_purchases_x"] == 1
    assert a["t_x_weeks"] == pytest.approx(337 / 7) and a["T_weeks"] == pytest.approx(486 / 7)
    assert a["mean_repeat_spend"] == pytest.approx(500)
    assert recs["C"]["repeat_purchases_x"] == 0 and recs["C"]["T_weeks"] == pytest.approx(60 / 7)
    assert recs["C"]["mean_repeat_spend"] is None
    assert recs["D"]["repeat_purchases_x"] is None and recs["D"]["historical_clv"] == 0
    assert recs["A"]["predicted_clv"] is None
    assert [r[0] for r in _run(con, by="customer", limit=2).rows] == ["B", "A"]


def test_period_start(con):
    # From 2025-01-01: window margin A 200 + C 100; r and m still look at the two years to the end.
    # New customers: C only (A and B first bought in 2024). Spend from 2025-01: 线上 300, 展会 900.
    res = _run(con, start=dt.date(2025, 1, 1))
    f = res.figures
    assert f["historical_clv_total"] == pytest.approx(300) and f["buyers"] == 2
    assert f["clv_formula"] == pytest.approx(125)
    assert f["new_customers"] == 1 and f["marketing_spend"] == pytest.approx(1200)
    recs = {r["acquisition_channel"]: r for r in res.records()}
    assert recs["线上"]["new_customers"] == 0 and recs["线上"]["cac"] is None
    assert recs["展会"]["cac"] == pytest.approx(900)
    assert "电话" not in recs  # no spend in the period and no customers


def test_customer_filters_switch_cac_off(con):
    res = _run(con, region="华北")
    assert res.figures["customers"] == 2 and res.figures["historical_clv_total"] == pytest.approx(100)
    assert res.figures["cac"] is None and res.figures["marketing_spend"] is None
    assert any("CAC" in n for n in res.notes)
    assert _run(con, customer_ids=["A"], by="size").rows[0][0] == "小型"


def test_channel_and_category_filters_narrow_the_lines(con):
    # Channel 门店: only A3 (revenue 200, margin 100) counts.
    assert _run(con, channel="门店").figures["historical_clv_total"] == pytest.approx(100)
    assert _run(con, category="B").figures["revenue"] == pytest.approx(200)


def test_discount_rate_and_other_dimensions(con):
    # d = 0: 150 · 0.5 / 0.5 = 150.
    assert _run(con, discount_rate=0).figures["clv_formula"] == pytest.approx(150)
    recs = {r["region"]: r for r in _run(con, by="region").records()}
    assert recs["华东"]["customers"] == 2 and "cac" not in recs["华东"]


def test_too_few_repeat_buyers_gives_a_note_not_an_error(con):
    res = _run(con, predictive=True)
    assert "bgnbd" not in res.figures
    assert any("repeat purchases" in n for n in res.notes)


def test_empty_warehouse(empty_con):
    res = clv(empty_con, CLVArgs(as_of=AS_OF))
    assert res.figures["customers"] == 0 and res.figures["clv_formula"] is None
    with pytest.raises(InputError, match="as_of"):
        clv(empty_con, CLVArgs())


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"discount_rate": 1.5}, "between 0 and 1"),
        ({"monthly_discount": -0.1}, "between 0 and 1"),
        ({"horizon_months": 0}, "between 1 and 120"),
        ({"fit_sample": 5}, "at least 100"),
        ({"by": "product"}, "by must be one of"),
        ({"limit": 0}, "at least 1"),
    ],
)
def test_bad_arguments_say_what_to_fix(con, kw, match):
    with pytest.raises(InputError, match=match):
        _run(con, **kw)


def _synthetic(con, n: int) -> pd.DataFrame:
    """n customers with a deterministic mix of purchase histories; returns the purchase days by hand."""
    rng = np.random.default_rng(3)
    rows = []
    con.execute("INSERT INTO products VALUES ('P', 'P', 'A', 1, 0.5, NULL)")
    for i in range(n):
        cid = f"S{i:04d}"
        first = dt.date(2023, 1, 1) + dt.timedelta(days=int(rng.integers(0, 500)))
        k = int(rng.integers(1, 8))
        days = sorted({first + dt.timedelta(days=int(d)) for d in [0, *rng.integers(1, 400, size=k - 1)]})
        rows += [(cid, d, float(rng.integers(50, 500))) for d in days if d <= AS_OF]
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "value"])
    tx["order_id"] = [f"O{i}" for i in range(len(tx))]
    con.register("synthetic_tx", tx)
    con.execute(
        """INSERT INTO customers SELECT DISTINCT customer_id, customer_id, '华东', '上海', '制造', '小型', '线上',
           DATE '2023-01-01', NULL, NULL FROM synthetic_tx"""
    )
    con.execute("INSERT INTO orders SELECT order_id, customer_id, day, '线上', 'completed', NULL FROM synthetic_tx")
    # quantity = amount at unit price 1 and unit cost 0.5: margin is half the revenue.
    con.execute("INSERT INTO order_items SELECT order_id, 1, 'P', value::INTEGER, 1, 0, value FROM synthetic_tx")
    con.unregister("synthetic_tx")
    return tx[["customer_id", "day", "value"]]


def test_predictive_clv_matches_the_model_functions(empty_con):
    tx = _synthetic(empty_con, 60)
    res = clv(empty_con, CLVArgs(as_of=AS_OF, by="customer", limit=1000))
    f = res.figures
    # The summary by hand in pandas (not the tool's SQL): x = purchase days − 1, weeks = days / 7.
    g = tx.groupby("customer_id")
    first, last, n = g["day"].min(), g["day"].max(), g["day"].nunique()
    x = (n - 1).to_numpy(float)
    t_x = np.array([(b - a).days / 7 for a, b in zip(first, last, strict=True)])
    T = np.array([(AS_OF - a).days / 7 for a in first])
    first_value = tx.sort_values("day").groupby("customer_id")["value"].first()
    mbar = np.where(x > 0, (g["value"].sum() - first_value).to_numpy() / np.maximum(x, 1), 0.0)
    bg = lm.fit_bgnbd(x, t_x, T)
    assert f["bgnbd"]["r"] == pytest.approx(bg.r, rel=1e-6) and f["bgnbd"]["b"] == pytest.approx(bg.b, rel=1e-6)
    gg = lm.fit_gamma_gamma(x[x > 0], mbar[x > 0])
    assert f["gamma_gamma"]["p"] == pytest.approx(gg.p, rel=1e-6)
    spend = lm.conditional_expected_spend(gg, x, mbar)
    value, purchases = lm.discounted_value(bg, x, t_x, T, spend)
    margin_rate = 0.5  # unit cost 0.5 on every unit priced 1
    recs = {r["customer_id"]: r for r in res.records()}
    got = np.array([recs[c]["predicted_clv"] for c in first.index])
    np.testing.assert_allclose(got, value * margin_rate, rtol=1e-6)
    np.testing.assert_allclose([recs[c]["expected_purchases"] for c in first.index], purchases, rtol=1e-6)
    assert f["predicted_clv_total"] == pytest.approx(float((value * margin_rate).sum()), rel=1e-6)
    preds = [r[-1] for r in res.rows]
    assert preds == sorted(preds, reverse=True)  # highest predicted CLV first
    # Segment table: the same predictions summed.
    seg = clv(empty_con, CLVArgs(as_of=AS_OF)).records()[0]
    assert seg["predicted_clv"] == pytest.approx(f["predicted_clv_total"], rel=1e-9)


def test_fit_sample_is_deterministic(empty_con):
    _synthetic(empty_con, 150)
    a = clv(empty_con, CLVArgs(as_of=AS_OF, fit_sample=100)).figures
    b = clv(empty_con, CLVArgs(as_of=AS_OF, fit_sample=100)).figures
    assert a["fit_customers"] == 100 and a["predicted_customers"] == 150
    assert a["bgnbd"] == b["bgnbd"]
    full = clv(empty_con, CLVArgs(as_of=AS_OF)).figures
    assert full["fit_customers"] == 150 and full["bgnbd"] != a["bgnbd"]


def test_the_fit_sample_key_orders_as_the_md5_text():
    # The fit takes the buyers with the smallest md5 keys (the Spark path: ORDER BY the text); here as numbers.
    import hashlib

    keys = [hashlib.md5(f"C{i}".encode()).hexdigest()[:16] for i in range(2000)] + ["0" * 16, "f" * 16, "7" + "f" * 15]
    got = _hex_key(np.array(keys, dtype=object))
    assert got.tolist() == [int(k, 16) for k in keys]
    assert [keys[i] for i in np.argsort(got, kind="stable")] == sorted(keys)
    assert _hex_key(np.array([], dtype=object)).size == 0
    for bad in (["abc"], ["g" * 16], ["0" * 15, "0" * 17]):
        with pytest.raises(ValueError):
            _hex_key(np.array(bad, dtype=object))


def _cdnow() -> Path | None:
    spec = importlib.util.find_spec("lifetimes")
    return None if spec is None or spec.origin is None else Path(spec.origin).parent / "datasets" / "CDNOW_sample.txt"


@pytest.mark.skipif(_cdnow() is None, reason="the lifetimes wheel (which ships the CDNOW sample) is not installed")
def test_cdnow_through_the_tool_reproduces_the_published_fit(empty_con):
    """CDNOW sample loaded as a warehouse; the 39-week calibration window (to 1997-09-30) through the tool."""
    path = _cdnow()
    assert path is not None
    raw = pd.read_csv(
        path, sep=r"\s+", header=None, names=["master_id", "cid", "date", "qty", "value"], dtype={"date": str}
    )
    raw["day"] = pd.to_datetime(raw["date"], format="%Y%m%d").dt.date
    raw["customer_id"] = raw["cid"].astype(str)
    raw["order_id"] = [f"O{i}" for i in range(len(raw))]
    con = empty_con
    con.register("raw", raw[["customer_id", "order_id", "day", "value"]])
    con.execute("INSERT INTO products VALUES ('CD', 'CD', 'music', 0, 0, NULL)")
    con.execute(
        """INSERT INTO customers SELECT customer_id, customer_id, '华东', '上海', '零售', '个人', '线上', min(day),
           NULL, NULL FROM raw GROUP BY customer_id"""
    )
    con.execute("INSERT INTO orders SELECT order_id, customer_id, day, '线上', 'completed', NULL FROM raw")
    con.execute("INSERT INTO order_items SELECT order_id, 1, 'CD', 1, value, 0, value FROM raw")
    res = clv(con, CLVArgs(as_of=dt.date(1997, 9, 30)))
    bg, gg = res.figures["bgnbd"], res.figures["gamma_gamma"]
    assert bg["n"] == 2357 and gg["n"] == 946
    for name, want in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert bg[name] == pytest.approx(want, rel=0.01), name
    assert bg["log_likelihood"] == pytest.approx(-9582.4, abs=0.5)
    for name, want in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert gg[name] == pytest.approx(want, rel=0.01), name


def test_sample_invariants(sample_con):
    res = clv(sample_con, CLVArgs(by="customer", limit=1_000_000))
    recs = res.records()
    ids = [r["customer_id"] for r in recs]
    assert len(ids) == len(set(ids)) == res.figures["customers"]
    margin = sample_con.execute(
        """SELECT sum(oi.amount - oi.quantity * p.unit_cost)::DOUBLE FROM orders o
           JOIN order_items oi USING (order_id) JOIN products p USING (product_id)
           WHERE o.status = 'completed' AND o.order_date <= ?""",
        [res.as_of],
    ).fetchone()[0]
    assert res.figures["historical_clv_total"] == pytest.approx(margin)
    assert sum(r["historical_clv"] for r in recs) == pytest.approx(margin)
    preds = [r for r in recs if r["predicted_clv"] is not None]
    assert len(preds) == res.figures["predicted_customers"] == res.figures["buyers"]
    assert all(0 <= r["p_alive"] <= 1 and r["expected_purchases"] >= 0 for r in preds)
    seg = clv(sample_con, CLVArgs())
    assert sum(r["customers"] for r in seg.records()) == res.figures["customers"]
    assert sum(r["new_customers"] for r in seg.records()) == res.figures["new_customers"]
    assert sum(r["predicted_clv"] or 0 for r in seg.records()) == pytest.approx(res.figures["predicted_clv_total"])


def test_sample_summary_matches_the_reference_sql(sample_con):
    """The tool's one-pass purchase summary equals lm.summary_sql (checked against the paper) on the sample."""
    res = clv(sample_con, CLVArgs(by="customer", limit=1_000_000, predictive=False))
    got = {r["customer_id"]: r for r in res.records() if r["repeat_purchases_x"] is not None}
    ref = sample_con.execute(
        f"""WITH tx AS (SELECT o.customer_id, o.order_date AS day, oi.amount AS value
                        FROM orders o JOIN order_items oi USING (order_id) WHERE o.status = 'completed')
            SELECT * FROM ({lm.summary_sql("tx")})""",
        {"as_of": res.as_of},
    ).fetchall()
    assert len(ref) == len(got)
    for cid, x, t_x, T, mbar in ref:
        r = got[cid]
        assert (r["repeat_purchases_x"], r["t_x_weeks"], r["T_weeks"]) == (x, pytest.approx(t_x), pytest.approx(T))
        assert r["mean_repeat_spend"] == (None if x == 0 else pytest.approx(float(mbar)))


def test_no_marketing_data_means_no_cac(con):
    con.execute("DELETE FROM marketing_spend")
    res = _run(con)
    assert res.figures["cac"] is None
    assert all(r["cac"] is None and r["marketing_spend"] is None for r in res.records())


def test_top_rows_match_a_full_sort():
    from tools.clv import _top

    rng = np.random.default_rng(3)
    n = 2000
    ids = np.array([f"C{i:05d}" for i in rng.permutation(n)], dtype=object)
    for key in (
        rng.integers(0, 5, n).astype(float),  # many ties on the key
        np.full(n, -np.inf),  # no prediction at all: margin decides
        rng.random(n),
    ):
        margin = rng.integers(0, 3, n).astype(float)  # ties on margin too: the id decides
        full = np.lexsort((ids.astype(str), -margin, -key))
        for limit in (1, 7, 100, n, n + 5):
            assert list(_top(key, margin, ids, limit)) == list(full[:limit])
