"""The business review: deterministic, every headline figure equal to plain SQL, all four formats."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from assistant.errors import InputError
from assistant.report.build import build_report, parse_period
from assistant.report.render import to_markdown, write

REF = dt.date(2026, 10, 30)


@pytest.fixture(scope="module")
def con(sample_db: Path):
    c = duckdb.connect(str(sample_db), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def report(con: duckdb.DuckDBPyConnection):
    return build_report(con, parse_period("2026-Q2", REF), lang="zh")


def one(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> float:
    v = con.execute(sql, list(params)).fetchone()[0]
    return float(v) if v is not None else 0.0


REVENUE = """SELECT sum(oi.amount) FROM orders o JOIN order_items oi USING (order_id)
             WHERE o.status = 'completed' AND o.order_date BETWEEN ? AND ?"""


def test_headline_figures_equal_plain_sql(con: duckdb.DuckDBPyConnection, report) -> None:
    rev = report.figure("revenue")
    assert rev.value == pytest.approx(one(con, REVENUE, "2026-04-01", "2026-06-30"))
    assert rev.previous == pytest.approx(one(con, REVENUE, "2026-01-01", "2026-03-31"))
    assert rev.last_year == pytest.approx(one(con, REVENUE, "2025-04-01", "2025-06-30"))
    orders = one(
        con,
        "SELECT count(*) FROM orders WHERE status = 'completed' AND order_date BETWEEN '2026-04-01' AND '2026-06-30'",
    )
    assert report.figure("orders").value == orders
    new = one(
        con,
        """SELECT count(*) FROM (SELECT customer_id, min(order_date) f FROM orders WHERE status = 'completed' GROUP BY 1)
           WHERE f BETWEEN '2026-04-01' AND '2026-06-30'""",
    )
    assert report.figure("new_customers").value == new
    # Churn: active in Q1 (same length before), no completed order in Q2.
    active = "SELECT DISTINCT customer_id FROM orders WHERE status = 'completed' AND order_date BETWEEN ? AND ?"
    prev_active = {r[0] for r in con.execute(active, ["2025-12-31", "2026-03-31"]).fetchall()}
    cur_active = {r[0] for r in con.execute(active, ["2026-04-01", "2026-06-30"]).fetchall()}
    lost = len(prev_active - cur_active)
    assert report.figure("churned").value == lost
    assert report.figure("churn_rate").value == pytest.approx(round(lost / len(prev_active) * 100, 2))
    nps = con.execute(
        """SELECT (avg(CASE WHEN nps >= 9 THEN 1.0 ELSE 0 END) - avg(CASE WHEN nps <= 6 THEN 1.0 ELSE 0 END)) * 100
           FROM surveys WHERE nps IS NOT NULL AND survey_date BETWEEN '2026-04-01' AND '2026-06-30'"""
    ).fetchone()[0]
    assert report.figure("sat_nps").value == pytest.approx(float(nps))
    complaints = one(
        con,
        "SELECT count(*) FROM tickets WHERE kind = 'complaint' AND CAST(created_at AS DATE) BETWEEN '2026-04-01' AND '2026-06-30'",
    )
    assert report.figure("complaints").value == complaints


def test_report_is_deterministic(con: duckdb.DuckDBPyConnection, report) -> None:
    again = build_report(con, parse_period("2026-Q2", REF), lang="zh")
    assert to_markdown(again) == to_markdown(report)


def test_every_section_explains_or_acts(report) -> None:
    keys = [s.key for s in report.sections]
    assert keys == [
        "overview",
        "customers",
        "rfm",
        "customer_types",
        "concentration",
        "satisfaction",
        "complaints",
        "profitability",
        "actions",
    ]
    for s in report.sections[1:]:
        assert s.explain or s.callouts, s.key
    for _text, cite in (e for s in report.sections for e in s.explain):
        assert "knowledge/docs/zh/" in cite and "#" in cite
    assert any("忠诚客户" in c for c in report.sections[-1].callouts)


def test_scope_by_region(con: duckdb.DuckDBPyConnection) -> None:
    rep = build_report(con, parse_period("2026-Q2", REF), region=["华东"])
    want = one(
        con,
        """SELECT sum(oi.amount) FROM orders o JOIN order_items oi USING (order_id) JOIN customers c USING (customer_id)
           WHERE c.region = '华东' AND o.status = 'completed' AND o.order_date BETWEEN '2026-04-01' AND '2026-06-30'""",
    )
    assert rep.figure("revenue").value == pytest.approx(want)
    assert "华东" in to_markdown(rep).splitlines()[0]


def test_english_report(con: duckdb.DuckDBPyConnection) -> None:
    md = to_markdown(build_report(con, parse_period("2026-Q2", REF), lang="en"))
    assert md.startswith("# Customer business review: Q2 2026") and "knowledge/docs/en/" in md


@pytest.mark.parametrize("fmt", ["md", "html", "xlsx", "pdf"])
def test_formats(report, tmp_path: Path, fmt: str) -> None:
    if fmt == "pdf" and not shutil.which("chromium"):
        pytest.skip("PDF export prints the HTML with Debian chromium, which is not installed")
    out = write(report, fmt, tmp_path / f"r.{fmt}")
    assert out.stat().st_size > 1000
    if fmt == "xlsx":
        assert len(load_workbook(out).sheetnames) == len(report.sections) + 1
    if fmt == "html":
        text = out.read_text(encoding="utf-8")
        assert "plotly" in text.lower()
        assert not re.search(r"<script[^>]+src=[\"']?https?:", text)  # plotly.js is inlined: charts work offline
    if fmt == "pdf":
        assert out.read_bytes()[:4] == b"%PDF"


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("2025-Q2", ("2025-04-01", "2025-06-30")),
        ("2025Q3", ("2025-07-01", "2025-09-30")),
        ("2025-06", ("2025-06-01", "2025-06-30")),
        ("2025-H1", ("2025-01-01", "2025-06-30")),
        ("2025", ("2025-01-01", "2025-12-31")),
        ("2025-01-01..2025-02-15", ("2025-01-01", "2025-02-15")),
        ("上个月", ("2026-09-01", "2026-09-30")),
    ],
)
def test_parse_period(text: str, span: tuple[str, str]) -> None:
    assert parse_period(text, REF).span() == span


def test_bad_periods(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputError, match="2025-Q5"):
        parse_period("2025-Q5", REF)
    with pytest.raises(InputError, match="after the data"):
        build_report(con, parse_period("2030", REF))


def test_report_command(sample_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "q2.md"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "report",
            "--period",
            "2026-Q2",
            "--format",
            "md",
            "--out",
            str(out),
            "--db",
            str(sample_db),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_text(encoding="utf-8").startswith("# 客户经营情况总结")
