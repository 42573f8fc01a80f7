"""Cross-sell and up-sell on a hand-built table; expectations computed by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.core.errors import InputError
from tools.cross_sell import CrossSellArgs, cross_sell

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def con(empty_con):
    c = empty_con
    c.execute(
        """INSERT INTO products VALUES
        ('PA1', 'A一', 'A', 100, 50, NULL), ('PA2', 'A二', 'A', 200, 90, NULL), ('PA3', 'A三', 'A', 300, 120, NULL),
        ('PB1', 'B一', 'B', 50, 20, NULL), ('PC1', 'C一', 'C', 80, 30, NULL), ('PD1', 'D一', 'D', 10, 5, NULL)"""
    )
    for cid, region, industry in (
        ("K1", "华东", "制造"),
        ("K2", "华东", "制造"),
        ("K3", "华东", "制造"),
        ("K4", "华北", "零售"),
        ("K5", "华东", "制造"),  # never bought
    ):
        c.execute(
            "INSERT INTO customers VALUES (?, ?, ?, '某市', ?, '小型', '线上', DATE '2024-01-01', NULL, NULL)",
            [cid, cid, region, industry],
        )
    buys = {
        "K1": ["PA1", "PB1"],
        "K2": ["PA2", "PB1", "PC1"],
        "K3": ["PA3", "PC1"],
        "K4": ["PB1", "PD1"],
    }
    for cid, pids in buys.items():
        oid = "O" + cid
        c.execute(
            "INSERT INTO orders VALUES (?, ?, DATE '2025-03-01', ?, 'completed', NULL)",
            [oid, cid, "门店" if cid == "K4" else "线上"],
        )
        for i, pid in enumerate(pids, 1):
            c.execute("INSERT INTO order_items VALUES (?, ?, ?, 1, 10, 0, 10)", [oid, i, pid])
    # A returned order of D by K1 does not count.
    c.execute("INSERT INTO orders VALUES ('R1', 'K1', DATE '2025-03-02', '线上', 'returned', NULL)")
    c.execute("INSERT INTO order_items VALUES ('R1', 1, 'PD1', 1, 10, 0, 10)")
    return c


def _run(con, **kw):
    kw.setdefault("as_of", AS_OF)
    return cross_sell(con, CrossSellArgs(**kw))


def test_pairs(con):
    res = _run(con)
    # n = 4 buyers; n(A) = 3, n(B) = 3, n(C) = 2, n(D) = 1.
    # A-C: 2 -> support .5, lift 2·4/(3·2) = 4/3; B-D: 1 -> .25, lift 1·4/(3·1) = 4/3;
    # A-B: 2 -> .5, lift 8/9; B-C: 1 -> .25, lift 4/6.
    got = [(r["category_a"], r["category_b"]) for r in res.records()]
    assert got == [("A", "C"), ("B", "D"), ("A", "B"), ("B", "C")]
    r = {(x["category_a"], x["category_b"]): x for x in res.records()}
    assert r[("A", "C")]["lift"] == pytest.approx(4 / 3)
    assert r[("A", "C")]["confidence_a_to_b"] == pytest.approx(2 / 3)
    assert r[("A", "C")]["confidence_b_to_a"] == pytest.approx(1)
    assert r[("A", "B")]["support"] == pytest.approx(0.5)
    assert r[("A", "B")]["lift"] == pytest.approx(8 / 9)
    assert r[("B", "D")]["confidence_b_to_a"] == pytest.approx(1)
    assert res.figures["buyers"] == 4 and res.figures["pairs"] == 4 and res.figures["top_pair"] == ["A", "C"]


def test_pairs_without_bit_sets(con, monkeypatch):
    # More categories than bits: the row-wise self-join must give the same table.
    import tools.cross_sell as cs

    bits = _run(con).rows
    monkeypatch.setattr(cs, "MAX_BIT_CATEGORIES", 0)
    rows = _run(con)
    assert "JOIN cc b" in rows.sql[-1]
    assert rows.rows == bits


def test_pairs_thresholds_and_filters(con):
    assert [(r[0], r[1]) for r in _run(con, min_support=0.3).rows] == [("A", "C"), ("A", "B")]
    limited = _run(con, limit=1)
    assert len(limited.rows) == 1 and limited.figures["pairs"] == 4
    # 华东 only: n = 3, A 3, B 2, C 2; A-B 2 -> lift 2·3/(3·2) = 1; B-C 1 -> 1·3/(2·2) = .75.
    r = {(x["category_a"], x["category_b"]): x["lift"] for x in _run(con, region="华东").records()}
    assert r == pytest.approx({("A", "B"): 1.0, ("A", "C"): 1.0, ("B", "C"): 0.75})
    # Through 门店 only K4 buys: B-D, support 1, lift 1.
    assert [(x[0], x[1], x[3]) for x in _run(con, channel=["门店"]).rows] == [("B", "D", 1.0)]
    assert _run(con, category=["A", "C"]).rows[0][:3] == ["A", "C", 2]
    assert _run(con, end=dt.date(2025, 1, 1)).rows == []


def test_peer_recommendations(con):
    res = _run(con, view="customer", customer_id="K1")
    # Peers of K1 (制造, 小型): K2, K3, K5. K1 owns A and B; C is bought by K2 and K3 -> 2/3.
    assert [(r["category"], r["peers_buying"]) for r in res.records()] == [("C", 2)]
    assert res.records()[0]["peer_share"] == pytest.approx(2 / 3)
    assert res.figures["peers"] == 3
    # K4 (零售) has no peers: nothing to recommend.
    alone = _run(con, view="customer", customer_id="K4")
    assert alone.rows == [] and alone.figures["peers"] == 0 and alone.notes
    # K5 never bought; its peers K1, K2, K3 bought A (3), B (K1, K2) and C (K2, K3).
    k5 = _run(con, view="customer", customer_id="K5").records()
    assert [(r["category"], r["peers_buying"]) for r in k5] == [("A", 3), ("B", 2), ("C", 2)]


def test_upsell(con):
    res = _run(con, view="upsell", customer_id="K1")
    # K1 bought PA1 (100) in A and PB1 (50) in B: PA2 (200) and PA3 (300) are dearer; nothing dearer in B.
    assert [(r["product_id"], r["highest_bought_price"]) for r in res.records()] == [("PA2", 100), ("PA3", 100)]
    assert [r[1] for r in _run(con, view="upsell", customer_id="K1", per_category=1).rows] == ["PA2"]
    assert _run(con, view="upsell", customer_id="K3", category=["A"]).rows == []  # K3 already bought the dearest A


@pytest.mark.parametrize(
    ("kw", "what"),
    [
        ({"view": "customer"}, "customer_id"),
        ({"view": "upsell", "customer_id": "NOPE"}, "NOPE"),
        ({"view": "customer", "customer_id": "K1", "region": ["华北"]}, "outside"),
        ({"min_support": 1.5}, "min_support"),
        ({"limit": 0}, "limit"),
        ({"view": "basket"}, "view"),
    ],
)
def test_bad_input(con, kw, what):
    with pytest.raises(InputError, match=what):
        _run(con, **kw)


def test_sample_invariants(sample_con):
    res = cross_sell(sample_con, CrossSellArgs(min_support=0))
    for r in res.records():
        assert 0 < r["support"] <= min(r["confidence_a_to_b"], r["confidence_b_to_a"]) <= 1
        assert r["category_a"] < r["category_b"]
    some = sample_con.execute(
        "SELECT customer_id FROM orders WHERE status = 'completed' ORDER BY customer_id LIMIT 1"
    ).fetchone()[0]
    rec = cross_sell(sample_con, CrossSellArgs(view="customer", customer_id=some))
    owned = {
        r[0]
        for r in sample_con.execute(
            """SELECT DISTINCT p.category FROM orders o JOIN order_items oi USING (order_id)
               JOIN products p USING (product_id) WHERE o.customer_id = $c AND o.status = 'completed'
               AND o.order_date <= $d""",
            {"c": some, "d": rec.as_of},
        ).fetchall()
    }
    assert not owned & {r["category"] for r in rec.records()}
