"""Boston matrix on a hand-built table; expectations computed by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.core.errors import InputError
from tools.boston_matrix import BostonArgs, boston_matrix


def _customer(con, cid, region="华东", industry="制造", size="小型"):
    con.execute(
        "INSERT INTO customers VALUES (?, ?, ?, '上海', ?, ?, '线上', DATE '2024-01-01', NULL, NULL)",
        [cid, cid, region, industry, size],
    )


def _order(con, oid, cid, day, pid, amount, status="completed", channel="线上"):
    con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, NULL)", [oid, cid, day, channel, status])
    con.execute("INSERT INTO order_items VALUES (?, 1, ?, 1, ?, 0, ?)", [oid, pid, amount, amount])


@pytest.fixture
def con(empty_con):
    c = empty_con
    for pid, cat in (("P1", "A"), ("P2", "B"), ("P3", "C"), ("P4", "D")):
        c.execute("INSERT INTO products VALUES (?, ?, ?, 10, 5, NULL)", [pid, "产品" + pid, cat])
    _customer(c, "C1")
    _customer(c, "C2", region="华北")
    # This period 2025-04-01..2025-06-30 (91 days); previous 2024-12-31..2025-03-31 (Jan 90 days + 1).
    _order(c, "O1", "C1", "2025-01-15", "P1", 100)  # A prev 100
    _order(c, "O2", "C1", "2025-05-01", "P1", 200)  # A cur 200 -> growth 1.0
    _order(c, "O3", "C1", "2025-02-01", "P2", 300)  # B prev 300
    _order(c, "O4", "C1", "2025-06-30", "P2", 310)  # B cur 310 -> growth 0.0333
    _order(c, "O5", "C1", "2025-04-10", "P3", 50)  # C cur 50, no prev -> new, high growth
    _order(c, "O6", "C2", "2025-03-31", "P4", 100)  # D prev 100, cur 0 -> growth -1 (C2 is in 华北)
    _order(c, "O7", "C1", "2025-05-02", "P1", 1000, status="returned")  # not revenue
    _order(c, "O8", "C1", "2024-12-29", "P2", 999)  # before the previous period
    return c


def _run(con, **kw):
    kw.setdefault("as_of", dt.date(2025, 6, 30))
    kw.setdefault("start", dt.date(2025, 4, 1))
    return boston_matrix(con, BostonArgs(**kw))


def test_classes_growth_and_share(con):
    res = _run(con)
    recs = {r["item"]: r for r in res.records()}
    # Current revenue A 200, B 310, C 50, D 0 -> mean 140.
    assert recs["A"]["growth"] == pytest.approx(1.0)
    assert recs["A"]["relative_share"] == pytest.approx(200 / 140)
    assert recs["B"]["growth"] == pytest.approx(10 / 300)
    assert recs["B"]["relative_share"] == pytest.approx(310 / 140)
    assert recs["C"]["growth"] is None  # new item
    assert recs["D"]["growth"] == pytest.approx(-1.0)
    assert recs["D"]["relative_share"] == 0
    assert {k: v["class_zh"] for k, v in recs.items()} == {"A": "明星", "B": "金牛", "C": "问题", "D": "瘦狗"}
    assert recs["B"]["class_en"] == "Cash cow"
    # Ordered by current revenue descending.
    assert [r[0] for r in res.rows] == ["B", "A", "C", "D"]
    assert res.figures["revenue"] == pytest.approx(560)
    assert res.figures["prev_revenue"] == pytest.approx(500)
    assert res.figures["star_count"] == 1
    assert res.figures["star_revenue_share"] == pytest.approx(200 / 560)
    assert res.figures["prev_period_start"] == dt.date(2024, 12, 31)
    assert {d.name for d in res.definitions} >= {"growth_threshold", "share_threshold", "class_star"}
    assert res.sql and "f_lines" in res.sql[0]


def test_threshold_override(con):
    # B grows 3.3 %: with a 2 % threshold it becomes a star.
    recs = {r["item"]: r for r in _run(con, growth_threshold=0.02).records()}
    assert recs["B"]["class_en"] == "Star"
    # With share threshold 1.5, A (1.43) drops to question mark.
    recs = {r["item"]: r for r in _run(con, share_threshold=1.5).records()}
    assert recs["A"]["class_en"] == "Question mark"


def test_region_and_category_filters(con):
    # Without 华北 (customer C2), D disappears: mean = 560 / 3 = 186.67.
    recs = {r["item"]: r for r in _run(con, region="华东").records()}
    assert set(recs) == {"A", "B", "C"}
    assert recs["A"]["relative_share"] == pytest.approx(200 / (560 / 3))
    # Categories A and B only: mean 255, A 200/255 = 0.78 -> high growth, low share = question mark.
    recs = {r["item"]: r for r in _run(con, category=["A", "B"]).records()}
    assert recs["A"]["class_zh"] == "问题"
    assert recs["B"]["class_zh"] == "金牛"


def test_product_level_and_default_period(con):
    res = _run(con, level="product", start=None, period_days=91)
    # 91 days ending 2025-06-30 starts 2025-04-01: same periods as above.
    recs = {r["item"]: r for r in res.records()}
    assert recs["P1"]["product_name"] == "产品P1"
    assert recs["P1"]["category"] == "A"
    assert recs["P1"]["class_zh"] == "明星"
    assert res.figures["period_start"] == dt.date(2025, 4, 1)


def test_no_orders(empty_con):
    res = boston_matrix(empty_con, BostonArgs(as_of=dt.date(2025, 6, 30)))
    assert res.rows == []
    assert res.figures["items"] == 0
    with pytest.raises(InputError):  # no as_of and no orders: nothing to default to
        boston_matrix(empty_con, BostonArgs())


@pytest.mark.parametrize(
    "kw",
    [{"share_threshold": 0}, {"growth_threshold": -2}, {"period_days": 0}],
)
def test_bad_thresholds(con, kw):
    with pytest.raises(InputError) as e:
        _run(con, **kw)
    assert e.value.zh and e.value.en


def test_unknown_level():
    with pytest.raises(InputError, match="level must be one of"):
        BostonArgs(level="brand")


def test_sample_invariants(sample_con):
    res = boston_matrix(sample_con, BostonArgs())
    f = res.figures
    assert sum(f[f"{c}_count"] for c in ("star", "cash_cow", "question", "dog")) == f["items"] == len(res.rows)
    plain = sample_con.execute(
        """SELECT sum(oi.amount)::DOUBLE FROM orders o JOIN order_items oi USING (order_id)
           WHERE o.status = 'completed' AND o.order_date BETWEEN $s AND $e""",
        {"s": f["period_start"], "e": f["period_end"]},
    ).fetchone()[0]
    assert f["revenue"] == pytest.approx(plain or 0)
    shares = [f[f"{c}_revenue_share"] for c in ("star", "cash_cow", "question", "dog")]
    assert sum(shares) == pytest.approx(1.0)
