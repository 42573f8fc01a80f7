"""The review's one pass over the customers: each customer's completed orders, once, for every window it needs.

The business review asks the RFM, customer-type and tier tools about the same customers at two or three reference
dates. Each of those tools starts from the same per-customer base (``tools.rfm.customer_base_cte``: first and last
completed order, number of orders, revenue), which costs a join of every order line with its order. Here that base
is computed once for all the review's windows, from the derived order totals (one row per order, its revenue
already summed: ``assistant.warehouse.derived``), and each tool's statement reads its window from it.

The tools still build their own SQL and shape their own results: ``ReviewEngine`` is the connection they are
given, and it only swaps their base CTE for a read of the shared pass (the same rows and types), and answers a
statement asked twice from the first answer. The figures are the tools' own, computed from the same numbers:

- only when ``order_totals`` matches its sources (the freshness fingerprint) and every completed order has lines
  (the tools' base counts completed orders without lines in ``frequency``; the totals have no row for them);
- only for order-level windows (dates, channel): a category filter needs the lines, and its text is left alone.

Anything else runs exactly as the tools wrote it.

What several sections read of one window is computed once and kept on the engine (a temporary table, built the
first time a statement asks for it): a date's RFM statistics (score cuts, thresholds: the RFM classes and the
customer types read them), the four customer types of a window (the type counts and each type's largest buyers
read the same classification, RFM scores included) and the tiers' revenue order (the Pareto curve and the big
customers read the same sort). The statements read those rows instead of their own CTEs, with the tools' own SQL
computing them, and only when the statement's text and every parameter value (its scope's too) are the ones the
rows were built with.

The pass holds every customer in scope (with their signup date), not only the buyers, so the customer types of
either date are classed over the pass alone: the tool's join of every customer to the classed buyers is left out
(``_typed_read``), its text otherwise unchanged.

The overview's periods are summed per customer in one more scan of the order totals (``_periods``): the overview
adds those sums up, and the profitability section reads its period's sales from them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from assistant.warehouse import derived
from assistant.warehouse.duckdb_engine import DuckDBEngine
from tools.base import CommonFilters, Scope, resolve_scope, used_params
from tools.customer_types import CustomerTypesArgs, classification
from tools.profitability import SALES
from tools.rfm import customer_base_cte, population_scope, rfm_stats_cte
from tools.tiers import tier_cum_cte

# The tools' base CTEs: (name, money_only, materialized) as rfm_ctes and tiers build them; every combination is
# tried, so a tool that changes its flags still finds its text (or runs unchanged).
BASE_NAMES = ("rfm_base", "tier_base")
_COUNTER = itertools.count()
# A customer's revenue in the pass: the tools' sum(amount) is DECIMAL(38, 2) (16 bytes); read into 8 (18 digits,
# always enough in practice) the tiers' sort and the RFM quantiles take about a quarter less. Same values; the wide
# type is the fallback when a sum does not fit.
NARROW_MONEY, WIDE_MONEY = "DECIMAL(18, 2)", "DECIMAL(38, 2)"
CACHED_ROWS = 10_000  # results up to this many rows are kept for a repeated statement (copying more costs)


@dataclass(frozen=True)
class Window:
    """One window of the review: completed orders from ``start`` (None: all history) to ``end``, seen at ``as_of``."""

    start: dt.date | None
    end: dt.date
    as_of: dt.date
    # What several statements read of this window, kept on the engine once built (see _kept_swaps): "scores" (the
    # RFM score cuts and thresholds), "types" (the four customer types, with their RFM scores), "tiers" (the
    # customers in revenue order). Not part of equality: a window is its dates.
    keep: frozenset[str] = field(default=frozenset(), compare=False)
    # Only the revenue of this window is read (the tiers): the pass leaves out its first and last order.
    money_only: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Span:
    """A period of the overview: completed orders dated ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date


