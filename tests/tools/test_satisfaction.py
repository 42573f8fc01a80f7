"""Satisfaction on a hand-built table; expectations computed by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.core.errors import InputError
from tools.satisfaction import SatisfactionArgs, nps_ci, satisfaction, wilson_ci
from tools.tables import load

AS_OF = dt.date(2025, 6, 30)


def _customer(con, cid, region, industry, size, rep):
    con.execute(
        "INSERT INTO customers VALUES (?, ?, ?, '某市', ?, ?, '线上', DATE '2024-01-01', ?, NULL)",
        [cid, cid, region, industry, size, rep],
    )


def _survey(con, sid, cid, day, nps, csat, ces):
    con.execute("INSERT INTO surveys VALUES (?, ?, ?, ?, ?, ?, NULL)", [sid, cid, day, nps, csat, ces])


def _order(con, oid, cid, pid, amount, status="completed", channel="线上"):
    con.execute("INSERT INTO orders VALUES (?, ?, DATE '2025-05-01', ?, ?, NULL)", [oid, cid, channel, status])
    con.execute("INSERT INTO order_items VALUES (?, 1, ?, 1, ?, 0, ?)", [oid, pid, amount, amount])


def _ticket(con, tid, cid, kind):
    con.execute(
        "INSERT INTO tickets VALUES (?, ?, TIMESTAMP '2025-05-05 10:00', NULL, ?, '质量', NULL, '电话', '客服', NULL, 'open')",
        [tid, cid, kind],
    )


@pytest.fixture
def con(empty_con):
    c = empty_con
    c.execute("INSERT INTO products VALUES ('PA', 'a', 'A', 10, 5, NULL), ('PB', 'b', 'B', 10, 5, NULL)")
    _customer(c, "C1", "华东", "制造", "小型", "R1")
    _customer(c, "C2", "华东", "零售", "中型", "R1")
    _customer(c, "C3", "华北", "制造", "大型", "R2")
    _customer(c, "C4", "华北", "零售", "小型", "R2")
    _customer(c, "C5", "华南", "制造", "小型", "R3")  # no surveys
    _survey(c, "S1", "C1", "2025-05-10", 10, 5, 2)
    _survey(c, "S2", "C1", "2025-06-10", 9, 4, 3)
    _survey(c, "S3", "C2", "2025-05-15", 7, 3, 4)
    _survey(c, "S4", "C3", "2025-06-01", 3, 2, 6)
    _survey(c, "S5", "C4", "2025-06-20", None, 5, None)
    _survey(c, "S6", "C4", "2025-04-01", 6, 1, 7)
    _survey(c, "S7", "C2", "2025-07-05", 0, 1, 7)  # after as_of: ignored
    _order(c, "O1", "C1", "PA", 1000)
    _order(c, "O2", "C3", "PB", 500, channel="门店")
    _order(c, "O3", "C2", "PA", 200, status="returned")
    _order(c, "O4", "C5", "PA", 100)
    _ticket(c, "T1", "C3", "complaint")
    _ticket(c, "T2", "C3", "complaint")
    _ticket(c, "T3", "C4", "complaint")
    _ticket(c, "T4", "C1", "inquiry")
    return c


def _run(con, **kw):
    kw.setdefault("as_of", AS_OF)
    return satisfaction(con, SatisfactionArgs(**kw))


def test_summary_scores_and_intervals(con):
    f = _run(con).figures
    # NPS answers: 10, 9, 7, 3, 6 -> 2 promoters, 2 detractors of 5 -> NPS 0;
    # p = d = 0.4, var = 0.8, se = sqrt(0.8 / 5) = 0.4, CI = ±1.96 × 0.4 = ±78.4 points.
    assert f["nps"] == pytest.approx(0.0)
    assert f["nps_n"] == 5
    assert f["nps_ci_low"] == pytest.approx(-78.4)
    assert f["nps_ci_high"] == pytest.approx(78.4)
    # CSAT answers: 5, 4, 3, 2, 5, 1 -> 3 of 6 score 4–5 = 50 %; Wilson(3, 6) = 18.76 .. 81.24.
    assert f["csat"] == pytest.approx(50.0)
    assert f["csat_ci_low"] == pytest.approx(18.761, abs=1e-3)
    assert f["csat_ci_high"] == pytest.approx(81.239, abs=1e-3)
    # CES answers: 2, 3, 4, 6, 7 -> mean 4.4, s = sqrt(17.2 / 4) = 2.0736, half = 1.96 × 2.0736 / sqrt(5) = 1.8176.
    assert f["ces"] == pytest.approx(4.4)
    assert f["ces_ci_low"] == pytest.approx(4.4 - 1.8176, abs=1e-3)
    assert f["responses"] == 6
    assert {d.name for d in _run(con).definitions} >= {"nps", "csat", "ces", "z"}


def test_by_region(con):
    res = _run(con, view="by", dimension="region")
    recs = {r["region"]: r for r in res.records()}
    # 华东: NPS 10, 9, 7 -> 2 promoters of 3 = 66.7.
    assert recs["华东"]["nps"] == pytest.approx(200 / 3)
    # 华北: NPS 3, 6 -> both detractors = -100 with a zero-width interval; CSAT 2, 5, 1 -> 1 of 3.
    assert recs["华北"]["nps"] == pytest.approx(-100)
    assert recs["华北"]["nps_ci_low"] == pytest.approx(-100)
    assert recs["华北"]["csat"] == pytest.approx(100 / 3)
    assert recs["华北"]["responses"] == 3
    assert "华南" not in recs  # no responses


@pytest.mark.parametrize(
    ("dimension", "responses"),
    [
        ("rep", {"R1": 3, "R2": 3}),
        ("city", {"某市": 6}),
        ("size", {"小型": 4, "中型": 1, "大型": 1}),  # C1 2 + C4 2; C2; C3
        ("industry", {"制造": 3, "零售": 3}),
        ("acquisition_channel", {"线上": 6}),
        ("month", {"2025-04": 1, "2025-05": 2, "2025-06": 3}),
    ],
)
def test_by_every_dimension(con, dimension, responses):
    res = _run(con, view="by", dimension=dimension)
    assert {r[0]: r[1] for r in res.rows} == responses
    assert res.columns[0] == dimension


def test_trend_by_month(con):
    recs = {r["month"]: r for r in _run(con, view="trend").records()}
    # 04: 6 -> -100; 05: 10, 7 -> 50; 06: 9, 3 (S5 has no NPS) -> 0.
    assert recs["2025-04"]["nps"] == pytest.approx(-100)
    assert recs["2025-05"]["nps"] == pytest.approx(50)
    assert recs["2025-06"]["nps"] == pytest.approx(0)
    assert recs["2025-06"]["nps_n"] == 2
    assert recs["2025-06"]["responses"] == 3


@pytest.mark.parametrize(
    ("kw", "nps"),
    [
        ({"start": dt.date(2025, 5, 1)}, 25.0),  # 10, 9, 7, 3 -> (2 - 1) / 4
        ({"region": "华东"}, 200 / 3),
        ({"industry": ["制造"]}, 100 / 3),  # C1, C3: 10, 9, 3
        ({"size": ["大型"]}, -100.0),  # C3
        ({"rep_id": ["R2"]}, -100.0),  # C3, C4: 3, 6
        ({"customer_ids": ["C1"]}, 100.0),
        ({"city": ["某市"]}, 0.0),
        ({"category": ["A"]}, 100.0),  # buyers of A: C1 (C2's order was returned)
        ({"channel": ["门店"]}, -100.0),  # buyers through 门店: C3
        ({"end": dt.date(2025, 5, 31)}, 0.0),  # 6, 10, 7 -> (1 - 1) / 3
    ],
)
def test_filters(con, kw, nps):
    assert _run(con, **kw).figures["nps"] == pytest.approx(nps)


def test_extremes_profile(con):
    res = _run(con, view="extremes", share=0.5)
    # Mean NPS: C1 9.5, C2 7, C4 6, C3 3 -> k = ceil(0.5 × 4) = 2: most C1, C2; least C3, C4.
    t = {(r["attribute"], r["value"]): r for r in res.records()}
    assert t[("customers", "")]["most"] == 2
    assert t[("customers", "")]["all"] == 5
    assert t[("mean_nps", "")]["most"] == pytest.approx(8.25)
    assert t[("mean_nps", "")]["least"] == pytest.approx(4.5)
    assert t[("region", "华东")]["most"] == 1.0
    assert t[("region", "华北")]["least"] == 1.0
    assert t[("region", "华东")]["all"] == pytest.approx(0.4)
    assert t[("region", "华东")]["most_minus_all"] == pytest.approx(0.6)
    # Revenue: C1 1000, C3 500, C5 100 (C2's order returned): most 500, least 250, all 320.
    assert t[("revenue_mean", "")]["most"] == pytest.approx(500)
    assert t[("revenue_mean", "")]["least"] == pytest.approx(250)
    assert t[("revenue_mean", "")]["all"] == pytest.approx(320)
    # Complaints: C3 2, C4 1 (C1's ticket is an inquiry).
    assert t[("complaints_mean", "")]["least"] == pytest.approx(1.5)
    assert t[("complaints_mean", "")]["all"] == pytest.approx(0.6)
    # Tier: 3 customers with revenue, top ceil(5 % × 3) = 1 -> C1 strategic; ceil(20 % × 3) = 1 -> no key.
    assert t[("tier", "战略")]["most"] == 0.5
    assert t[("tier", "战略")]["value_en"] == "Strategic"
    assert t[("tier", "战略")]["least"] == 0.0
    assert t[("tier", "普通")]["all"] == pytest.approx(0.8)
    assert res.figures["least_complaints_mean"] == pytest.approx(1.5)


def test_extremes_customers_default_share(con):
    res = _run(con, view="extremes", by="customer")
    # 4 scored customers, k = ceil(0.2 × 4) = 1: most C1, least C3.
    got = [(r["customer_id"], r["group_en"], r["tier_en"]) for r in res.records()]
    assert got == [("C1", "Most satisfied", "Strategic"), ("C3", "Least satisfied", "Regular")]
    assert res.columns[0] == "customer_id"


def test_extremes_ties_broken_by_csat(empty_con):
    c = empty_con
    _customer(c, "X1", "华东", "制造", "小型", None)
    _customer(c, "X2", "华东", "制造", "小型", None)
    _survey(c, "S1", "X1", "2025-06-01", 8, 3, None)
    _survey(c, "S2", "X2", "2025-06-01", 8, 5, None)
    res = _run(c, view="extremes", by="customer", share=0.5)
    got = [(r["customer_id"], r["group_en"]) for r in res.records()]
    assert got == [("X2", "Most satisfied"), ("X1", "Least satisfied")]


def test_no_responses(empty_con):
    res = satisfaction(empty_con, SatisfactionArgs(as_of=AS_OF))
    assert res.rows == []
    assert res.figures["nps"] is None
    assert res.figures["responses"] == 0


def test_interval_helpers():
    assert nps_ci(0, 0, 0, 1.96) == (None, None, None)
    # All promoters: NPS 100, zero variance, interval clamps at 100.
    assert nps_ci(3, 0, 3, 1.96) == (100.0, 100.0, 100.0)
    lo_hi = wilson_ci(0, 10, 1.96)
    assert lo_hi[0] == 0 and lo_hi[1] == 0 and lo_hi[2] == pytest.approx(27.75, abs=0.01)


@pytest.mark.parametrize(
    ("kw", "what"),
    [
        ({"share": 0.8}, "share"),
        ({"share": 0}, "share"),
        ({"dimension": "color"}, "dimension"),
        ({"view": "pie"}, "view"),
        ({"by": "x"}, "by"),
    ],
)
def test_bad_input(con, kw, what):
    with pytest.raises(InputError, match=what):
        _run(con, **kw)


def test_sample_invariants(sample_con):
    res = satisfaction(sample_con, SatisfactionArgs(view="by", dimension="size"))
    total = sample_con.execute("SELECT count(*) FROM surveys WHERE survey_date <= $d", {"d": res.as_of}).fetchone()[0]
    assert sum(r["responses"] for r in res.records()) == total
    overall = satisfaction(sample_con, SatisfactionArgs()).figures
    assert overall["responses"] == total
    assert -100 <= overall["nps"] <= 100
    assert overall["nps_ci_low"] <= overall["nps"] <= overall["nps_ci_high"]
    ext = satisfaction(sample_con, SatisfactionArgs(view="extremes")).records()
    tiers = [r for r in ext if r["attribute"] == "tier"]
    assert sum(r["all"] for r in tiers) == pytest.approx(1.0)


def test_extremes_customers_limit_per_group(con):
    # share 0.5: k = 2 per group; most C1 (9.5), C2 (7); least C3 (3), C4 (6). limit 1: the most extreme of each.
    res = _run(con, view="extremes", by="customer", share=0.5, limit=1)
    assert [(r["customer_id"], r["group_en"]) for r in res.records()] == [
        ("C1", "Most satisfied"),
        ("C3", "Least satisfied"),
    ]
    f = res.figures
    assert (f["most_customers"], f["most_listed"], f["least_customers"], f["least_listed"]) == (2, 1, 2, 1)
    # mean NPS over the whole group, not the listed part: (9.5 + 7) / 2, (3 + 6) / 2
    assert f["most_mean_nps"] == pytest.approx(8.25) and f["least_mean_nps"] == pytest.approx(4.5)
    assert f["truncated"] is True and f["limit"] == 1 and res.arguments["limit"] == 1
    assert len(res.notes) == 2 and "1 of 2" in res.notes[0] and "共 2 位客户" in res.notes[1]


def test_extremes_customers_least_group_lists_the_least_satisfied_first(con):
    res = _run(con, view="extremes", by="customer", share=0.5, limit=2)
    assert [r["customer_id"] for r in res.records()] == ["C1", "C2", "C3", "C4"]
    assert res.figures["truncated"] is False and res.notes == []
    assert res.figures["most_listed"] == res.figures["most_customers"] == 2


def test_extremes_customers_ten_customers(empty_con):
    # X0..X9 answer NPS 0..9 once; share 0.3 -> k = 3: most X9, X8, X7 (mean 8), least X0, X1, X2 (mean 1).
    c = empty_con
    for i in range(10):
        _customer(c, f"X{i}", "华东", "制造", "小型", None)
        _survey(c, f"S{i}", f"X{i}", "2025-06-01", i, None, None)
    res = _run(c, view="extremes", by="customer", share=0.3, limit=2)
    assert [r["customer_id"] for r in res.records()] == ["X9", "X8", "X0", "X1"]
    f = res.figures
    assert (f["most_customers"], f["least_customers"], f["most_listed"], f["least_listed"]) == (3, 3, 2, 2)
    assert f["most_mean_nps"] == pytest.approx(8.0) and f["least_mean_nps"] == pytest.approx(1.0)
    # the profile view of the same groups is not cut by limit
    prof = {(r["attribute"], r["value"]): r for r in _run(c, view="extremes", share=0.3, limit=1).records()}
    assert prof[("customers", "")]["most"] == 3 and prof[("mean_nps", "")]["least"] == pytest.approx(1.0)


def test_extremes_customers_default_limit_comes_from_the_table(con):
    assert SatisfactionArgs().limit == int(load("satisfaction")["defaults"]["limit"]) == 1000
    res = _run(con, view="extremes", by="customer")
    assert res.figures["limit"] == 1000 and res.figures["truncated"] is False


@pytest.mark.parametrize("limit", [0, -3])
def test_extremes_limit_must_be_positive(con, limit):
    with pytest.raises(InputError, match="limit"):
        _run(con, view="extremes", by="customer", limit=limit)


def test_extremes_customers_no_responses(empty_con):
    res = _run(empty_con, view="extremes", by="customer")
    assert res.rows == [] and res.figures["most_customers"] == 0 and res.figures["most_mean_nps"] is None
