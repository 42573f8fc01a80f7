"""Credit score on a hand-built table; every factor and score is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.core.errors import InputError
from tools.credit import CreditArgs, credit

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def con(empty_con):
    c = empty_con
    c.execute("INSERT INTO products VALUES ('P1', '甲', 'A', 100, 50, NULL)")
    c.execute(
        """INSERT INTO customers VALUES
        ('C1', '一号', '华东', '上海', '制造', '小型', '线上', DATE '2022-06-30', NULL, 10000),
        ('C2', '二号', '华东', '上海', '制造', '中型', '线上', DATE '2025-01-01', NULL, 2000),
        ('C3', '三号', '华东', '杭州', '零售', '小型', '线上', DATE '2024-06-30', NULL, NULL),
        ('C4', '四号', '华东', '杭州', '零售', '小型', '线上', DATE '2024-06-30', NULL, 1000),
        ('C5', '五号', '华北', '北京', '零售', '小型', '线上', DATE '2025-07-10', NULL, 5000)"""
    )
    orders = [
        # C1: five 线上 and one 门店 completed orders in the 365 days to as_of; one exactly 365 days back and one
        # returned order do not count.
        ("OA", "C1", "2024-07-01", "线上", "completed"),
        ("OB", "C1", "2024-09-01", "门店", "completed"),
        ("OC", "C1", "2024-11-01", "线上", "completed"),
        ("OD", "C1", "2025-01-01", "线上", "completed"),
        ("OE", "C1", "2025-03-01", "线上", "completed"),
        ("OF", "C1", "2025-05-01", "线上", "completed"),
        ("OZ", "C1", "2024-06-30", "线上", "completed"),
        ("OR", "C1", "2025-06-01", "线上", "returned"),
        ("OG", "C2", "2025-03-01", "线上", "completed"),
        ("OH", "C3", "2025-06-20", "线上", "cancelled"),
        ("OI", "C5", "2025-06-01", "线上", "cancelled"),
    ]
    for oid, cid, day, ch, st in orders:
        c.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, NULL)", [oid, cid, day, ch, st])
        c.execute("INSERT INTO order_items VALUES (?, 1, 'P1', 1, 100, 0, 100)", [oid])
    c.execute(
        """INSERT INTO invoices VALUES
        ('I1', 'OA', 'C1', DATE '2025-03-01', DATE '2025-03-31', DATE '2025-03-20', 1000),  -- early
        ('I2', 'OB', 'C1', DATE '2025-04-01', DATE '2025-04-30', DATE '2025-04-30', 1000),  -- on the due date
        ('I9', 'OF', 'C1', DATE '2025-07-05', DATE '2025-08-05', NULL, 99999),               -- issued after as_of
        ('I3', 'OG', 'C2', DATE '2025-04-01', DATE '2025-05-01', DATE '2025-05-21', 1000),  -- 20 days late
        ('I4', 'OG', 'C2', DATE '2025-05-10', DATE '2025-06-10', NULL, 500),                -- unpaid, 20 days overdue
        ('I5', 'OG', 'C2', DATE '2025-06-15', DATE '2025-07-15', NULL, 800),                -- not due yet
        ('I6', 'OG', 'C2', DATE '2025-05-02', DATE '2025-06-01', DATE '2025-07-02', 300),  -- paid after as_of: 29 days
        ('I7', 'OH', 'C3', DATE '2025-06-25', DATE '2025-07-31', NULL, 200),                -- not due yet
        ('I8', 'OI', 'C5', DATE '2025-06-01', DATE '2025-06-20', DATE '2025-06-01', 100)    -- early"""
    )
    return c


def _run(con, **kw):
    kw.setdefault("as_of", AS_OF)
    return credit(con, CreditArgs(**kw))


# Weights: on_time 0.30, days_late 0.20, overdue 0.20, utilisation 0.15, tenure 0.10, volume 0.05.
# C1: 2 assessed, both on time → 1; 0 days late → 1; nothing overdue or unpaid → 1, 1; tenure 1096 days → 1;
#     6 orders / 12 → 0.5.  Score 100 × (0.3 + 0.2 + 0.2 + 0.15 + 0.1 + 0.025) = 97.5 → A.
# C2: assessed I3, I4, I6 (I5 not due), none on time → 0; days late (20 + 20 + 29) / 3 = 23 → 1 − 23/60;
#     overdue 500 + 300 = 800 / 2000 = 0.4 → 0.6; unpaid 500 + 800 + 300 = 1600 / 2000 = 0.8 → 0.2;
#     tenure 180 days → 180/1095; 1 order → 1/12.
#     Score 100 × (0.2·37/60 + 0.2·0.6 + 0.15·0.2 + 0.1·180/1095 + 0.05/12) = 29.39 → E.
# C3: nothing assessed → on-time and days-late neutral 0.5; nothing overdue → 1; no credit limit but 200 unpaid → 0;
#     tenure 365 → 1/3; no completed order → 0.  Score 100 × (0.15 + 0.1 + 0.2 + 0 + 0.1/3) = 48.33 → D.
# C5: on time, 0 late, nothing unpaid: 0.3 + 0.2 + 0.2 + 0.15 = 0.85; signed up after as_of → tenure 0; volume 0.
#     Score exactly 85 → A (the boundary belongs to the higher grade).
# C4: no invoice → not rated.
C2_SCORE = round(100 * (0.2 * 37 / 60 + 0.2 * 0.6 + 0.15 * 0.2 + 0.1 * 180 / 1095 + 0.05 / 12), 2)


def test_per_customer_scores_and_factors(con):
    res = _run(con, by="customer")
    assert res.columns[0] == "customer_id"
    recs = {r["customer_id"]: r for r in res.records()}
    assert set(recs) == {"C1", "C2", "C3", "C5"}
    assert [r[0] for r in res.rows] == ["C2", "C3", "C5", "C1"]  # lowest score first
    assert recs["C1"]["score"] == pytest.approx(97.5) and recs["C1"]["grade"] == "A"
    assert recs["C1"]["orders_12m"] == 6 and recs["C1"]["invoices"] == 2
    c2 = recs["C2"]
    assert C2_SCORE == pytest.approx(29.39)
    assert c2["score"] == pytest.approx(C2_SCORE) and c2["grade"] == "E"
    assert (c2["grade_zh"], c2["grade_en"]) == ("高风险", "High risk")
    assert c2["invoices"] == 4 and c2["assessed_invoices"] == 3
    assert c2["on_time_share"] == 0 and c2["avg_days_late"] == pytest.approx(23)
    assert c2["overdue_amount"] == pytest.approx(800) and c2["unpaid_amount"] == pytest.approx(1600)
    assert c2["utilisation"] == pytest.approx(0.8)
    assert c2["f_days_late"] == pytest.approx(1 - 23 / 60)
    assert c2["f_overdue"] == pytest.approx(0.6) and c2["f_utilisation"] == pytest.approx(0.2)
    assert c2["f_tenure"] == pytest.approx(180 / 1095) and c2["f_volume"] == pytest.approx(1 / 12)
    c3 = recs["C3"]
    assert c3["on_time_share"] is None and c3["f_on_time"] == 0.5 and c3["f_days_late"] == 0.5
    assert c3["utilisation"] is None and c3["f_utilisation"] == 0 and c3["f_overdue"] == 1
    assert c3["score"] == pytest.approx(48.33) and c3["grade"] == "D"
    assert recs["C5"]["score"] == pytest.approx(85.0) and recs["C5"]["grade"] == "A"
    assert recs["C5"]["tenure_days"] == 0


def test_by_grade_default_and_figures(con):
    res = _run(con)
    assert [r[0] for r in res.rows] == ["A", "B", "C", "D", "E"]  # every grade, empty ones too
    recs = {r["grade"]: r for r in res.records()}
    assert recs["A"]["customers"] == 2 and recs["A"]["share"] == pytest.approx(0.5)
    assert recs["A"]["mean_score"] == pytest.approx((97.5 + 85) / 2)
    assert recs["B"]["customers"] == 0 and recs["B"]["mean_score"] is None
    assert recs["E"]["overdue_amount"] == pytest.approx(800)
    assert recs["E"]["treatment_en"].startswith("cash before delivery")
    f = res.figures
    assert f["customers_in_scope"] == 5 and f["customers_rated"] == 4 and f["customers_unrated"] == 1
    assert f["grade_counts"] == {"A": 2, "B": 0, "C": 0, "D": 1, "E": 1}
    assert f["overdue_amount"] == pytest.approx(800) and f["unpaid_amount"] == pytest.approx(1800)
    assert f["overdue_share_of_unpaid"] == pytest.approx(800 / 1800)
    assert f["customers_overdue"] == 1
    assert f["mean_score"] == pytest.approx((97.5 + C2_SCORE + 48.33 + 85) / 4)
    assert res.notes  # says one customer is unrated
    assert len(res.sql) == 1 and "invoices" in res.sql[0]  # totals ride along with the table
    assert recs["E"]["customers_overdue"] == 1 and recs["A"]["customers_overdue"] == 0
    d = {x.name: x.value for x in res.definitions}
    assert d["weight_on_time"] == 0.3 and d["grade_B"] == 70 and d["days_late_cap"] == 60


def test_by_dimension(con):
    recs = {r["size"]: r for r in _run(con, by="size").records()}
    # 小型: C1 97.5, C3 48.33, C5 85 → mean 76.94, one of three in D/E; 中型: C2 alone.
    assert recs["小型"]["customers"] == 3
    assert recs["小型"]["mean_score"] == pytest.approx((97.5 + 48.33 + 85) / 3)
    assert recs["小型"]["low_grade_share"] == pytest.approx(1 / 3)
    assert recs["中型"]["low_grade_share"] == 1.0 and recs["中型"]["unpaid_amount"] == pytest.approx(1600)
    assert (recs["小型"]["n_A"], recs["小型"]["n_D"], recs["中型"]["n_E"]) == (2, 1, 1)


def test_period_restricts_invoices_by_issue_date(con):
    # From 2025-05-01: C1 has no invoice in the window → unrated; C2 keeps I4, I5, I6: assessed I4, I6,
    # days late (20 + 29) / 2 = 24.5; overdue and unpaid unchanged; volume still looks at the last 365 days.
    recs = {r["customer_id"]: r for r in _run(con, by="customer", start=dt.date(2025, 5, 1)).records()}
    assert "C1" not in recs
    want = round(100 * (0.2 * (1 - 24.5 / 60) + 0.2 * 0.6 + 0.15 * 0.2 + 0.1 * 180 / 1095 + 0.05 / 12), 2)
    assert recs["C2"]["score"] == pytest.approx(want)


def test_channel_and_category_filters(con):
    # Channel 门店: C1 keeps I2 (order OB) and 1 order of volume: 100 × (0.95 + 0.05/12) = 95.42; the other
    # customers' invoices belong to 线上 orders → unrated.
    res = _run(con, by="customer", channel="门店")
    assert [(r["customer_id"], r["score"]) for r in res.records()] == [("C1", pytest.approx(95.42))]
    # Category A covers every line: same as no filter.
    assert _run(con, category="A").figures["grade_counts"] == {"A": 2, "B": 0, "C": 0, "D": 1, "E": 1}
    assert _run(con, category="Z").figures["customers_rated"] == 0


def test_customer_filters(con):
    assert _run(con, region="华北").figures["grade_counts"]["A"] == 1
    assert {r[0] for r in _run(con, by="customer", city="杭州").rows} == {"C3"}
    assert {r[0] for r in _run(con, by="customer", industry="制造", size="中型").rows} == {"C2"}
    assert _run(con, rep_id="R9").figures["customers_in_scope"] == 0
    res = _run(con, customer_ids=["C4"])  # a single customer without invoices
    assert res.figures["customers_rated"] == 0 and res.figures["mean_score"] is None
    assert all(r[3] == 0 and r[4] is None for r in res.rows)


def test_weight_and_scale_overrides(con):
    # on_time 0.45, tenure 0, volume 0 (sum 1): C1 → 100; C2 → 100 × (0.2·37/60 + 0.12 + 0.03) = 27.33.
    recs = {
        r["customer_id"]: r["score"]
        for r in _run(con, by="customer", weights={"on_time": 0.45, "tenure": 0, "volume": 0}).records()
    }
    assert recs["C1"] == pytest.approx(100) and recs["C2"] == pytest.approx(27.33)
    # days_late_cap 30: C2's days-late factor 1 − 23/30.
    c2 = next(r for r in _run(con, by="customer", days_late_cap=30).records() if r["customer_id"] == "C2")
    assert c2["f_days_late"] == pytest.approx(1 - 23 / 30)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"weights": {"on_time": 0.5}}, "must sum to 1"),
        ({"weights": {"speed": 0.1}}, "Unknown credit factor"),
        ({"weights": {"on_time": -0.1, "days_late": 0.6}}, "cannot be negative"),
        ({"days_late_cap": 0}, "days_late_cap must be above 0"),
        ({"by": "product"}, "by must be one of"),
        ({"limit": 0}, "at least 1"),
        ({"start": dt.date(2025, 7, 1)}, "after end date"),
    ],
)
def test_bad_arguments_say_what_to_fix(con, kw, match):
    with pytest.raises(InputError, match=match):
        _run(con, **kw)


def test_sample_invariants(sample_con):
    res = credit(sample_con, CreditArgs(by="customer", limit=1_000_000))
    recs = res.records()
    ids = [r["customer_id"] for r in recs]
    assert len(ids) == len(set(ids)) == res.figures["customers_rated"]
    with_invoices = sample_con.execute(
        "SELECT count(DISTINCT customer_id) FROM invoices WHERE issue_date <= ?", [res.as_of]
    ).fetchone()[0]
    assert res.figures["customers_rated"] == with_invoices
    assert all(0 <= r["score"] <= 100 for r in recs)
    weights = {"on_time": 0.3, "days_late": 0.2, "overdue": 0.2, "utilisation": 0.15, "tenure": 0.1, "volume": 0.05}
    for r in recs[:50]:
        assert r["score"] == pytest.approx(100 * sum(w * r[f"f_{k}"] for k, w in weights.items()), abs=0.006)
    by_grade = credit(sample_con, CreditArgs())
    assert sum(r["customers"] for r in by_grade.records()) == res.figures["customers_rated"]
    assert sum(r["share"] for r in by_grade.records()) == pytest.approx(1.0)
