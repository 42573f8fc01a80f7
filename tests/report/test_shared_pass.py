"""The review's shared pass: the tools read it through ReviewEngine and give exactly their own results; where the
order totals cannot stand in for the lines, nothing is swapped."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import duckdb
import pytest

from assistant.capabilities import load_all
from assistant.report import build
from assistant.report.build import build_report, parse_period
from assistant.report.render import to_markdown
from assistant.report.shared_pass import ReviewEngine, Span, Window
from tools.base import last_order_date

AS_OF = dt.date(2026, 6, 30)
PREV = dt.date(2026, 3, 31)
YEAR = Window(dt.date(2025, 7, 1), AS_OF, AS_OF)
WINDOWS = [Window(None, AS_OF, AS_OF), Window(None, PREV, PREV), YEAR]
# As the review asks: this period's customer types and the year's revenue order kept on the engine.
KEPT = [
    Window(None, AS_OF, AS_OF, keep=frozenset({"scores", "types"})),
    Window(None, PREV, PREV, keep=frozenset({"scores"})),
    Window(YEAR.start, AS_OF, AS_OF, keep=frozenset({"tiers"}), money_only=True),
]

CALLS = [
    ("rfm", {"as_of": AS_OF}),
    ("rfm", {"as_of": PREV}),
    ("rfm", {"as_of": AS_OF, "by": "customer"}),
    ("customer_types", {"as_of": AS_OF}),
    ("customer_types", {"as_of": AS_OF, "by": "customer", "limit": 100_000}),
    ("tiers", {"view": "pareto", "start": YEAR.start, "end": AS_OF, "as_of": AS_OF}),
    ("tiers", {"by": "customer", "start": YEAR.start, "end": AS_OF, "as_of": AS_OF}),
    ("customer_types", {"as_of": AS_OF, "by": "customer", "top_per_type": 3, "limit": 12}),
    ("customer_types", {"as_of": PREV}),
    ("customer_types", {"as_of": AS_OF, "lost_after_days": 90}),  # other thresholds: not the kept rows
    ("tiers", {"view": "tier", "start": YEAR.start, "end": AS_OF, "as_of": AS_OF, "strategic_share": 0.1}),
]


class Counting(ReviewEngine):
    """Counts the statements whose base was swapped for the shared pass, and the kept tables built."""

    swapped = 0
    built: ClassVar[list[str]] = []

    def _build(self, sw: object) -> None:  # type: ignore[override]
        Counting.built.append(sw.table)  # type: ignore[attr-defined]
        super()._build(sw)  # type: ignore[arg-type]

    def _rewrite(self, sql: str, params: object) -> tuple[str, dict]:  # type: ignore[override]
        out, p = super()._rewrite(sql, params)  # type: ignore[arg-type]
        Counting.swapped += out != sql
        return out, p


def same(row: list[object]) -> list[object]:
    """A row with its floats as pytest.approx: the tools average exact decimals as DOUBLE, and rows read in another
    order may sum to the other side of a rounding tie (585565.835 shown as .83 or .84), and a DOUBLE of 10^14 or more
    has no cent left to be exact in (its last digit). Everything else is exact."""
    return [pytest.approx(v, abs=0.011, rel=1e-12) if isinstance(v, float) else v for v in row]


def results(source: object, filters: dict) -> list[tuple[list[str], list[list[object]]]]:
    reg = load_all()
    return [(r.columns, r.rows) for r in (reg[n].run(source, {**filters, **a}) for n, a in CALLS)]


@pytest.mark.parametrize("windows", [WINDOWS, KEPT], ids=["pass", "kept"])
@pytest.mark.parametrize("filters", [{}, {"region": ["华东"]}], ids=["all", "region"])
def test_tools_through_the_pass_equal_the_tools_alone(
    sample_con: duckdb.DuckDBPyConnection, filters: dict, windows: list[Window]
) -> None:
    engine = Counting(sample_con)
    Counting.swapped, Counting.built = 0, []
    assert engine.prepare(filters, windows)
    table = engine.table
    try:
        got, want = results(engine, filters), results(sample_con, filters)
        for (cols, rows), (want_cols, want_rows), call in zip(got, want, CALLS, strict=True):
            assert cols == want_cols, call
            assert [same(r) for r in rows] == [same(r) for r in want_rows], call
    finally:
        engine.close_pass()
    assert Counting.swapped == len(CALLS)  # every one of them read the pass
    # Each kept table is built once, by the first statement that reads it, whichever variant of the text it wrote.
    kept = [f"{table}_scores_0", f"{table}_scores_1", f"{table}_types_0", f"{table}_tiers_2"]
    assert Counting.built == ([] if windows is WINDOWS else kept)
    assert not sample_con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0]


def test_kept_rows_serve_only_their_own_parameters(sample_con: duckdb.DuckDBPyConnection) -> None:
    # Another threshold, another date or another scope reads its own CTEs (over the pass), never the kept types;
    # the RFM statistics of a date do not depend on the type thresholds, so those read the date's kept statistics.
    engine = Counting(sample_con)
    assert engine.prepare({}, KEPT)
    t = engine.table
    try:
        for args, reads in (
            ({"lost_after_days": 90}, [f"{t}_scores_0"]),
            ({"as_of": PREV}, [f"{t}_scores_1"]),
            ({"region": ["华东"]}, []),
            ({}, [f"{t}_types_0"]),
        ):
            sql, _ = engine._rewrite(*_types_statement(sample_con, {"as_of": AS_OF, **args}))
            assert re.findall(rf"\b{t}_\w+", sql) == reads, args
    finally:
        engine.close_pass()


def _edited(sample_db: Path, tmp_path: Path, edit: Callable[[duckdb.DuckDBPyConnection], None]) -> Path:
    """A copy of the sample changed by ``edit``, its derived tables rebuilt to match."""
    from assistant.warehouse import derived

    db = tmp_path / "w.duckdb"
    shutil.copyfile(sample_db, db)
    con = duckdb.connect(str(db))
    edit(con)
    derived.build(con)
    con.close()
    return db


@pytest.fixture
def odd_customers(sample_db: Path, tmp_path: Path) -> Path:
    """The sample with a buyer missing from the customers table and a buyer who signed up after both dates."""
    return _edited(sample_db, tmp_path, _odd)


def _odd(con: duckdb.DuckDBPyConnection) -> None:
    gone, late = (
        r[0]
        for r in con.execute(
            "SELECT customer_id FROM orders WHERE status = 'completed' AND order_date <= ? GROUP BY 1 ORDER BY 1 LIMIT 2",
            [PREV],
        ).fetchall()
    )
    con.execute("DELETE FROM customers WHERE customer_id = ?", [gone])
    con.execute("UPDATE customers SET signup_date = ? WHERE customer_id = ?", [AS_OF + dt.timedelta(days=1), late])


@pytest.mark.parametrize("filters", [{}, {"region": ["华东"]}], ids=["all", "region"])
def test_customer_types_from_the_pass_alone_equal_the_tool(odd_customers: Path, filters: dict) -> None:
    # The types of both dates read the pass's customers (no join of every customer): the same rows as the tool,
    # with a buyer missing from the customers table (left out) and one who signed up later (kept: they bought).
    con = duckdb.connect(str(odd_customers), read_only=True)
    engine = ReviewEngine(con)
    assert engine.prepare(filters, KEPT)
    try:
        for as_of in (AS_OF, PREV):
            sql, _ = engine._rewrite(*_types_statement(con, {"as_of": as_of, **filters}))
            assert "LEFT JOIN rfm_classed" not in sql, as_of
            for args in ({"as_of": as_of}, {"as_of": as_of, "by": "customer", "limit": 100_000}):
                got = load_all()["customer_types"].run(engine, {**filters, **args})
                want = load_all()["customer_types"].run(con, {**filters, **args})
                assert [same(r) for r in got.rows] == [same(r) for r in want.rows], args
    finally:
        engine.close_pass()
        con.close()


def _types_statement(con: duckdb.DuckDBPyConnection, args: dict) -> tuple[str, dict]:
    """The statement customer_types runs for ``args`` (by type), and its parameters."""
    from tools.customer_types import CustomerTypesArgs, classification
    from tools.rfm import population_scope

    a = CustomerTypesArgs(**args)
    scope, _, _ = population_scope(con, a)
    ctes, params = classification(scope, a)
    return f"WITH {scope.ctes()},\n{ctes}\nSELECT type_key, count(*) FROM ct_typed GROUP BY ALL", params


def test_a_window_the_pass_lacks_runs_as_written(sample_con: duckdb.DuckDBPyConnection) -> None:
    engine = Counting(sample_con)
    assert engine.prepare({}, WINDOWS[:1])
    Counting.swapped = 0
    other = {"as_of": dt.date(2026, 1, 31)}
    assert load_all()["rfm"].run(engine, other).rows == load_all()["rfm"].run(sample_con, other).rows
    assert Counting.swapped == 0
    engine.close_pass()


@pytest.fixture
def huge_customer(sample_db: Path, tmp_path: Path) -> Path:
    """The sample with one customer whose revenue (two orders of 9×10^15 before PREV) needs more than 18 digits."""

    def enlarge(con: duckdb.DuckDBPyConnection) -> None:
        (oids,) = con.execute(
            "SELECT list(order_id ORDER BY order_id)[1:2] FROM orders "
            "WHERE status = 'completed' AND order_date <= ? AND order_id IN (SELECT order_id FROM order_items) "
            "GROUP BY customer_id HAVING count(*) >= 2 ORDER BY customer_id LIMIT 1",
            [PREV],
        ).fetchone()
        for oid in oids:
            con.execute("UPDATE order_items SET amount = 0 WHERE order_id = ?", [oid])
            con.execute(
                "UPDATE order_items SET amount = 9000000000000000 WHERE order_id = ? AND line_no = "
                "(SELECT min(line_no) FROM order_items WHERE order_id = ?)",
                [oid, oid],
            )

    return _edited(sample_db, tmp_path, enlarge)


@pytest.mark.parametrize("huge", [False, True], ids=["usual", "beyond-18-digits"])
def test_revenue_beyond_eighteen_digits_reads_the_wide_type(sample_db: Path, huge_customer: Path, huge: bool) -> None:
    # The pass keeps revenue in DECIMAL(18, 2); a customer whose sum does not fit makes it keep the sum's own
    # type, and every tool still gives its own rows.
    con = duckdb.connect(str(huge_customer if huge else sample_db), read_only=True)
    engine = ReviewEngine(con)
    assert engine.prepare({}, KEPT)
    try:
        kind = con.execute(f"SELECT typeof(monetary_0) FROM {engine.table} LIMIT 1").fetchone()[0]
        assert kind == ("DECIMAL(38,2)" if huge else "DECIMAL(18,2)")
        got, want = results(engine, {}), results(con, {})
        for (cols, rows), (want_cols, want_rows), call in zip(got, want, CALLS, strict=True):
            assert cols == want_cols, call
            assert [same(r) for r in rows] == [same(r) for r in want_rows], call
        biggest = con.execute(f"SELECT max(monetary_0) FROM {engine.table}").fetchone()[0]
        assert (biggest >= 18 * 10**15) is huge
    finally:
        engine.close_pass()
        con.close()


@pytest.fixture
def lineless(sample_db: Path, tmp_path: Path) -> Path:
    """The sample with one completed order whose lines are gone (and the totals rebuilt to match)."""

    def drop_lines(con: duckdb.DuckDBPyConnection) -> None:
        oid = con.execute("SELECT min(order_id) FROM orders WHERE status = 'completed'").fetchone()[0]
        con.execute("DELETE FROM order_items WHERE order_id = ?", [oid])

    return _edited(sample_db, tmp_path, drop_lines)


def test_no_swap_when_a_completed_order_has_no_lines(lineless: Path) -> None:
    # The tools count that order in a customer's frequency; the totals have no row for it.
    con = duckdb.connect(str(lineless), read_only=True)
    assert not ReviewEngine(con).prepare({}, WINDOWS)
    con.close()


def test_review_equals_the_review_without_the_pass(
    sample_con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    period = parse_period("2026-Q2", last_order_date(sample_con))
    shared = to_markdown(build_report(sample_con, period, lang="en"))
    monkeypatch.setattr(build._Runner, "__init__", _plain_runner_init)
    assert to_markdown(build_report(sample_con, period, lang="en")) == shared


_RUNNER_INIT = build._Runner.__init__


def _plain_runner_init(self: build._Runner, con: duckdb.DuckDBPyConnection, scope: dict, report: build.Report) -> None:
    _RUNNER_INIT(self, con, scope, report)
    self.engine, self._raw = None, None  # no pass, nothing started ahead: every tool on the caller's connection


def test_calls_started_ahead_give_the_same_report_and_sql(
    sample_con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The calls that read nothing of the pass run on a second connection while the others read it; the report,
    # and the SQL it lists in order, are those of the same calls run one after the other here.
    period = parse_period("2026-Q2", last_order_date(sample_con))
    runners: list[build._Runner] = []
    real_ahead = build._Runner.ahead

    def ahead(self: build._Runner, calls: list) -> None:
        real_ahead(self, calls)
        runners.append(self)
        assert len(self._ahead) == len(calls) == 6  # churn (previous), satisfaction ×2, attention ×3

    monkeypatch.setattr(build._Runner, "ahead", ahead)
    started = build_report(sample_con, period, lang="en")
    assert len(runners) == 1 and not runners[0]._ahead and runners[0]._side is None  # all taken, closed
    monkeypatch.setattr(build._Runner, "ahead", lambda self, calls: None)
    in_turn = build_report(sample_con, period, lang="en")

    # Each review names its own pass table.
    def named(text: str) -> str:
        return re.sub(r"review_pass_\d+", "review_pass", text)

    assert [named(q) for q in started.sql] == [named(q) for q in in_turn.sql]
    assert named(to_markdown(started)) == named(to_markdown(in_turn))


def test_a_failing_section_still_closes_the_second_connection(
    sample_con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    runners: list[build._Runner] = []
    real_ahead = build._Runner.ahead

    def ahead(self: build._Runner, calls: list) -> None:
        real_ahead(self, calls)
        runners.append(self)

    def broken(*args: object) -> None:
        raise RuntimeError("section failed")

    monkeypatch.setattr(build._Runner, "ahead", ahead)
    monkeypatch.setattr(build, "_explain", broken)
    with pytest.raises(RuntimeError, match="section failed"):
        build_report(sample_con, parse_period("2026-Q2", last_order_date(sample_con)))
    assert runners and runners[0]._pool is None and runners[0]._side is None
    assert not sample_con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0]


def test_review_behind_the_engine_seam_uses_the_pass(sample_con: duckdb.DuckDBPyConnection) -> None:
    from assistant.warehouse.duckdb_engine import DuckDBEngine

    period = parse_period("2026-Q2", last_order_date(sample_con))
    runner = build._Runner(DuckDBEngine(sample_con), {}, build.Report(period, period, period, {}, "zh"))
    assert isinstance(runner.engine, ReviewEngine)
    assert to_markdown(build_report(DuckDBEngine(sample_con), period)) == to_markdown(build_report(sample_con, period))


OVERVIEW = ["revenue", "gross_profit", "orders", "avg_order_value", "customers", "new_customers"]


def _overview_equals_metric_query(
    con: duckdb.DuckDBPyConnection, region: list[str] | None, period_text: str = "2026-Q2"
) -> list[str]:
    """Build a review; every overview figure equals metric_query's for the same period and scope. Returns the
    tools the review ran with by=[] metric queries (the overview's fallback)."""
    calls: list[str] = []
    real_run = build._Runner.run

    def run(self: build._Runner, tool: str, **args: object) -> object:
        if tool == "metric_query" and args.get("by") == []:
            calls.append(tool)
        return real_run(self, tool, **args)

    mp = pytest.MonkeyPatch()
    mp.setattr(build._Runner, "run", run)
    try:
        period = parse_period(period_text, last_order_date(con))
        rep = build_report(con, period, lang="en", region=region)
    finally:
        mp.undo()
    scope = {"region": region} if region else {}
    ref = last_order_date(con)
    for attr, p in (("value", rep.period), ("previous", rep.previous), ("last_year", rep.last_year)):
        res = load_all()["metric_query"].run(
            con, {**scope, "metrics": OVERVIEW, "by": [], "start": p.start, "end": min(p.end, ref)}
        )
        want = res.records()[0]
        for m in OVERVIEW:
            fig = rep.figure(m)
            assert fig is not None
            assert getattr(fig, attr) == build._num(want[m]), (m, attr)
    return calls


@pytest.mark.parametrize("region", [None, ["华东"]], ids=["all", "region"])
def test_overview_from_the_pass_equals_metric_query(
    sample_con: duckdb.DuckDBPyConnection, region: list[str] | None
) -> None:
    assert _overview_equals_metric_query(sample_con, region) == []  # all three periods read the pass


def test_overview_of_overlapping_periods_equals_metric_query(sample_con: duckdb.DuckDBPyConnection) -> None:
    # Two years against the same two years a year earlier: the periods overlap, and an order in both counts in both.
    period = parse_period("2024-07-01..2026-06-30", last_order_date(sample_con))
    assert period.same_period_last_year().end >= period.start
    assert _overview_equals_metric_query(sample_con, None, "2024-07-01..2026-06-30") == []


def test_overview_asks_the_metric_layer_where_a_product_has_no_cost(sample_db: Path, tmp_path: Path) -> None:
    # The metric leaves lines without cost out of gross profit; the totals' margin counts them at cost 0.
    from assistant.warehouse import derived

    db = tmp_path / "w.duckdb"
    shutil.copyfile(sample_db, db)
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE products SET unit_cost = NULL WHERE product_id = (SELECT min(oi.product_id) FROM order_items oi "
        "JOIN orders o USING (order_id) WHERE o.status = 'completed' AND o.order_date BETWEEN '2026-04-01' AND '2026-06-30')"
    )
    derived.build(con)
    con.close()
    con = duckdb.connect(str(db), read_only=True)
    assert "metric_query" in _overview_equals_metric_query(con, None)
    con.close()


@pytest.mark.parametrize("region", [None, ["华东"]], ids=["all", "region"])
def test_last_order_and_revenue_from_the_pass_equal_metric_query(
    sample_con: duckdb.DuckDBPyConnection, region: list[str] | None
) -> None:
    # Every customer (more than the row limit, so the order and the cut matter too), and an unknown id.
    scope = {"region": region} if region else {}
    ids = [r[0] for r in sample_con.execute("SELECT customer_id FROM customers ORDER BY 1").fetchall()] + ["nobody"]
    args = {"metrics": ["days_since_last_order", "revenue"], "by": ["customer"], "customer_ids": ids, "limit": 50}
    window = Window(YEAR.start, YEAR.end, YEAR.as_of)
    want = load_all()["metric_query"].run(
        sample_con, {**scope, **args, "start": window.start, "end": window.end, "as_of": window.as_of}
    )
    engine = ReviewEngine(sample_con)
    assert engine.prepare(scope, WINDOWS)
    try:
        got = engine.last_and_revenue(ids, window, limit=50)
        assert got is not None
        assert got[1] == want.records()
        assert len(got[1]) == 50 < len(ids) and want.figures["truncated"]
        assert engine.last_and_revenue(ids, Window(YEAR.start, PREV, PREV), limit=50) is None  # no such window
    finally:
        engine.close_pass()


@pytest.mark.parametrize("filters", [{}, {"region": ["华东"]}], ids=["all", "region"])
def test_profitability_through_the_periods_equals_the_tool_alone(
    sample_con: duckdb.DuckDBPyConnection, filters: dict
) -> None:
    # Its sales over a period of the overview are read from the customers' period sums, exact as its own.
    spans = [Span(dt.date(2026, 4, 1), AS_OF), Span(dt.date(2026, 1, 1), PREV)]
    engine = Counting(sample_con)
    assert engine.prepare(filters, WINDOWS, spans)
    try:
        for span in spans:
            args = {**filters, "start": span.start, "end": span.end, "as_of": span.end}
            Counting.swapped = 0
            got = load_all()["profitability"].run(engine, args)
            assert Counting.swapped == 1
            want = load_all()["profitability"].run(sample_con, args)
            assert got.columns == want.columns
            assert [same(r) for r in got.rows] == [same(r) for r in want.rows]
            assert {k: same([v])[0] for k, v in got.figures.items()} == want.figures
    finally:
        engine.close_pass()
    assert not sample_con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0]


def test_another_scope_never_reads_the_pass(sample_con: duckdb.DuckDBPyConnection) -> None:
    # The same text in another region (its customers chosen before the text, in f_customers) is another population.
    regions = [r[0] for r in sample_con.execute("SELECT DISTINCT region FROM customers ORDER BY 1").fetchall()]
    engine = Counting(sample_con)
    assert engine.prepare({"region": regions[:1]}, KEPT, [Span(dt.date(2026, 4, 1), AS_OF)])
    try:
        Counting.swapped = 0
        for name, args in [*CALLS, ("profitability", {"start": dt.date(2026, 4, 1), "end": AS_OF})]:
            args = {**args, "region": regions[1:2]}
            got, want = load_all()[name].run(engine, args).rows, load_all()[name].run(sample_con, args).rows
            # The same statement twice: DOUBLE sums of parallel threads may differ in their last digits.
            assert [same(r) for r in got] == [same(r) for r in want], name
        assert Counting.swapped == 0
    finally:
        engine.close_pass()
