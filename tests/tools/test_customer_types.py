"""customer_types on a hand-built warehouse; expectations computed by hand in the comments (as_of 2025-06-30)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from pydantic import ValidationError

from tools.base import REGISTRY
from tools.customer_types import TYPES, CustomerTypesArgs, customer_types

D = dt.date
ASOF = D(2025, 6, 30)


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Buyers (completed orders) and non-buyers.

    L1 orders 2024-01-10, 2024-06-10, 2024-12-10, 2025-06-10 at 100 -> F 4, M 400, tenure 537, recency 20
    X  orders 2024-02-01 .. 2024-06-01 monthly at 200             -> F 5, M 1000, tenure 515, recency 394
    N  order 2025-03-01 at 10                                      -> F 1, M 10, tenure 121, recency 121
    H  orders 2023-01-01 at 5000, 2025-05-01 at 10                 -> F 2, M 5010, tenure 911, recency 60
    M1 orders 2024-01-01 at 10, 2025-02-01 at 10                   -> F 2, M 20, tenure 546, recency 149
    S  signed up 2025-05-01 (60 days), never bought
    O  signed up 2020-01-01, never bought
    FU signed up 2025-07-15 (after as_of), never bought: not a customer yet
    F ranks ascending (n=5): N 1, H=M1 2, L1 4, X 5 -> F scores N 1, H 2, M1 2, L1 4, X 5
    M ranks ascending: N 10, M1 20, L1 400, X 1000, H 5010 -> M scores 1, 2, 3, 4, 5
    """
    customers = [
        ("L1", "华东", "2024-01-01"),
        ("X", "华东", "2024-01-01"),
        ("N", "华北", "2025-02-01"),
        ("H", "华北", "2022-12-01"),
        ("M1", "华南", "2023-12-01"),
        ("S", "华南", "2025-05-01"),
        ("O", "华东", "2020-01-01"),
        ("FU", "华东", "2025-07-15"),
    ]
    for cid, region, signup in customers:
        con.execute(
            "INSERT INTO customers VALUES (?, ?, ?, '上海', '制造', '中型', '线上', ?, NULL, NULL)",
            [cid, cid, region, signup],
        )
    con.execute("INSERT INTO products VALUES ('P', 'p', 'A', 1, 0.5, NULL)")
    orders = {
        "L1": [("2024-01-10", 100), ("2024-06-10", 100), ("2024-12-10", 100), ("2025-06-10", 100)],
        "X": [(f"2024-0{m}-01", 200) for m in range(2, 7)],
        "N": [("2025-03-01", 10)],
        "H": [("2023-01-01", 5000), ("2025-05-01", 10)],
        "M1": [("2024-01-01", 10), ("2025-02-01", 10)],
    }
    k = 0
    for cid, lst in orders.items():
        for day, amount in lst:
            k += 1
            con.execute("INSERT INTO orders VALUES (?, ?, ?, '线上', 'completed', NULL)", [f"O{k}", cid, day])
            con.execute("INSERT INTO order_items VALUES (?, 1, 'P', 1, ?, 0, ?)", [f"O{k}", amount, amount])
    # A cancelled order for S does not make S a buyer
    con.execute("INSERT INTO orders VALUES ('OX', 'S', '2025-06-01', '线上', 'cancelled', NULL)")
    con.execute("INSERT INTO order_items VALUES ('OX', 1, 'P', 1, 99, 0, 99)")


