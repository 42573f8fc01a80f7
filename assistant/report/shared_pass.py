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
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from assistant.warehouse import derived
from assistant.warehouse.duckdb_engine import DuckDBEngine
from tools.base import CommonFilters, Scope, used_params
from tools.rfm import customer_base_cte, population_scope

# The tools' base CTEs: (name, money_only, materialized) as rfm_ctes and tiers build them; every combination is
# tried, so a tool that changes its flags still finds its text (or runs unchanged).
BASE_NAMES = ("rfm_base", "tier_base")
_COUNTER = itertools.count()
CACHED_ROWS = 10_000  # results up to this many rows are kept for a repeated statement (copying more costs)


@dataclass(frozen=True)
class Window:
    """One window of the review: completed orders from ``start`` (None: all history) to ``end``, seen at ``as_of``."""

    start: dt.date | None
    end: dt.date
    as_of: dt.date


@dataclass(frozen=True)
class Span:
    """A period of the overview: completed orders dated ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date


# The overview's figures, as the metric layer defines them (tools/tables/metrics.yaml) over the completed order lines
# of a period; from the pass they are sums of per-customer sums of the order totals. A customer is new in a period
# when their first completed order ever falls in it (the metric's first order up to the period's end is the same).
OVERVIEW_METRICS = ("revenue", "gross_profit", "orders", "avg_order_value", "customers", "new_customers")


def _freeze(params: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, repr(v)) for k, v in (params or {}).items()))


class ReviewEngine(DuckDBEngine):
    """A DuckDB connection for one review: tool statements read the shared pass; repeated statements run once."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(con)
        self.table: str | None = None
        self.spans: list[Span] = []
        self.windows: list[Window] = []
        self._scope: tuple[str, str, dict[str, Any]] = ("TRUE", "", {})  # the pass's customers: where, join, params
        self._swaps: list[tuple[str, str, dict[str, Any]]] = []  # (tool text, replacement, params it must carry)
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
        params: dict[str, Any] = dict(customer_params[0])
        for k, s in enumerate(scopes):
            # The tool's own window condition, its parameters renamed per window ($f_end → $w0_end).
            cond = f"l.order_date <= $w{k}_as_of AND " + re.sub(
                r"\$f_(start|end|channel)\b", rf"$w{k}_\1", s.line_where
            )
            params[f"w{k}_as_of"] = s.as_of
            params.update({f"w{k}_{n[2:]}": v for n, v in s.params.items() if n in ("f_start", "f_end", "f_channel")})
            cols += [
                f"min(l.order_date) FILTER (WHERE {cond}) AS first_{k}",
                f"max(l.order_date) FILTER (WHERE {cond}) AS last_{k}",
                f"count(*) FILTER (WHERE {cond}) AS frequency_{k}",
                f"sum(l.revenue) FILTER (WHERE {cond}) AS monetary_{k}",
            ]
        if spans:
            cols.append("min(l.order_date) AS first_ever")  # whether a customer is new in a period (overview)
        self.spans = list(spans)
        self.windows = list(windows)
        s0 = scopes[0]
        in_scope = "" if s0.customer_where == "TRUE" else " AND l.customer_id IN (SELECT customer_id FROM f_customers)"
        sql = (
            f"CREATE TEMP TABLE {self.table} AS WITH f_customers AS (SELECT c.* FROM customers c WHERE {s0.customer_where}) "
            f"SELECT l.customer_id, {', '.join(cols)} FROM {derived.ORDER_TOTALS} l "
            f"WHERE l.status = 'completed'{in_scope} GROUP BY l.customer_id"
        )
        self.con.execute(sql, used_params(sql, params))
        self._scope = (s0.customer_where, in_scope, dict(customer_params[0]))
        for k, s in enumerate(scopes):
            self._swaps += self._window_swaps(k, s)
        return True

    def overview(self) -> tuple[str, list[dict[str, Any] | None]]:
        """The overview's figures for each period given to ``prepare`` (OVERVIEW_METRICS) and the statement: one
        read of the periods' order totals, and the pass for who is new. A period with lines whose product has no
        cost gets None: the metric leaves those lines out of gross profit, the totals' margin counts them at cost 0,
        so the caller asks the metric layer.

        The same figures as ``metric_query`` (tests/report/test_shared_pass.py compares them): exact decimal sums of
        the same amounts, orders counted once each (one row per order), the average as the metric divides.
        """
        if self.table is None or not self.spans:
            return "", []
        customer_where, in_scope, params = self._scope
        params = dict(params)
        cols, any_span = [], []
        for j, span in enumerate(self.spans):
            params.update({f"s{j}_start": span.start, f"s{j}_end": span.end})
            cond = f"l.order_date BETWEEN $s{j}_start AND $s{j}_end"
            any_span.append(cond)
            cols += [
                f"coalesce(sum(l.revenue) FILTER (WHERE {cond}), 0) AS revenue_{j}",
                f"coalesce(sum(l.margin) FILTER (WHERE {cond}), 0) AS gross_profit_{j}",
                f"count(*) FILTER (WHERE {cond}) AS orders_{j}",
                f"sum(l.revenue) FILTER (WHERE {cond}) / nullif(count(*) FILTER (WHERE {cond}), 0) AS avg_order_value_{j}",
                f"count(DISTINCT l.customer_id) FILTER (WHERE {cond}) AS customers_{j}",
                f"(SELECT count(*) FROM {self.table} WHERE first_ever BETWEEN $s{j}_start AND $s{j}_end) AS new_customers_{j}",
                f"coalesce(sum(l.lines_without_cost) FILTER (WHERE {cond}), 0) AS lines_without_cost_{j}",
            ]
        sql = (
            f"WITH f_customers AS (SELECT c.* FROM customers c WHERE {customer_where}) "
            f"SELECT {', '.join(cols)} FROM {derived.ORDER_TOTALS} l "
            f"WHERE l.status = 'completed'{in_scope} AND ({' OR '.join(any_span)})"
        )
        names, vals = self.rows(sql, used_params(sql, params))
        row = dict(zip(names, vals[0], strict=True))
        out: list[dict[str, Any] | None] = []
        for j in range(len(self.spans)):
            if row[f"lines_without_cost_{j}"]:
                out.append(None)
            else:
                out.append({m: row[f"{m}_{j}"] for m in OVERVIEW_METRICS})
        return sql, out

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
        k_all = next(
            (k for k, w in enumerate(self.windows) if w.start is None and w.as_of == w.end == window.end), None
        )
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
        if not derived.order_totals_fresh(self.con):
            return False
        # The totals hold only orders with lines; the tools' frequency counts every completed order.
        orders, totals = self.con.execute(
            "SELECT (SELECT count(*) FROM orders WHERE status = 'completed'), "
            f"(SELECT count(*) FROM {derived.ORDER_TOTALS} WHERE status = 'completed')"
        ).fetchone()
        return bool(orders == totals)

    def _window_swaps(self, k: int, scope: Scope) -> list[tuple[str, str, dict[str, Any]]]:
        out = []
        must = {"as_of": scope.as_of, **scope.params}
        for name, money_only, materialized in itertools.product(BASE_NAMES, (False, True), (False, True)):
            text = customer_base_cte(scope, name, money_only=money_only, materialized=materialized)
            cols = (
                f"monetary_{k} AS monetary"
                if money_only
                else f"first_{k} AS first_order, last_{k} AS last_order, frequency_{k} AS frequency, monetary_{k} AS monetary"
            )
            mat = "MATERIALIZED " if materialized else ""
            swap = f"{name} AS {mat}(SELECT customer_id, {cols} FROM {self.table} WHERE frequency_{k} > 0)"
            out.append((text, swap, must))
        return out

    def close_pass(self) -> None:
        if self.table:
            self.con.execute(f"DROP TABLE IF EXISTS {self.table}")
            self.table = None
        self.spans = []
        self.windows = []
        self._swaps.clear()
        self._cache.clear()

    # -- the Engine methods the tools call ---------------------------------------------------------------------
    def _rewrite(self, sql: str, params: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
        p = dict(params or {})
        for text, swap, must in self._swaps:
            if text in sql and all(p.get(n) == v for n, v in must.items() if f"${n}" in text or n == "as_of"):
                sql = sql.replace(text, swap)
        return sql, used_params(sql, p)

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


class _Args(CommonFilters):
    """The common filters alone: what population_scope reads to resolve a window's scope."""