# The overview's figures, as the metric layer defines them (tools/tables/metrics.yaml) over the completed order lines
# of a period; from the pass they are sums of per-customer sums of the order totals. A customer is new in a period
# when their first completed order ever falls in it (the metric's first order up to the period's end is the same).
OVERVIEW_METRICS = ("revenue", "gross_profit", "orders", "avg_order_value", "customers", "new_customers")


@dataclass
class _Swap:
    """A tool's CTE text and what it becomes on this engine: a read of the pass, or of rows kept on the engine."""

    text: str
    replacement: str
    must: dict[str, Any]  # the parameter values the text must run with for the replacement to stand in for it
    table: str | None = None  # kept rows the replacement reads: built by ``build`` the first time it is needed
    build: str = ""
    build_params: dict[str, Any] = field(default_factory=dict)
    built: bool = False
    needs: tuple[str, ...] = ()  # other kept tables the replacement (or the build) reads: built before it runs

    def applies(self, sql: str, params: Mapping[str, Any]) -> bool:
        # Every value, also those the text does not name (a region read by f_customers before it): the same text
        # in another scope is another set of customers.
        return self.text in sql and all(n in params and params[n] == v for n, v in self.must.items())


def _freeze(params: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, repr(v)) for k, v in (params or {}).items()))