@pytest.fixture
def con(empty_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    build(empty_con)
    return empty_con


def per_customer(con: duckdb.DuckDBPyConnection, **kw: object) -> dict[str, tuple[str, str]]:
    res = customer_types(con, CustomerTypesArgs(by="customer", as_of=ASOF, **kw))
    return {r["customer_id"]: (r["type_zh"], r["rule"]) for r in res.records()}


def test_registered() -> None:
    assert REGISTRY["customer_types"].args_model is CustomerTypesArgs


def test_rules_per_customer(con: duckdb.DuckDBPyConnection) -> None:
    # L1: recency 20 <= 180, tenure 537 >= 365, F 4 >= 4, recency 20 <= 90 -> loyal
    # X: recency 394 > 180 -> lost (despite F 5, M 4)
    # N: tenure 121 <= 365 -> potential (new buyer); H: tenure 911, F 2, M 5 >= 4 -> potential (high M)
    # M1: recency 149, F 2, tenure 546, M 2 -> marginal; S: never bought, signup 60 days -> potential
    # O: never bought, signup long ago -> marginal; FU: signed up after as_of -> left out
    assert per_customer(con) == {
        "L1": ("忠诚客户", "loyal"),
        "X": ("流失客户", "lost"),
        "N": ("潜在客户", "new_buyer"),
        "H": ("潜在客户", "high_m"),
        "M1": ("边缘客户", "marginal_buyer"),
        "S": ("潜在客户", "new_signup"),
        "O": ("边缘客户", "never_bought"),
    }
    res = customer_types(con, CustomerTypesArgs(by="customer", as_of=ASOF))
    rec = {r["customer_id"]: r for r in res.records()}
    assert (rec["L1"]["tenure_days"], rec["L1"]["recency_days"], rec["L1"]["f_score"], rec["L1"]["m_score"]) == (
        537,
        20,
        4,
        3,
    )
    assert rec["H"]["type_en"] == "Potential" and rec["H"]["m_score"] == 5
    assert rec["O"]["frequency"] is None and rec["O"]["monetary"] is None
    assert res.columns[0] == "customer_id"
    # revenue descending, never-bought customers last
    assert [r[0] for r in res.rows[:2]] == ["H", "X"] and {r[0] for r in res.rows[-2:]} == {"O", "S"}


def test_segment_table(con: duckdb.DuckDBPyConnection) -> None:
    res = customer_types(con, CustomerTypesArgs(as_of=ASOF))
    t = {r["type_en"]: r for r in res.records()}
    assert [r["type_zh"] for r in res.records()] == [x["zh"] for x in TYPES]
    # loyal L1 (400); potential N, H, S (10 + 5010 + 0); marginal M1, O (20); lost X (1000); total 6440
    assert {k: (v["customers"], v["never_bought"], v["revenue"]) for k, v in t.items()} == {
        "Loyal": (1, 0, 400.0),
        "Potential": (3, 1, 5020.0),
        "Marginal": (2, 1, 20.0),
        "Lost": (1, 0, 1000.0),
    }
    assert t["Potential"]["revenue_share"] == round(5020 / 6440, 6)
    assert t["Potential"]["customer_share"] == round(3 / 7, 6)
    assert t["Potential"]["mean_recency"] == round((121 + 60) / 2, 2)  # never-bought S has no recency
    assert res.figures["customers"] == 7 and res.figures["lost_customers"] == 1
    assert "回访" in t["Lost"]["treatment_zh"] and "win back" in t["Lost"]["treatment_en"]
    defs = {d.name: d.value for d in res.definitions}
    assert defs["lost_after_days"] == 180 and defs["loyal_min_f_score"] == 4


def test_threshold_overrides_and_boundaries(con: duckdb.DuckDBPyConnection) -> None:
    # lost_after_days 400: X (394) is no longer lost; not loyal (recency 394 > 90), tenure 515 > 365, M 4 -> potential
    assert per_customer(con, lost_after_days=400)["X"] == ("潜在客户", "high_m")
    # exactly on the threshold is not lost (more than N days): M1 recency 149
    assert per_customer(con, lost_after_days=149)["M1"][1] == "marginal_buyer"
    assert per_customer(con, lost_after_days=148)["M1"][1] == "lost"
    # L1 recency 20: loyal needs <= 20; with 19 it falls through to M 3 < 4 -> marginal
    assert per_customer(con, loyal_max_recency_days=20)["L1"][1] == "loyal"
    assert per_customer(con, loyal_max_recency_days=19)["L1"] == ("边缘客户", "marginal_buyer")
    # signup window 60 keeps S (exactly 60 days), 59 drops it to marginal
    assert per_customer(con, potential_signup_within_days=60)["S"][1] == "new_signup"
    assert per_customer(con, potential_signup_within_days=59)["S"][1] == "never_bought"
    # first-order window 120 < N's 121 days; N's M score 1 -> marginal
    assert per_customer(con, potential_first_order_within_days=120)["N"][1] == "marginal_buyer"
    # M score threshold 5 keeps H (5); loyal F score 5 drops L1 (F 4)
    assert per_customer(con, potential_min_m_score=5)["H"][1] == "high_m"
    assert per_customer(con, loyal_min_f_score=5)["L1"][1] == "marginal_buyer"
    # tenure 600: L1 (537) not loyal
    assert per_customer(con, loyal_min_tenure_days=600)["L1"][1] == "marginal_buyer"


def test_filters(con: duckdb.DuckDBPyConnection) -> None:
    # region 华北: N and H only (n=2). F: N 1 rank 1 -> 1, H 2 rank 2 -> 1+floor(5/2)=3; M: N 1, H 3
    # H: tenure 911, M 3 < 4 -> marginal now; N: new buyer
    assert per_customer(con, region=["华北"]) == {"N": ("潜在客户", "new_buyer"), "H": ("边缘客户", "marginal_buyer")}
    # customer_ids only chooses the rows: H keeps its M score 5 from the whole population
    assert per_customer(con, customer_ids=["H"]) == {"H": ("潜在客户", "high_m")}
    # period from 2025-01-01: L1 has one order (2025-06-10): tenure 20 -> new buyer; X has none -> never bought,
    # signup long ago -> marginal; H keeps one order (10)
    got = per_customer(con, start=D(2025, 1, 1))
    assert got["L1"] == ("潜在客户", "new_buyer") and got["X"] == ("边缘客户", "never_bought")
    # a category nobody buys: nobody has bought; N signed up 2025-02-01 (149 days <= 180) -> potential,
    # H signed up 2022-12-01 -> marginal
    got = per_customer(con, category=["none"])
    assert got["N"] == ("潜在客户", "new_signup") and got["H"] == ("边缘客户", "never_bought")


def test_empty(empty_con: duckdb.DuckDBPyConnection) -> None:
    res = customer_types(empty_con, CustomerTypesArgs(as_of=ASOF))
    assert res.figures["customers"] == 0 and [r[2] for r in res.rows] == [0, 0, 0, 0] and res.notes


def test_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="loyal_min_f_score"):
        CustomerTypesArgs.model_validate({"loyal_min_f_score": 6})
    with pytest.raises(ValidationError, match="lost_after_days"):
        CustomerTypesArgs.model_validate({"lost_after_days": 0})
    with pytest.raises(ValidationError, match="by"):
        CustomerTypesArgs.model_validate({"by": "region"})


