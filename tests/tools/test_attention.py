"""Attention points on a hand-built table; expectations computed by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.core.errors import InputError
from tools.attention import AttentionArgs, attention

AS_OF = dt.date(2025, 6, 30)


def _customer(con, cid, region, rep=None):
    con.execute(
        "INSERT INTO customers VALUES (?, ?, ?, '某市', '制造', '小型', '线上', DATE '2024-01-01', ?, NULL)",
        [cid, cid, region, rep],
    )


def _ticket(con, tid, cid, created, resolved, kind, category, pid, channel, dept, rep):
    status = "open" if resolved is None else "resolved"
    con.execute(
        "INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [tid, cid, created, resolved, kind, category, pid, channel, dept, rep, status],
    )


def _contact(con, iid, cid, when, dept):
    con.execute("INSERT INTO interactions VALUES (?, ?, ?, ?, '电话', NULL, '回访')", [iid, cid, when, dept])


@pytest.fixture
def con(empty_con):
    c = empty_con
    c.execute("INSERT INTO products VALUES ('PA', 'a', 'A', 10, 5, NULL), ('PB', 'b', 'B', 10, 5, NULL)")
    _customer(c, "C1", "华东", "R1")
    _customer(c, "C2", "华北", "R2")
    _customer(c, "C3", "华东")
    c.execute("INSERT INTO orders VALUES ('O1', 'C2', DATE '2025-05-01', '门店', 'completed', NULL)")
    c.execute("INSERT INTO order_items VALUES ('O1', 1, 'PA', 1, 10, 0, 10)")
    _ticket(
        c, "T1", "C1", "2025-06-01 08:00", "2025-06-01 18:00", "complaint", "质量", "PA", "电话", "客服", "R1"
    )  # 10 h
    _ticket(
        c, "T2", "C1", "2025-06-02 08:00", "2025-06-04 08:00", "complaint", "物流", "PB", "线上", "物流部", "R1"
    )  # 48 h
    _ticket(c, "T3", "C2", "2025-06-10 09:00", None, "complaint", "质量", "PA", "电话", "客服", "R2")
    _ticket(
        c, "T4", "C2", "2025-05-20 10:00", "2025-05-20 12:00", "inquiry", "价格", None, "电话", "销售部", "R2"
    )  # 2 h
    _ticket(c, "T5", "C3", "2025-04-01 10:00", None, "inquiry", "价格", None, "线上", "销售部", None)
    # Resolved only after the period end: still open at 2025-06-30.
    _ticket(c, "T6", "C3", "2025-06-20 10:00", "2025-07-02 10:00", "suggestion", "包装", "PB", "线上", "客服", "R1")
    _ticket(c, "T7", "C1", "2025-07-01 10:00", None, "complaint", "质量", "PA", "电话", "客服", "R1")  # after as_of
    # Week of Monday 2025-06-02 unless noted.
    _contact(c, "I1", "C1", "2025-06-02 10:00", "客服")
    _contact(c, "I2", "C1", "2025-06-03 10:00", "销售部")
    _contact(c, "I3", "C1", "2025-06-04 10:00", "客服")
    _contact(c, "I4", "C2", "2025-06-03 10:00", "客服")
    _contact(c, "I5", "C2", "2025-06-10 10:00", "客服")  # week of 2025-06-09
    _contact(c, "I6", "C3", "2025-06-05 10:00", "客服")
    _contact(c, "I7", "C3", "2025-06-06 10:00", "物流部")
    _contact(c, "I8", "C3", "2025-06-06 11:00", "销售部")
    return c


def _run(con, **kw):
    kw.setdefault("as_of", AS_OF)
    return attention(con, AttentionArgs(**kw))


def test_summary_by_kind(con):
    res = _run(con)
    f = res.figures
    # T1..T6 (T7 is after as_of); resolved by 06-30: T1, T2, T4 -> 3 / 6.
    assert f["tickets"] == 6
    assert f["resolved"] == 3
    assert f["resolution_rate"] == pytest.approx(0.5)
    # Hours 2, 10, 48: median 10; p90 at position 0.9 × 2 = 1.8 -> 10 + 0.8 × 38 = 40.4.
    assert f["median_hours"] == pytest.approx(10)
    assert f["p90_hours"] == pytest.approx(40.4)
    assert f["complaint_tickets"] == 3
    k = {r["kind"]: r for r in res.records()}
    # Complaints: 3, resolved T1 (10 h), T2 (48 h): rate 2/3, median 29, p90 10 + 0.9 × 38 = 44.2.
    assert k["complaint"]["kind_zh"] == "投诉"
    assert k["complaint"]["resolution_rate"] == pytest.approx(2 / 3)
    assert k["complaint"]["median_hours"] == pytest.approx(29)
    assert k["complaint"]["p90_hours"] == pytest.approx(44.2)
    assert k["inquiry"]["tickets"] == 2 and k["inquiry"]["median_hours"] == pytest.approx(2)
    # The suggestion was resolved after the period end: open, no time to resolve.
    assert k["suggestion"]["resolved"] == 0 and k["suggestion"]["median_hours"] is None
    assert k["suggestion"]["open"] == 1


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        ("category", {"质量": 2, "物流": 1, "价格": 2, "包装": 1}),
        ("product", {"PA": 2, "PB": 2, "(无)": 2}),
        ("region", {"华东": 4, "华北": 2}),
        ("rep", {"R1": 3, "R2": 2, "(无)": 1}),
        ("month", {"2025-04": 1, "2025-05": 1, "2025-06": 4}),
        ("department", {"客服": 3, "物流部": 1, "销售部": 2}),
        ("channel", {"电话": 3, "线上": 3}),
    ],
)
def test_by_dimension(con, dimension, expected):
    res = _run(con, view="by", dimension=dimension)
    assert {r[0]: r[1] for r in res.rows} == expected
    assert res.columns[0] == dimension


@pytest.mark.parametrize(
    ("kw", "tickets"),
    [
        ({"start": dt.date(2025, 6, 1)}, 4),  # T1, T2, T3, T6
        ({"end": dt.date(2025, 5, 31)}, 2),  # T4, T5
        ({"kinds": ["complaint"]}, 3),
        ({"kinds": "inquiry"}, 2),
        ({"category": ["A"]}, 2),  # tickets about product PA: T1, T3
        ({"channel": ["门店"]}, 2),  # C2 bought through 门店: T3, T4
        ({"region": ["华北"]}, 2),
        ({"customer_ids": ["C1"]}, 2),
        ({"rep_id": ["R1"]}, 2),  # customers assigned to R1: C1
        ({"industry": ["零售"]}, 0),
    ],
)
def test_filters(con, kw, tickets):
    assert _run(con, **kw).figures["tickets"] == tickets


def test_backlog(con):
    res = _run(con, view="backlog", start=dt.date(2025, 6, 1))
    # Open at 06-30: T5 (age 90 days), T3 (20), T6 (10); the start date does not shrink the backlog.
    assert [r["ticket_id"] for r in res.records()] == ["T5", "T3", "T6"]
    assert [r["age_days"] for r in res.records()] == [90, 20, 10]
    assert res.records()[0]["kind_zh"] == "咨询"
    f = res.figures
    assert f["open"] == 3 and f["oldest_age_days"] == 90 and f["mean_age_days"] == pytest.approx(40)
    assert f["open_complaint"] == 1 and f["open_suggestion"] == 1
    limited = _run(con, view="backlog", limit=1)
    assert limited.figures["open"] == 3 and [r[0] for r in limited.rows] == ["T5"]


def test_contacts_by_department(con):
    res = _run(con, view="contacts", start=dt.date(2025, 6, 2), end=dt.date(2025, 6, 15))
    d = {r["department"]: r for r in res.records()}
    # 客服: I1 I3 I4 I5 I6 = 5 contacts over customer-weeks (C1,w1) (C2,w1) (C2,w2) (C3,w1) = 4 -> 1.25;
    # window 14 days = 2 weeks, 3 customers in scope -> 5 / 6.
    assert d["客服"]["contacts"] == 5
    assert d["客服"]["customer_weeks"] == 4
    assert d["客服"]["contacts_per_contacted_customer_week"] == pytest.approx(1.25)
    assert d["客服"]["contacts_per_customer_week"] == pytest.approx(5 / 6)
    assert d["销售部"]["contacts_per_customer_week"] == pytest.approx(2 / 6)
    f = res.figures
    # Customer-weeks: 4; with ≥ 2 departments: (C1,w1) 客服+销售部, (C3,w1) 三个部门.
    assert f["contacts"] == 8
    assert f["customer_weeks"] == 4
    assert f["multi_department_customer_weeks"] == 2
    assert f["multi_department_customers"] == 2
    assert f["multi_department_share"] == pytest.approx(0.5)
    assert _run(con, view="contacts", multi_department_min=3).figures["multi_department_customers"] == 1


def test_contacts_default_window(con):
    # No start: the window runs from the first contact (06-02) to 06-30 = 29 days; 5 / (3 × 29 / 7).
    d = {r["department"]: r for r in _run(con, view="contacts").records()}
    assert d["客服"]["contacts_per_customer_week"] == pytest.approx(5 / (3 * 29 / 7))


def test_contacts_customer_list(con):
    res = _run(con, view="contacts", by="customer")
    assert res.columns[0] == "customer_id"
    got = [
        (r["customer_id"], str(r["week"]), r["departments"], r["department_list"], r["contacts"]) for r in res.records()
    ]
    assert got == [
        ("C3", "2025-06-02", 3, "客服、物流部、销售部", 3),
        ("C1", "2025-06-02", 2, "客服、销售部", 3),
    ]


def test_empty(empty_con):
    res = attention(empty_con, AttentionArgs(as_of=AS_OF))
    assert res.rows == [] and res.figures["tickets"] == 0 and res.figures["resolution_rate"] is None
    assert attention(empty_con, AttentionArgs(as_of=AS_OF, view="backlog")).figures["open"] == 0
    assert attention(empty_con, AttentionArgs(as_of=AS_OF, view="contacts")).rows == []


@pytest.mark.parametrize(
    ("kw", "what"),
    [
        ({"multi_department_min": 1}, "multi_department_min"),
        ({"limit": 0}, "limit"),
        ({"kinds": ["praise"]}, "kinds"),
        ({"dimension": "color"}, "dimension"),
        ({"view": "pie"}, "view"),
    ],
)
def test_bad_input(con, kw, what):
    with pytest.raises(InputError, match=what):
        _run(con, **kw)


def test_sample_invariants(sample_con):
    res = attention(sample_con, AttentionArgs(view="by", dimension="region"))
    total = sample_con.execute(
        "SELECT count(*) FROM tickets WHERE CAST(created_at AS DATE) <= $d", {"d": res.as_of}
    ).fetchone()[0]
    assert sum(r["tickets"] for r in res.records()) == total == res.figures["tickets"]
    assert all(0 <= r["resolution_rate"] <= 1 for r in res.records())
    backlog = attention(sample_con, AttentionArgs(view="backlog"))
    open_now = sample_con.execute(
        """SELECT count(*) FROM tickets WHERE CAST(created_at AS DATE) <= $d
           AND (resolved_at IS NULL OR CAST(resolved_at AS DATE) > $d)""",
        {"d": res.as_of},
    ).fetchone()[0]
    assert backlog.figures["open"] == open_now
    contacts = attention(sample_con, AttentionArgs(view="contacts"))
    assert sum(r["contacts"] for r in contacts.records()) == contacts.figures["contacts"]
