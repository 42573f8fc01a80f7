"""rfm on a hand-built five-customer warehouse; every expectation is computed by hand in the comments."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from pydantic import ValidationError

from assistant.core.errors import AssistantError, InputError
from tools.base import REGISTRY
from tools.rfm import RF11, RfmArgs, rfm

D = dt.date


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Five buyers and one non-buyer; as_of 2025-06-30.

    C1 华东 completed 2025-06-20 (100), 2025-05-01 (200), 2025-03-01 (300)  -> R 10,  F 3, M 600
    C2 华东 completed 2025-06-20 (50)                                      -> R 10,  F 1, M 50
    C3 华北 completed 2025-01-01 (1000), 2024-12-01 (500)                  -> R 180, F 2, M 1500
    C4 华南 completed 2024-06-30 (20); returned 2025-06-29 (999)           -> R 365, F 1, M 20
    C5 华南 completed 2025-04-01, two lines 30 (cat A) + 70 (cat B);
           cancelled 2025-06-01 (500)                                       -> R 90,  F 1, M 100
    C6 华东 never ordered
    """
    con.execute(
        "INSERT INTO sales_reps VALUES ('R1', '张三', '华东', 'T1', '2020-01-01'), ('R2', '李四', '华北', 'T1', '2020-01-01')"
    )
    con.execute(
        """INSERT INTO customers VALUES
        ('C1', 'a', '华东', '上海', '制造', '中型', '线上', '2024-01-01', 'R1', 1000),
        ('C2', 'b', '华东', '杭州', '零售', '小型', '线上', '2025-06-01', 'R1', 1000),
        ('C3', 'c', '华北', '北京', '制造', '大型', '直销', '2023-01-01', 'R2', 1000),
        ('C4', 'd', '华南', '广州', '零售', '个人', '门店', '2024-06-01', NULL, NULL),
        ('C5', 'e', '华南', '深圳', '制造', '中型', '电话', '2025-03-01', NULL, NULL),
        ('C6', 'f', '华东', '上海', '制造', '中型', '线上', '2020-01-01', NULL, NULL)"""
    )
    con.execute("INSERT INTO products VALUES ('PA', 'pa', 'A', 1, 0.5, NULL), ('PB', 'pb', 'B', 1, 0.5, NULL)")
    orders = [
        ("O1", "C1", "2025-06-20", "线上", "completed", [("PA", 100)]),
        ("O2", "C1", "2025-05-01", "门店", "completed", [("PA", 200)]),
        ("O3", "C1", "2025-03-01", "线上", "completed", [("PA", 300)]),
        ("O4", "C2", "2025-06-20", "线上", "completed", [("PA", 50)]),
        ("O5", "C3", "2025-01-01", "直销", "completed", [("PA", 1000)]),
        ("O6", "C3", "2024-12-01", "直销", "completed", [("PA", 500)]),
        ("O7", "C4", "2024-06-30", "门店", "completed", [("PA", 20)]),
        ("O8", "C4", "2025-06-29", "门店", "returned", [("PA", 999)]),
        ("O9", "C5", "2025-04-01", "电话", "completed", [("PA", 30), ("PB", 70)]),
        ("O10", "C5", "2025-06-01", "电话", "cancelled", [("PB", 500)]),
    ]
    for oid, cid, day, channel, status, lines in orders:
        con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, NULL)", [oid, cid, day, channel, status])
        for no, (pid, amount) in enumerate(lines, 1):
            con.execute("INSERT INTO order_items VALUES (?, ?, ?, 1, ?, 0, ?)", [oid, no, pid, amount, amount])