def test_sample_invariants(sample_con: duckdb.DuckDBPyConnection) -> None:
    asof = sample_con.execute("SELECT max(order_date) FROM orders").fetchone()[0]
    res = customer_types(sample_con, CustomerTypesArgs(by="customer", limit=1_000_000))
    ids = [r[0] for r in res.rows]
    assert len(ids) == len(set(ids))  # every customer classified once
    want = sample_con.execute(
        """SELECT count(*) FROM customers c WHERE signup_date <= $a
        OR EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id AND o.status = 'completed')""",
        {"a": asof},
    ).fetchone()[0]
    assert len(ids) == want
    lost = sample_con.execute(
        """SELECT count(*) FROM (SELECT customer_id FROM orders WHERE status = 'completed'
        GROUP BY 1 HAVING max(order_date) < $a - INTERVAL 180 DAY)""",
        {"a": asof},
    ).fetchone()[0]
    assert sum(1 for r in res.records() if r["type_en"] == "Lost") == lost
    seg = customer_types(sample_con, CustomerTypesArgs())
    assert sum(r[2] for r in seg.rows) == len(ids)
    assert sum(r[6] for r in seg.rows) == pytest.approx(1, abs=1e-5)


def test_top_per_type(con: duckdb.DuckDBPyConnection) -> None:
    # Types by revenue (see build): Potential H 5010, N 10, S (never bought); Lost X 1000; Loyal L1 400;
    # Marginal M1 20, O (never bought). Each type's first k in revenue order (never-bought last), then the
    # whole in revenue order; customers still counts all 7.
    def top(k: int, **kw: object) -> tuple[list[str], dict[str, object]]:
        res = customer_types(con, CustomerTypesArgs(by="customer", as_of=ASOF, top_per_type=k, **kw))
        return [r[0] for r in res.rows], res.figures

    ids, figures = top(1)
    assert ids == ["H", "X", "L1", "M1"]
    assert (figures["customers"], figures["rows_returned"], figures["truncated"]) == (7, 4, True)
    assert top(2)[0] == ["H", "X", "L1", "M1", "N", "O"]
    assert top(3)[0] == ["H", "X", "L1", "M1", "N", "O", "S"]  # never-bought by id
    assert top(2, limit=3)[0] == ["H", "X", "L1"]
    # The same columns and values as the rows without the cut
    full = customer_types(con, CustomerTypesArgs(by="customer", as_of=ASOF))
    cut = customer_types(con, CustomerTypesArgs(by="customer", as_of=ASOF, top_per_type=1))
    assert cut.columns == full.columns
    assert cut.rows == [r for r in full.rows if r[0] in {"H", "X", "L1", "M1"}]
    assert top(1, region=["华南"])[0] == ["M1", "S"]  # within the filters: S potential, M1 marginal


def test_top_per_type_default_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    res = customer_types(con, CustomerTypesArgs(by="customer", as_of=ASOF))
    assert "type_rank" not in res.sql[-1] and CustomerTypesArgs().top_per_type is None
    with pytest.raises(ValidationError):
        CustomerTypesArgs(top_per_type=0)