class ReviewEngine(DuckDBEngine):
    """A DuckDB connection for one review: tool statements read the shared pass; repeated statements run once."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(con)
        self.table: str | None = None
        self.spans: list[Span] = []
        self.windows: list[Window] = []
        self._first_ever = ""  # the pass's column of each customer's first order (overview: who is new)
        self._scope: tuple[str, str, dict[str, Any]] = ("TRUE", "", {})  # the pass's customers: where, join, params
        self._swaps: list[_Swap] = []  # longest text first: a text holding another is swapped whole
        self._fresh: dict[str, bool] = {}  # derived tables' freshness, checked once per review
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[list[str], list[list[Any]]]] = {}

    # -- the shared pass ---------------------------------------------------------------------------------------
    def prepare(self, filters: Mapping[str, Any], windows: Sequence[Window], spans: Sequence[Span] = ()) -> bool:
        """Compute the pass for the customers in ``filters`` (the review's scope), these windows and the overview's
        periods (``spans``, read by ``overview``).

        Returns False (and changes nothing) when the totals cannot stand in for the lines; the tools then run
        as they are.
        """
        if not self._usable():
            return False
        scopes = [
            population_scope(self.con, _Args(**filters, start=w.start, end=w.end, as_of=w.as_of))[0] for w in windows
        ]
        if any("f_category" in s.params for s in scopes):
            return False
        customer_params = [{k: v for k, v in s.params.items() if k not in ("f_start", "f_end")} for s in scopes]
        if any(p != customer_params[0] for p in customer_params):
            return False  # one pass is one set of customers
        self.table = f"review_pass_{next(_COUNTER)}"
        cols: list[str] = []
        # Every window and period ends by ``bound``, so the pass reads the orders up to it, and a window of all
        # history up to it needs no condition of its own: a filtered aggregate costs DuckDB about twice a plain one.
        bound = max([min(s.as_of, s.end) for s in scopes] + [sp.end for sp in spans])
        params: dict[str, Any] = {**customer_params[0], "bound": bound}
        self._first_ever = ""
        for k, (w, s) in enumerate(zip(windows, scopes, strict=True)):
            # The tool's own window condition, its parameters renamed per window ($f_end → $w0_end).
            cond = f"l.order_date <= $w{k}_as_of AND " + re.sub(
                r"\$f_(start|end|channel)\b", rf"$w{k}_\1", s.line_where
            )
            plain = s.line_where == "l.order_date <= $f_end" and min(s.as_of, s.end) == bound
            if not plain:
                params[f"w{k}_as_of"] = s.as_of
                params.update(
                    {f"w{k}_{n[2:]}": v for n, v in s.params.items() if n in ("f_start", "f_end", "f_channel")}
                )
            where = "" if plain else f" FILTER (WHERE {cond})"
            if not w.money_only:
                cols += [f"min(l.order_date){where} AS first_{k}", f"max(l.order_date){where} AS last_{k}"]
                if plain and not self._first_ever:
                    self._first_ever = f"first_{k}"  # the first order up to the bound: first ever for the periods
            cols += [
                f"count(*){where} AS frequency_{k}",
                f"CAST(sum(l.revenue){where} AS <money>) AS monetary_{k}",
            ]
        if spans and not self._first_ever:
            self._first_ever = "first_ever"  # whether a customer is new in a period (overview)
            cols.append("min(l.order_date) AS first_ever")
        self.spans = list(spans)
        self.windows = list(windows)
        s0 = scopes[0]
        in_scope = "" if s0.customer_where == "TRUE" else " AND l.customer_id IN (SELECT customer_id FROM f_customers)"
        # Every customer in scope is a row, with their signup date, bought or not (a full join: a buyer missing from
        # the customers table stays, as in the tools' base): the customer types read the pass alone instead of
        # joining every customer again per window (_typed_read).
        sql = (
            f"CREATE TEMP TABLE {self.table} AS WITH f_customers AS (SELECT c.* FROM customers c WHERE {s0.customer_where}), "
            f"agg AS (SELECT l.customer_id, {', '.join(cols)} FROM {derived.ORDER_TOTALS} l "
            f"WHERE l.status = 'completed' AND l.order_date <= $bound{in_scope} GROUP BY l.customer_id) "
            "SELECT coalesce(a.customer_id, c.customer_id) AS customer_id, c.signup_date, a.* EXCLUDE (customer_id) "
            "FROM agg a FULL JOIN (SELECT customer_id, signup_date FROM f_customers) c ON c.customer_id = a.customer_id"
        )
        try:
            self.con.execute(sql.replace("<money>", NARROW_MONEY), used_params(sql, params))
        except duckdb.ConversionException:  # a customer's sum beyond 16 digits: the sum's own type
            self.con.execute(sql.replace("<money>", WIDE_MONEY), used_params(sql, params))
        self._scope = (s0.customer_where, in_scope, dict(customer_params[0]))
        if spans:
            self._periods(filters)
        for k, (w, s) in enumerate(zip(windows, scopes, strict=True)):
            self._swaps += self._window_swaps(k, w, s) + self._kept_swaps(k, w, s, filters)
        self._swaps.sort(key=lambda sw: -len(sw.text))
        return True

    def _periods(self, filters: Mapping[str, Any]) -> None:
        """Each customer's completed orders in each overview period: revenue, margin, orders and lines without cost,
        exact sums of the order totals, one scan for all periods (an order counts in each period it falls in). The
        overview sums them; the profitability section reads a period's sales from them (``SALES`` swapped)."""
        customer_where, in_scope, params = self._scope
        params = dict(params)
        values = []
        for j, span in enumerate(self.spans):
            params.update({f"s{j}_start": span.start, f"s{j}_end": span.end})
            values.append(f"({j}, $s{j}_start, $s{j}_end)")
        sql = (
            f"CREATE TEMP TABLE {self.table}_periods AS "
            f"WITH f_customers AS (SELECT c.* FROM customers c WHERE {customer_where}) "
            "SELECT s.j, l.customer_id, sum(l.revenue) AS revenue, sum(l.margin) AS margin, count(*) AS orders, "
            "sum(l.lines_without_cost) AS lines_without_cost "
            f"FROM {derived.ORDER_TOTALS} l JOIN (VALUES {', '.join(values)}) s(j, s_start, s_end) "
            f"ON l.order_date BETWEEN s.s_start AND s.s_end WHERE l.status = 'completed'{in_scope} "
            "GROUP BY s.j, l.customer_id"
        )
        self.con.execute(sql, used_params(sql, params))
        for j, span in enumerate(self.spans):
            # profitability's sales over the period: its own text (the order values of its scope, then SALES).
            scope = resolve_scope(self, _Args(**filters, start=span.start, end=span.end, as_of=span.end))
            read = (
                "sales AS (SELECT customer_id, CAST(revenue AS DOUBLE) AS revenue, "
                "CAST(revenue - margin AS DOUBLE) AS cogs, lines_without_cost "
                f"FROM {self.table}_periods WHERE j = {j})"
            )
            self._swaps.append(_Swap(f"{scope.order_values_cte(self)},\n{SALES}", read, dict(scope.params)))

    def overview(self) -> tuple[str, list[dict[str, Any] | None]]:
        """The overview's figures for each period given to ``prepare`` (OVERVIEW_METRICS) and the statement: sums of
        the customers' period sums (``_periods``), one row per customer and period so the buyers are a count, and
        the pass for who is new. A period with lines whose product has no cost gets None: the metric leaves those
        lines out of gross profit, the totals' margin counts them at cost 0, so the caller asks the metric layer.

        The same figures as ``metric_query`` (tests/report/test_shared_pass.py compares them): exact decimal sums of
        the same amounts, orders counted once each (one row per order), the average as the metric divides.
        """
        if self.table is None or not self.spans:
            return "", []
        params: dict[str, Any] = {}
        cols = []
        for j, span in enumerate(self.spans):
            params.update({f"s{j}_start": span.start, f"s{j}_end": span.end})
            w = f"FILTER (WHERE p.j = {j})"
            cols += [
                f"coalesce(sum(p.revenue) {w}, 0) AS revenue_{j}",
                f"coalesce(sum(p.margin) {w}, 0) AS gross_profit_{j}",
                f"CAST(coalesce(sum(p.orders) {w}, 0) AS BIGINT) AS orders_{j}",
                f"sum(p.revenue) {w} / CAST(sum(p.orders) {w} AS BIGINT) AS avg_order_value_{j}",
                f"count(*) {w} AS customers_{j}",  # one row per customer and period: its buyers
                f"(SELECT count(*) FROM {self.table} WHERE {self._first_ever} BETWEEN $s{j}_start AND $s{j}_end) "
                f"AS new_customers_{j}",
                f"coalesce(sum(p.lines_without_cost) {w}, 0) AS lines_without_cost_{j}",
            ]
        sql = f"SELECT {', '.join(cols)} FROM {self.table}_periods p"
        names, vals = self.rows(sql, used_params(sql, params))
        row = dict(zip(names, vals[0], strict=True))
        out: list[dict[str, Any] | None] = []
        for j in range(len(self.spans)):
            if row[f"lines_without_cost_{j}"]:
                out.append(None)
            else:
                out.append({m: row[f"{m}_{j}"] for m in OVERVIEW_METRICS})
        return sql, out

    def _all_history(self, end: dt.date) -> int | None:
        """The pass's window of all history up to ``end`` (seen at ``end``) with its last orders, if there is one."""
        return next(
            (k for k, w in enumerate(self.windows) if w.start is None and w.as_of == w.end == end and not w.money_only),
            None,
        )

    def last_and_revenue(
        self, ids: Sequence[str], window: Window, limit: int
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """``metric_query(metrics=[days_since_last_order, revenue], by=[customer], customer_ids=ids)`` over ``window``
        (its rows, in its order and up to its ``limit``), from the pass: each customer's last completed order up to
        the window's end (the all-history window ending there) and revenue in the window. None when the pass has
        no such windows. The same rows as the metric layer's (tests/report/test_shared_pass.py compares them).
        """
        if self.table is None:
            return None
        k_all = self._all_history(window.end)
        k_win = next((k for k, w in enumerate(self.windows) if w == window), None)
        if k_all is None or k_win is None:
            return None
        customer_where, _, params = self._scope
        sql = (
            f"WITH f_customers AS (SELECT c.* FROM customers c WHERE {customer_where}) "
            f"SELECT c.customer_id AS customer, c.name AS customer_name, "
            f"date_diff('day', p.last_{k_all}, $end) AS days_since_last_order, "
            f"coalesce(p.monetary_{k_win}, 0) AS revenue "
            f"FROM f_customers c LEFT JOIN {self.table} p ON p.customer_id = c.customer_id "
            "WHERE list_contains($ids, c.customer_id) "
            # The metric layer's order: its first metric first (NULLs last, DuckDB's default), then the key.
            "ORDER BY days_since_last_order DESC, customer ASC, customer_name ASC LIMIT $limit"
        )
        all_params = {**params, "end": window.end, "ids": [str(i) for i in ids], "limit": limit}
        names, rows = self.rows(sql, used_params(sql, all_params))
        return sql, [dict(zip(names, r, strict=True)) for r in rows]

    def _usable(self) -> bool:
        if not self.derived_fresh(derived.ORDER_TOTALS):
            return False
        # The totals hold only orders with lines; the tools' frequency counts every completed order.
        orders, totals = self.con.execute(
            "SELECT (SELECT count(*) FROM orders WHERE status = 'completed'), "
            f"(SELECT count(*) FROM {derived.ORDER_TOTALS} WHERE status = 'completed')"
        ).fetchone()
        return bool(orders == totals)

    def _window_swaps(self, k: int, window: Window, scope: Scope) -> list[_Swap]:
        out = []
        must = {"as_of": scope.as_of, **scope.params}
        money = (True,) if window.money_only else (False, True)
        for name, money_only, materialized in itertools.product(BASE_NAMES, money, (False, True)):
            text = customer_base_cte(scope, name, money_only=money_only, materialized=materialized)
            out.append(_Swap(text, self._base_read(k, name, money_only, materialized), must))
        return out

    def _base_read(self, k: int, name: str, money_only: bool, materialized: bool) -> str:
        """The base CTE ``name`` of window ``k`` read from the pass: the same columns and rows as the tools' own."""
        cols = (
            f"monetary_{k} AS monetary"
            if money_only
            else f"first_{k} AS first_order, last_{k} AS last_order, frequency_{k} AS frequency, monetary_{k} AS monetary"
        )
        mat = "MATERIALIZED " if materialized else ""
        return f"{name} AS {mat}(SELECT customer_id, {cols} FROM {self.table} WHERE frequency_{k} > 0)"

    def _kept_swaps(self, k: int, window: Window, scope: Scope, filters: Mapping[str, Any]) -> list[_Swap]:
        """The swaps of what ``window.keep`` names: the tools' own CTE text (with its parameter values) for each
        variant the tools write, read from a table that the same text, over the pass, fills once."""
        out: list[_Swap | None] = []
        if "scores" in window.keep:
            # The RFM statistics (score cuts, thresholds) of the window, read by rfm and by customer_types: one row.
            base = customer_base_cte(scope, "rfm_base", materialized=True)
            text = f"{base},\n{rfm_stats_cte('mean')}"
            params = {"as_of": scope.as_of, **scope.params, "r_fixed": None, "f_fixed": None, "m_fixed": None}
            table = f"{self.table}_scores_{k}"
            build = f"WITH {scope.ctes()},\n{text}\nSELECT * FROM rfm_stats"
            read = f"{self._base_read(k, 'rfm_base', False, True)},\nrfm_stats AS (SELECT * FROM {table})"
            out.append(_kept(text, read, params, table, build))
        text, params = classification(scope, CustomerTypesArgs(**filters, as_of=window.as_of))
        # The classification over the pass alone reads the window's kept statistics: only where they are kept.
        scores = f"{self.table}_scores_{k}"
        typed = self._typed_read(k, scope, text) if any(sw and sw.table == scores for sw in out) else None
        needs = (scores,) if typed else ()
        if "types" in window.keep:
            # customer_types' statements read ct_typed alone; its top-per-type cut writes it MATERIALIZED.
            table = f"{self.table}_types_{k}"
            build = f"WITH {scope.ctes()},\n{typed or text}\nSELECT * FROM ct_typed"
            for variant in (text, _mat(text, "MATERIALIZED ")):
                sw = _kept(variant, f"ct_typed AS (SELECT * FROM {table})", params, table, build)
                if sw is not None:
                    sw.needs = needs
                out.append(sw)
        elif typed:
            # Read once (the type counts of an earlier date): the classification over the pass, in the statement.
            # Only on the values compared: every parameter the text reads is one of the classification's.
            if set(re.findall(r"\$(\w+)", text)) <= params.keys():
                for mat in ("", "MATERIALIZED "):
                    out.append(_Swap(_mat(text, mat), _mat(typed, mat), dict(params), needs=needs))
        if "tiers" in window.keep:
            # tiers' statements read tier_cum (and what follows from it); the rank is kept for both variants.
            base = customer_base_cte(scope, "tier_base", money_only=True)
            params = {"as_of": scope.as_of, **scope.params}
            table = f"{self.table}_tiers_{k}"
            build = f"WITH {scope.ctes()},\n{base},\n{tier_cum_cte(True)}\nSELECT * FROM tier_cum"
            for with_rank in (False, True):
                text = f"{base},\n{tier_cum_cte(with_rank)}"
                out.append(_kept(text, f"tier_cum AS (SELECT * FROM {table})", params, table, build))
        return [sw for sw in out if sw is not None]

    def _typed_read(self, k: int, scope: Scope, text: str) -> str | None:
        """customer_types' classification ``text`` (ending in ct_typed) of window ``k`` read from the pass alone, or
        None when the text is not the one expected (the tool then runs its own).

        The tool joins every customer in scope to the classed buyers (a LEFT JOIN of all customers, about a fifth
        of a second at 1M customers, once per date). The pass already holds every customer in scope with their
        signup date (NULL for a buyer missing from the customers table), so the buyers are classed over all its
        rows: a customer without orders in the window has NULL first and last order, frequency and monetary,
        hence NULL scores, exactly the NULLs the tool's outer join gives them, and ``bought`` is whether the
        window has orders. The statistics are the window's kept row (the same tool text computed them).
        """
        ct_from = (
            "FROM f_customers c LEFT JOIN rfm_classed r ON r.customer_id = c.customer_id\n"
            "    WHERE c.signup_date <= $as_of OR r.customer_id IS NOT NULL"
        )
        subs = (
            (
                customer_base_cte(scope, "rfm_base", materialized=True),
                f"rfm_base AS MATERIALIZED (SELECT customer_id, signup_date, first_{k} AS first_order, "
                f"last_{k} AS last_order, nullif(frequency_{k}, 0) AS frequency, monetary_{k} AS monetary "
                f"FROM {self.table})",
            ),
            (rfm_stats_cte("mean"), f"rfm_stats AS (SELECT * FROM {self.table}_scores_{k})"),
            ("SELECT b.customer_id, b.first_order,", "SELECT b.customer_id, b.signup_date, b.first_order,"),
            ("r.customer_id IS NOT NULL AS bought", "r.frequency IS NOT NULL AS bought"),
            # A customer of the scope (a signup date) who signed up by then or bought in the window.
            (
                ct_from,
                "FROM rfm_classed r\n    WHERE r.signup_date <= $as_of OR (r.frequency IS NOT NULL AND r.signup_date IS NOT NULL)",
            ),
        )
        for old, new in subs:
            if text.count(old) != 1:
                return None
            text = text.replace(old, new)
        head, sep, rest = text.partition("\nct AS (")
        body, sep2, tail = rest.partition("\nct_typed AS (")
        if not sep or not sep2:
            return None
        return head + sep + re.sub(r"\bc\.", "r.", body) + sep2 + tail

    def close_pass(self) -> None:
        for sw in self._swaps:
            if sw.built and sw.table:
                self.con.execute(f"DROP TABLE IF EXISTS {sw.table}")
                sw.built = False
        if self.table:
            self.con.execute(f"DROP TABLE IF EXISTS {self.table}_periods")
            self.con.execute(f"DROP TABLE IF EXISTS {self.table}")
            self.table = None
        self._fresh.clear()
        self.spans = []
        self.windows = []
        self._swaps.clear()
        self._cache.clear()

    # -- the Engine methods the tools call ---------------------------------------------------------------------
    def _rewrite(self, sql: str, params: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
        return self._swapped(sql, params, None)

    def _swapped(self, sql: str, params: Mapping[str, Any] | None, building: str | None) -> tuple[str, dict[str, Any]]:
        """``sql`` with every swap that applies (but those of the table being built), and the parameters it reads."""
        p = dict(params or {})
        for sw in self._swaps:
            if (building is None or sw.table != building) and sw.applies(sql, p):
                for table in sw.needs:
                    self._build_table(table)
                if sw.table is not None and not sw.built:
                    self._build(sw)
                sql = sql.replace(sw.text, sw.replacement)
        return sql, used_params(sql, p)

    def _build_table(self, table: str) -> None:
        sw = next(sw for sw in self._swaps if sw.table == table)
        if not sw.built:
            self._build(sw)

    def _build(self, sw: _Swap) -> None:
        """Fill the table of kept rows: the tools' own text, itself reading the pass (the shorter swaps)."""
        for table in sw.needs:
            self._build_table(table)
        sql, params = self._swapped(sw.build, sw.build_params, sw.table)
        self.con.execute(f"CREATE TEMP TABLE {sw.table} AS {sql}", params)
        for other in self._swaps:  # the variants of the same text read the same rows
            if other.table == sw.table:
                other.built = True

    def derived_fresh(self, name: str) -> bool:
        # Checked once per review: the warehouse does not change under one report, and each check reads the sources.
        if name not in self._fresh:
            self._fresh[name] = super().derived_fresh(name)
        return self._fresh[name]

    def rows(
        self, sql: str, params: Mapping[str, Any] | None = None, *, tree: Any = None
    ) -> tuple[list[str], list[list[Any]]]:
        key = (sql, _freeze(params))
        if key not in self._cache:
            cols, rows = super().rows(*self._rewrite(sql, params))
            if len(rows) > CACHED_ROWS:  # a long list (the action section's customers) is read once: not kept
                return cols, rows
            self._cache[key] = (cols, rows)
        cols, rows = self._cache[key]
        return list(cols), [list(r) for r in rows]  # copies: a caller may edit what it gets

    def arrow(self, sql: str, params: Mapping[str, Any] | None = None, *, tree: Any = None) -> Any:
        return super().arrow(*self._rewrite(sql, params))

    def numpy(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        return super().numpy(*self._rewrite(sql, params))


def _mat(text: str, mat: str) -> str:
    """The classification text with ct_typed written ``mat`` (customer_types' top-per-type cut materialises it)."""
    return text.replace("ct_typed AS (", f"ct_typed AS {mat}(")


def _kept(text: str, replacement: str, params: dict[str, Any], table: str, build: str) -> _Swap | None:
    """A swap to kept rows; None when the text reads a parameter whose value is not known here, so nothing is ever
    swapped on a value that was not compared."""
    if not set(re.findall(r"\$(\w+)", text)) <= params.keys():
        return None
    return _Swap(text, replacement, dict(params), table, build, params)


class _Args(CommonFilters):
    """The common filters alone: what population_scope reads to resolve a window's scope."""