@pytest.fixture
def con(empty_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    build(empty_con)
    return empty_con


def by_customer(con: duckdb.DuckDBPyConnection, **kw: object) -> dict[str, dict[str, object]]:
    res = rfm(con, RfmArgs(by="customer", **kw))
    return {r["customer_id"]: r for r in res.records()}


def test_registered() -> None:
    assert REGISTRY["rfm"].args_model is RfmArgs


def test_raw_values_and_scores(con: duckdb.DuckDBPyConnection) -> None:
    rows = by_customer(con)  # as_of defaults to the last order date: 2025-06-29 (the returned order)
    # R from 2025-06-29: C1 9, C2 9, C3 179, C4 364, C5 89. Returned/cancelled orders never count.
    assert {c: (r["recency_days"], r["frequency"], r["monetary"]) for c, r in rows.items()} == {
        "C1": (9, 3, 600.0),
        "C2": (9, 1, 50.0),
        "C3": (179, 2, 1500.0),
        "C4": (364, 1, 20.0),
        "C5": (89, 1, 100.0),
    }
    assert "C6" not in rows  # never bought: not scored
    rows = by_customer(con, as_of=D(2025, 6, 30))
    # R rank (days descending): C4 365 -> 1, C3 180 -> 2, C5 90 -> 3, C1 = C2 10 -> 4 (tie takes the lowest rank)
    # score = 1 + floor(5 (rank-1) / 5): 1, 2, 3, 4, 4 (nobody reaches 5 because of the tie)
    # F rank ascending: C2 = C4 = C5 (1) -> 1, C3 (2) -> 4, C1 (3) -> 5: scores 1, 1, 1, 4, 5
    # M rank ascending: C4 20, C2 50, C5 100, C1 600, C3 1500 -> scores 1..5
    got = {c: (r["r_score"], r["f_score"], r["m_score"], r["rfm_code"]) for c, r in rows.items()}
    assert got == {
        "C1": (4, 5, 4, "454"),
        "C2": (4, 1, 2, "412"),
        "C3": (2, 4, 5, "245"),
        "C4": (1, 1, 1, "111"),
        "C5": (3, 1, 3, "313"),
    }


def test_classes_mean_threshold(con: duckdb.DuckDBPyConnection) -> None:
    res = rfm(con, RfmArgs(by="customer", as_of=D(2025, 6, 30)))
    # mean R = (10+10+180+365+90)/5 = 131; mean F = 8/5 = 1.6; mean M = 2270/5 = 454
    assert (res.figures["r_threshold"], res.figures["f_threshold"], res.figures["m_threshold"]) == (131, 1.6, 454)
    rows = {r["customer_id"]: r for r in res.records()}
    # C1 R10<=131 H, F3>=1.6 H, M600>=454 H; C2 H L L; C3 R180 L, F2 H, M1500 H; C4 L L L; C5 R90 H, L, L
    assert {c: r["class_zh"] for c, r in rows.items()} == {
        "C1": "重要价值",
        "C2": "一般发展",
        "C3": "重要保持",
        "C4": "一般挽留",
        "C5": "一般发展",
    }
    assert rows["C3"]["class_en"] == "Important retention"
    # RF grid: C1 R4 F5 Loyal; C2 R4 F1 Promising; C3 R2 F4 At Risk; C4 R1 F1 Lost; C5 R3 F1 About to Sleep
    assert {c: r["segment_en"] for c, r in rows.items()} == {
        "C1": "Loyal",
        "C2": "Promising",
        "C3": "At Risk",
        "C4": "Lost",
        "C5": "About to Sleep",
    }
    assert rows["C4"]["segment_zh"] == "已流失"
    # largest monetary first
    assert [r[0] for r in res.rows] == ["C3", "C1", "C5", "C2", "C4"]


def test_median_threshold_ties_count_as_high(con: duckdb.DuckDBPyConnection) -> None:
    res = rfm(con, RfmArgs(by="customer", as_of=D(2025, 6, 30), threshold="median"))
    # medians: R [10,10,90,180,365] -> 90; F [1,1,1,2,3] -> 1; M [20,50,100,600,1500] -> 100
    assert (res.figures["r_threshold"], res.figures["f_threshold"], res.figures["m_threshold"]) == (90, 1, 100)
    rows = {r["customer_id"]: r["class_zh"] for r in res.records()}
    # C5 sits exactly on all three thresholds: R 90 <= 90, F 1 >= 1, M 100 >= 100 -> all high
    assert rows == {"C1": "重要价值", "C2": "一般价值", "C3": "重要保持", "C4": "一般保持", "C5": "重要价值"}


def test_fixed_thresholds_and_partial_override(con: duckdb.DuckDBPyConnection) -> None:
    res = rfm(
        con,
        RfmArgs(by="customer", as_of=D(2025, 6, 30), threshold="fixed", r_threshold=30, f_threshold=2, m_threshold=500),
    )
    rows = {r["customer_id"]: r["class_zh"] for r in res.records()}
    # C1 10/3/600 HHH; C2 10/1/50 HLL; C3 180/2/1500 LHH; C4 LLL; C5 90>30 L, 1 L, 100 L
    assert rows == {"C1": "重要价值", "C2": "一般发展", "C3": "重要保持", "C4": "一般挽留", "C5": "一般挽留"}
    # Only M fixed, R and F by mean (131, 1.6): C5 R H, F L, M 100 >= 50 H -> 重要发展
    res = rfm(con, RfmArgs(by="customer", as_of=D(2025, 6, 30), m_threshold=50))
    assert res.figures["m_threshold"] == 50
    assert {r["customer_id"]: r["class_zh"] for r in res.records()}["C5"] == "重要发展"
    defs = {d.name: d for d in res.definitions}
    assert defs["m_threshold"].value == 50 and "fixed" in defs["m_threshold"].en
    assert defs["r_threshold"].value == 131 and "mean" in defs["r_threshold"].en


def test_segment_table(con: duckdb.DuckDBPyConnection) -> None:
    res = rfm(con, RfmArgs(as_of=D(2025, 6, 30)))
    t = {r["class_zh"]: r for r in res.records()}
    assert len(t) == 8  # every class listed, empty ones with 0
    assert t["重要发展"]["customers"] == 0 and t["重要发展"]["revenue_share"] == 0
    # 一般发展 = C2 + C5: revenue 150, share 150/2270, mean R (10+90)/2 = 50, mean M 75
    g = t["一般发展"]
    assert (g["customers"], g["revenue"], g["mean_recency"], g["mean_frequency"], g["mean_monetary"]) == (
        2,
        150.0,
        50,
        1,
        75,
    )
    assert g["revenue_share"] == round(150 / 2270, 6)
    assert g["customer_share"] == 0.4
    assert t["重要保持"]["revenue_share"] == round(1500 / 2270, 6)
    assert res.figures["customers"] == 5 and res.figures["revenue"] == 2270
    assert sum(r["customers"] for r in res.records()) == 5
    res = rfm(con, RfmArgs(as_of=D(2025, 6, 30), scheme="rf11"))
    t = {r["segment_en"]: r["customers"] for r in res.records()}
    assert len(t) == len(RF11) == 11
    assert t == {s["en"]: 0 for s in RF11} | {"Loyal": 1, "Promising": 1, "At Risk": 1, "Lost": 1, "About to Sleep": 1}
    assert res.chart is not None and res.chart.x == "segment_en"
    assert res.sql and "rank() OVER" in res.sql[0]


def test_filters(con: duckdb.DuckDBPyConnection) -> None:
    asof = D(2025, 6, 30)
    # region: only C1, C2 scored (n=2); R both 10 -> tie rank 1 -> score 1; F C2 rank 1 -> 1, C1 rank 2 -> 1+floor(5/2)=3
    rows = by_customer(con, as_of=asof, region="华东")
    assert {c: (r["r_score"], r["f_score"]) for c, r in rows.items()} == {"C1": (1, 3), "C2": (1, 1)}
    assert set(by_customer(con, as_of=asof, city=["北京"])) == {"C3"}
    assert set(by_customer(con, as_of=asof, industry=["零售"])) == {"C2", "C4"}
    assert set(by_customer(con, as_of=asof, size=["中型"])) == {"C1", "C5"}  # C6 is 中型 but never bought
    assert set(by_customer(con, as_of=asof, rep_id=["R1"])) == {"C1", "C2"}
    # period from 2025-03-01: C3 and C4 have no completed order in it; C1 keeps all three (03-01 inclusive)
    rows = by_customer(con, as_of=asof, start=D(2025, 3, 1))
    assert {c: (r["frequency"], r["monetary"]) for c, r in rows.items()} == {
        "C1": (3, 600.0),
        "C2": (1, 50.0),
        "C5": (1, 100.0),
    }
    # end before as_of: R still counts to as_of. C1 last order in window is 2025-05-01 -> 60 days
    rows = by_customer(con, as_of=asof, end=D(2025, 5, 31))
    assert rows["C1"]["recency_days"] == 60 and rows["C1"]["frequency"] == 2
    # category B: only C5's 70 line (its cancelled order does not count)
    rows = by_customer(con, as_of=asof, category=["B"])
    assert {c: (r["frequency"], r["monetary"]) for c, r in rows.items()} == {"C5": (1, 70.0)}
    # channel 门店: C1's O2 (200) and C4's O7 (20)
    rows = by_customer(con, as_of=asof, channel="门店")
    assert {c: r["monetary"] for c, r in rows.items()} == {"C1": 200.0, "C4": 20.0}


def test_customer_ids_report_only_scores_stay_relative(con: duckdb.DuckDBPyConnection) -> None:
    asof = D(2025, 6, 30)
    res = rfm(con, RfmArgs(by="customer", as_of=asof, customer_ids=["C3"]))
    assert [r[0] for r in res.rows] == ["C3"]
    rec = res.records()[0]
    assert (rec["r_score"], rec["f_score"], rec["m_score"]) == (2, 4, 5)  # same as in the whole population
    d = res.figures["derivation"]
    assert d["R"] == {
        "value": 180.0,
        "rank": 2,
        "n": 5,
        "score": 2,
        "formula": "1 + floor(5 × (2 − 1) / 5) = 2",
        "high": False,
    }
    assert d["F"]["rank"] == 4 and d["F"]["score"] == 4
    assert d["M"]["formula"] == "1 + floor(5 × (5 − 1) / 5) = 5"
    edges = res.figures["score_edges"]
    # R score 4 holds C1 and C2 (10 days); score 5 is empty because of the tie
    assert edges["R"]["4"] == {"min": 10.0, "max": 10.0, "customers": 2} and "5" not in edges["R"]
    assert edges["M"]["5"] == {"min": 1500.0, "max": 1500.0, "customers": 1}
    assert res.figures["r_threshold"] == 131  # population mean, not C3's own value
    # segment view of a list of customers: shares are of the chosen customers' revenue
    res = rfm(con, RfmArgs(as_of=asof, customer_ids=["C1", "C2"]))
    t = {r["class_zh"]: r for r in res.records()}
    assert t["重要价值"]["revenue_share"] == round(600 / 650, 6) and res.figures["population"] == 5


def test_limit_and_truncation(con: duckdb.DuckDBPyConnection) -> None:
    res = rfm(con, RfmArgs(by="customer", as_of=D(2025, 6, 30), limit=2))
    assert [r[0] for r in res.rows] == ["C3", "C1"]
    assert res.figures["truncated"] is True and res.figures["customers"] == 5


def test_single_customer_population(con: duckdb.DuckDBPyConnection) -> None:
    # One scored customer: rank 1 of 1 -> every score 1; mean thresholds equal its own values -> all high
    rows = by_customer(con, as_of=D(2025, 6, 30), city="北京")
    assert rows["C3"]["rfm_code"] == "111" and rows["C3"]["class_zh"] == "重要价值"


def test_no_orders(empty_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputError, match="as_of"):
        rfm(empty_con, RfmArgs())  # no orders: no default reference date
    res = rfm(empty_con, RfmArgs(as_of=D(2025, 1, 1)))
    assert res.figures["customers"] == 0 and all(r[5] == 0 for r in res.rows)
    assert res.notes
    res = rfm(empty_con, RfmArgs(as_of=D(2025, 1, 1), by="customer"))
    assert res.rows == [] and res.figures["customers"] == 0


def test_bad_arguments() -> None:
    with pytest.raises(AssistantError, match="m_threshold"):
        RfmArgs(threshold="fixed", r_threshold=30, f_threshold=2)
    with pytest.raises(ValidationError, match="scheme"):
        RfmArgs.model_validate({"scheme": "rfm9"})
    with pytest.raises(ValidationError, match="r_threshold"):
        RfmArgs.model_validate({"r_threshold": -1})
    with pytest.raises(ValidationError, match="bogus"):
        RfmArgs.model_validate({"bogus": 1})


def test_period_after_end_is_rejected(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputError, match="Start date"):
        rfm(con, RfmArgs(start=D(2025, 6, 1), end=D(2025, 1, 1)))


def test_sample_invariants(sample_con: duckdb.DuckDBPyConnection) -> None:
    asof = sample_con.execute("SELECT max(order_date) FROM orders").fetchone()[0]
    res = rfm(sample_con, RfmArgs(by="customer", limit=1_000_000))
    plain = sample_con.execute(
        """SELECT o.customer_id, max(o.order_date), count(DISTINCT o.order_id), sum(i.amount)
        FROM orders o JOIN order_items i USING (order_id) WHERE o.status = 'completed' GROUP BY 1"""
    ).fetchall()
    want = {c: ((asof - last).days, f, float(m)) for c, last, f, m in plain}
    got = {r["customer_id"]: (r["recency_days"], r["frequency"], r["monetary"]) for r in res.records()}
    assert got == want
    n = len(want)
    for s in ("r_score", "f_score", "m_score"):
        assert {r[s] for r in res.records()} <= {1, 2, 3, 4, 5}
    # M has few ties on real-ish data: each quintile holds about n/5 customers
    m_counts = [sum(1 for r in res.records() if r["m_score"] == k) for k in range(1, 6)]
    assert all(abs(c - n / 5) <= 2 for c in m_counts)
    for scheme in ("rfm8", "rf11"):
        seg = rfm(sample_con, RfmArgs(scheme=scheme))
        assert sum(r[seg.columns.index("customers")] for r in seg.rows) == n
        assert sum(r[seg.columns.index("revenue_share")] for r in seg.rows) == pytest.approx(1, abs=1e-5)


def test_order_level_path_equals_line_level_path(sample_con: duckdb.DuckDBPyConnection) -> None:
    # A category filter listing every category forces the line-level path (f_lines); no filter takes the
    # order-level fast path. Both must give the same customers, values, scores and classes.
    cats = [r[0] for r in sample_con.execute("SELECT DISTINCT category FROM products").fetchall()]
    fast = rfm(sample_con, RfmArgs(by="customer", limit=1_000_000, start=D(2025, 1, 1), channel=["线上", "门店"]))
    slow = rfm(
        sample_con,
        RfmArgs(by="customer", limit=1_000_000, start=D(2025, 1, 1), channel=["线上", "门店"], category=cats),
    )
    assert "f_lines" not in fast.sql[0].split("rfm_base")[1] and "FROM f_lines" in slow.sql[0]
    assert fast.rows == slow.rows and len(fast.rows) > 50


def _random_orders(con: duckdb.DuckDBPyConnection, n: int, seed: int) -> None:
    """n customers with few distinct dates, order counts and amounts, so ties are everywhere."""
    import random

    rnd = random.Random(seed)
    con.execute("DELETE FROM order_items; DELETE FROM orders; DELETE FROM customers")
    con.execute("INSERT INTO products VALUES ('PX', 'px', 'X', 1, 0.5, NULL) ON CONFLICT DO NOTHING")
    for c in range(n):
        cid = f"K{c:03d}"
        con.execute(
            "INSERT INTO customers VALUES (?, ?, '华东', '上海', '制造', '中型', '线上', '2024-01-01', NULL, NULL)",
            [cid, cid],
        )
        for o in range(rnd.choice([1, 1, 2, 3])):
            oid = f"{cid}-{o}"
            day = D(2025, 1, 1) + dt.timedelta(days=rnd.choice([0, 10, 10, 40, 90]))
            con.execute("INSERT INTO orders VALUES (?, ?, ?, '线上', 'completed', NULL)", [oid, cid, day])
            amount = rnd.choice([10, 10, 20, 35.5, 100])
            con.execute("INSERT INTO order_items VALUES (?, 1, 'PX', 1, ?, 0, ?)", [oid, amount, amount])


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 15, 24, 25, 26, 30, 35, 101])
def test_scores_equal_rank_formula_with_ties(empty_con: duckdb.DuckDBPyConnection, n: int) -> None:
    # The scores come from cut values (quantile_disc), not a sort; they must equal the documented
    # 1 + floor(5 (rank - 1) / n) with RANK() (ties share the lowest rank), computed here in Python.
    _random_orders(empty_con, n, seed=n)
    rows = by_customer(empty_con, as_of=D(2025, 6, 30), limit=1000)
    assert len(rows) == n

    def scores(values: dict[str, object]) -> dict[str, int]:
        return {c: 1 + 5 * sum(1 for w in values.values() if w < v) // n for c, v in values.items()}  # type: ignore[operator]

    assert {c: r["r_score"] for c, r in rows.items()} == scores({c: r["last_order"] for c, r in rows.items()})
    assert {c: r["f_score"] for c, r in rows.items()} == scores({c: r["frequency"] for c, r in rows.items()})
    assert {c: r["m_score"] for c, r in rows.items()} == scores({c: r["monetary"] for c, r in rows.items()})
    # One customer's derivation reports its RANK() and the same score.
    some = sorted(rows)[n // 2]
    d = rfm(empty_con, RfmArgs(by="customer", as_of=D(2025, 6, 30), customer_ids=[some])).figures["derivation"]
    assert d["M"]["rank"] == 1 + sum(1 for r in rows.values() if r["monetary"] < rows[some]["monetary"])  # type: ignore[operator]
    assert d["R"]["rank"] == 1 + sum(1 for r in rows.values() if r["last_order"] < rows[some]["last_order"])  # type: ignore[operator]
    assert d["M"]["score"] == rows[some]["m_score"]


def test_mean_monetary_is_exact_in_cents(empty_con: duckdb.DuckDBPyConnection) -> None:
    """M's mean threshold and the mean M per segment come from the exact DECIMAL sum, so every engine shows the
    same cents and classes a customer sitting on the mean alike (a DOUBLE average's last bits depend on the order
    the engine adds in: DuckDB's avg of 0.10, 0.20, 0.30 as DOUBLE is 0.20000000000000004 in that order and
    0.19999999999999998 in the reverse one, so K2 was low or high by the order of the rows). Exactly it is 0.20."""
    con = empty_con
    con.execute(
        """INSERT INTO customers VALUES
        ('K1', 'a', '华东', '上海', '制造', '中型', '线上', '2024-01-01', NULL, NULL),
        ('K2', 'b', '华东', '上海', '制造', '中型', '线上', '2024-01-01', NULL, NULL),
        ('K3', 'c', '华东', '上海', '制造', '中型', '线上', '2024-01-01', NULL, NULL)"""
    )
    con.execute("INSERT INTO products VALUES ('PA', 'pa', 'A', 1, 0.5, NULL)")
    # mean of 0.10, 0.20, 0.30 = 0.60 / 3 = 0.20 exactly; K2 sits on it and counts as high
    for i, amount in enumerate(("0.10", "0.20", "0.30"), 1):
        con.execute("INSERT INTO orders VALUES (?, ?, '2025-06-01', '线上', 'completed', NULL)", [f"O{i}", f"K{i}"])
        con.execute("INSERT INTO order_items VALUES (?, 1, 'PA', 1, ?, 0, ?)", [f"O{i}", amount, amount])
    res = rfm(con, RfmArgs(by="customer", as_of=D(2025, 6, 30)))
    assert res.figures["m_threshold"] == 0.2
    assert {r["customer_id"]: r["m_high"] for r in res.records()} == {"K1": False, "K2": True, "K3": True}
    seg = rfm(con, RfmArgs(as_of=D(2025, 6, 30)))
    assert seg.figures["mean_monetary"] == 0.2 and seg.figures["m_threshold"] == 0.2
