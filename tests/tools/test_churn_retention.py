"""Churn, cohort retention and at-risk on hand-built tables; expectations computed by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.core.errors import InputError
from tools.churn_retention import ChurnArgs, churn_retention

AS_OF = dt.date(2025, 6, 30)


def _customer(con, cid, region, signup):
    con.execute(
        "INSERT INTO customers VALUES (?, ?, ?, '某市', '制造', '小型', '线上', ?, NULL, NULL)",
        [cid, "客户" + cid, region, signup],
    )


def _order(con, oid, cid, day, amount=100, status="completed", channel="线上"):
    con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, NULL)", [oid, cid, day, channel, status])
    con.execute("INSERT INTO order_items VALUES (?, 1, 'P1', 1, ?, 0, ?)", [oid, amount, amount])


@pytest.fixture
def con(empty_con):
    c = empty_con
    c.execute("INSERT INTO products VALUES ('P1', 'p', 'A', 10, 5, NULL)")
    # This period 2025-04-01..06-30 (91 days); previous 2024-12-31..2025-03-31.
    _customer(c, "C1", "华东", "2025-01-10")
    _order(c, "O1", "C1", "2025-01-15")
    _order(c, "O2", "C1", "2025-05-01")  # retained
    _customer(c, "C2", "华东", "2025-01-20")
    _order(c, "O3", "C2", "2025-02-10", 200)
    _order(c, "O4", "C2", "2025-05-10", status="returned")  # does not count: churned
    _customer(c, "C3", "华北", "2025-02-05")
    _order(c, "O5", "C3", "2025-03-01", 150, channel="门店")
    _order(c, "O6", "C3", "2025-03-15", 150, channel="门店")  # churned, 2 previous orders
    _customer(c, "C4", "华北", "2025-02-15")
    _order(c, "O7", "C4", "2025-06-01")  # new this period
    _customer(c, "C5", "华南", "2024-06-01")  # never bought
    return c


def _run(con, **kw):
    kw.setdefault("as_of", AS_OF)
    return churn_retention(con, ChurnArgs(**kw))


def test_churn_rate(con):
    res = _run(con, start=dt.date(2025, 4, 1))
    f = res.figures
    # Active in the previous period: C1, C2, C3; none this period: C2, C3 -> 2 / 3.
    assert (f["active_previous"], f["retained"], f["churned"]) == (3, 1, 2)
    assert f["churn_rate"] == pytest.approx(2 / 3)
    assert f["retention_rate"] == pytest.approx(1 / 3)
    assert f["active_current"] == 2  # C1, C4
    assert f["prev_period_start"] == dt.date(2024, 12, 31)
    # Same periods from period_days when no start is given.
    assert _run(con, period_days=91).figures["churn_rate"] == pytest.approx(2 / 3)


def test_churn_by_region_and_filters(con):
    recs = {r["region"]: r for r in _run(con, start=dt.date(2025, 4, 1), dimension="region").records()}
    assert recs["华东"]["churn_rate"] == pytest.approx(0.5)  # C1 retained, C2 churned
    assert recs["华北"]["churn_rate"] == pytest.approx(1.0)  # C3 churned
    assert recs["华北"]["active_current_not_previous"] == 1  # C4
    assert "华南" not in recs
    assert _run(con, start=dt.date(2025, 4, 1), region="华东").figures["churn_rate"] == pytest.approx(0.5)
    # Category filter reads orders through their lines: all are category A, none B.
    assert _run(con, start=dt.date(2025, 4, 1), category=["A"]).figures["churn_rate"] == pytest.approx(2 / 3)
    assert _run(con, start=dt.date(2025, 4, 1), category=["B"]).figures["active_previous"] == 0
    # Only orders through 门店: C3 alone, churned.
    assert _run(con, start=dt.date(2025, 4, 1), channel=["门店"]).figures["churn_rate"] == pytest.approx(1.0)


def test_churn_definition_parameter(con):
    # At least 2 previous orders: only C3 qualifies, and churned.
    f = _run(con, start=dt.date(2025, 4, 1), active_min_orders=2).figures
    assert (f["active_previous"], f["churned"]) == (1, 1)


def test_churned_customer_list(con):
    res = _run(con, start=dt.date(2025, 4, 1), by="customer")
    assert res.columns[0] == "customer_id"
    # Ranked by previous-period revenue: C3 300, C2 200.
    assert [(r["customer_id"], r["prev_revenue"]) for r in res.records()] == [("C3", 300), ("C2", 200)]
    assert res.figures["churned"] == 2


def test_cohort_matrix(con):
    res = _run(con, view="cohort")
    rows = {r[0]: r for r in res.rows}
    # Default 12 cohorts: 2024-07..2025-06, so C5 (2024-06) is left out.
    assert set(rows) == {"2025-01", "2025-02"}
    m = {r["cohort"]: r for r in res.records()}
    # 2025-01: C1 buys in Jan (k0) and May (k4), C2 in Feb (k1); June (k5) observed, k6 not yet.
    assert [m["2025-01"][f"m{k}"] for k in range(7)] == [0.5, 0.5, 0, 0, 0.5, 0, None]
    # 2025-02: C3 in March (k1, twice), C4 in June (k4).
    assert [m["2025-02"][f"m{k}"] for k in range(6)] == [0, 0.5, 0, 0, 0.5, None]
    assert m["2025-01"]["customers"] == 2
    assert res.figures["retention_m1"] == pytest.approx(0.5)  # (1 + 1) / (2 + 2)
    assert res.figures["retention_m3"] == 0
    assert res.figures["retention_m6"] is None


def test_cohort_with_start_and_max_months(con):
    res = _run(con, view="cohort", start=dt.date(2024, 6, 1), max_months=2)
    assert res.columns == ["cohort", "customers", "m0", "m1", "m2"]
    m = {r["cohort"]: r for r in res.records()}
    assert m["2024-06"]["customers"] == 1 and m["2024-06"]["m2"] == 0


@pytest.fixture
def risk_con(empty_con):
    c = empty_con
    c.execute("INSERT INTO products VALUES ('P1', 'p', 'A', 10, 5, NULL)")
    for cid in ("A1", "A2", "A3", "A4", "A5"):
        _customer(c, cid, "华东", "2023-01-01")
    # A1: gaps 10, 10, 20 -> median 10; 140 days since 02-10 > 20 -> at risk; stake 400.
    for i, d in enumerate(("2025-01-01", "2025-01-11", "2025-01-21", "2025-02-10")):
        _order(c, f"A1-{i}", "A1", d)
    # A2: gaps 30, 20 -> median 25; 10 days since -> fine (the returned order does not count).
    for i, d in enumerate(("2025-05-01", "2025-05-31", "2025-06-20")):
        _order(c, f"A2-{i}", "A2", d)
    _order(c, "A2-r", "A2", "2025-06-25", status="returned")
    # A3: gaps 92, 90 (2024 is a leap year) -> median 91; 364 days since 2024-07-01 > 182 -> at risk; only the
    # 2024-07-01 order falls in the 365 days up to as_of (from 2024-07-01): stake 100.
    for i, d in enumerate(("2024-01-01", "2024-04-02", "2024-07-01")):
        _order(c, f"A3-{i}", "A3", d)
    _order(c, "A4-0", "A4", "2024-01-01")  # two orders: not assessed
    _order(c, "A4-1", "A4", "2024-02-01")
    for i in range(3):  # three orders on one day: no interval, not assessed
        _order(c, f"A5-{i}", "A5", "2024-01-01")
    return c


def test_at_risk(risk_con):
    res = _run(risk_con, view="at_risk")
    recs = res.records()
    assert [r["customer_id"] for r in recs] == ["A1", "A3"]
    assert recs[0]["median_interval_days"] == 10
    assert recs[0]["days_since_last"] == 140
    assert recs[0]["ratio"] == pytest.approx(14)
    assert recs[0]["revenue_at_stake"] == 400
    assert recs[1]["median_interval_days"] == pytest.approx(91)
    assert recs[1]["revenue_at_stake"] == 100
    assert res.figures == {"at_risk": 2, "revenue_at_stake": 500, "assessed": 3, "listed": 2}


def test_at_risk_parameters(risk_con):
    none = _run(risk_con, view="at_risk", factor=15)
    assert none.rows == [] and none.figures["assessed"] == 3 and none.figures["at_risk"] == 0
    assert [r[0] for r in _run(risk_con, view="at_risk", min_orders=4).rows] == ["A1"]
    assert [r[0] for r in _run(risk_con, view="at_risk", limit=1).rows] == ["A1"]
    assert _run(risk_con, view="at_risk", limit=1).figures["at_risk"] == 2
    assert [r[0] for r in _run(risk_con, view="at_risk", customer_ids=["A3"]).rows] == ["A3"]
    assert [r[0] for r in _run(risk_con, view="at_risk", category=["A"]).rows] == ["A1", "A3"]
    # From 2025-01-01 only A1 and A2 have 3 orders; A1 still at risk, stake unchanged.
    assert [r[0] for r in _run(risk_con, view="at_risk", start=dt.date(2025, 1, 1)).rows] == ["A1"]


def test_empty(empty_con):
    assert _run(empty_con).figures["churn_rate"] is None
    assert _run(empty_con, view="cohort").rows == []
    assert _run(empty_con, view="at_risk").figures["at_risk"] == 0


@pytest.mark.parametrize(
    ("kw", "what"),
    [
        ({"factor": 0.5, "view": "at_risk"}, "factor"),
        ({"min_orders": 1, "view": "at_risk"}, "min_orders"),
        ({"period_days": 0}, "period_days"),
        ({"active_min_orders": 0}, "active_min_orders"),
        ({"cohorts": 0, "view": "cohort"}, "cohorts"),
        ({"view": "pie"}, "view"),
        ({"dimension": "color"}, "dimension"),
    ],
)
def test_bad_input(con, kw, what):
    with pytest.raises(InputError, match=what):
        _run(con, **kw)


def test_sample_invariants(sample_con):
    res = churn_retention(sample_con, ChurnArgs(dimension="size"))
    f = res.figures
    assert f["active_previous"] == f["retained"] + f["churned"]
    prev = sample_con.execute(
        """SELECT count(DISTINCT customer_id) FROM orders WHERE status = 'completed'
           AND order_date BETWEEN $a AND $b""",
        {"a": f["prev_period_start"], "b": f["period_start"] - dt.timedelta(days=1)},
    ).fetchone()[0]
    assert f["active_previous"] == prev
    cohort = churn_retention(sample_con, ChurnArgs(view="cohort"))
    assert all(v is None or 0 <= v <= 1 for r in cohort.rows for v in r[2:])
    risk = churn_retention(sample_con, ChurnArgs(view="at_risk"))
    stakes = [r["revenue_at_stake"] for r in risk.records()]
    assert stakes == sorted(stakes, reverse=True)
    assert all(r["days_since_last"] > 2 * r["median_interval_days"] for r in risk.records())
