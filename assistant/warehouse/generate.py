"""The deterministic sample warehouse: a Chinese B2B/B2C seller of office and IT products.

Customers are generated in fixed-size chunks, each with its own random stream
seeded by ``(seed, chunk)``, so the same seed and size always give identical
tables. Everything is vectorised with numpy; DuckDB turns integer codes into
ids, names and dates and computes amounts, so 1,000,000 customers fit in
bounded memory.

Behaviour built in (see docs/data.md): heavy-tailed value, seasonality, new
customers arriving over time, churn with some customers coming back, returns
and cancellations, late and unpaid invoices, surveys that fall with
complaints, tickets with resolution times (some still open), and contacts by
several departments, sometimes in the same week.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from assistant.core.errors import InputError
from assistant.warehouse import derived
from assistant.warehouse import vocab as V
from assistant.warehouse.db import create_tables, table_counts

CHUNK_CUSTOMERS = 50_000  # fixed: part of what makes a seed reproducible
MEAN_LINES_PER_ORDER = 2.5
# Month multipliers, Jan..Dec: Spring Festival dip, 618 and Double 11 peaks, year-end budgets.
SEASON = np.array([0.95, 0.6, 1.0, 1.0, 1.0, 1.15, 0.95, 0.9, 1.05, 1.0, 1.3, 1.25])
DISCOUNTS = np.array([0.0, 0.05, 0.10, 0.15, 0.20])
# discount probabilities per size (个人, 微型, 小型, 中型, 大型)
DISCOUNT_P = np.array(
    [
        [0.80, 0.15, 0.05, 0.00, 0.00],
        [0.70, 0.20, 0.10, 0.00, 0.00],
        [0.55, 0.25, 0.15, 0.05, 0.00],
        [0.40, 0.30, 0.20, 0.08, 0.02],
        [0.25, 0.30, 0.25, 0.15, 0.05],
    ]
)
CONTACT_RATE = np.array([0.4, 1.0, 2.0, 4.0, 8.0])  # contact events per year, by size


@dataclass(frozen=True)
class GenerateOptions:
    customers: int = 2_000
    seed: int = 42
    start: dt.date = dt.date(2024, 1, 1)
    end: dt.date = dt.date(2026, 10, 31)
    lines_per_customer: float = 25.0

    def validate(self) -> None:
        if self.customers < 10:
            raise InputError("客户数至少为 10。", "--customers must be at least 10.")
        if (self.end - self.start).days < 180:
            raise InputError(
                "历史区间至少需要 180 天(--start 与 --end)。",
                "The history (--start to --end) must span at least 180 days.",
            )
        if self.lines_per_customer < 1:
            raise InputError("每客户订单行数至少为 1。", "--lines-per-customer must be at least 1.")


def parse_date(text: str, what: str = "date") -> dt.date:
    """Parse YYYY-MM-DD (also YYYY/M/D) for command-line options."""
    m = re.fullmatch(r"\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})\s*", text)
    try:
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        pass
    raise InputError(
        f"{what} 的日期 {text!r} 无效,请用 YYYY-MM-DD 格式。", f"{what}: {text!r} is not a valid date; use YYYY-MM-DD."
    )


def _cdf_rows(weights: list[list[float]]) -> np.ndarray:
    """Row-wise CDFs of ragged weight lists, padded with 1.0 (so padding is never chosen)."""
    width = max(len(w) for w in weights)
    out = np.ones((len(weights), width))
    for i, w in enumerate(weights):
        c = np.cumsum(np.asarray(w, dtype=float))
        out[i, : len(w)] = c / c[-1]
    return out


def _pick_rows(rng: np.random.Generator, cdf: np.ndarray, row: np.ndarray) -> np.ndarray:
    """For each item i, sample a column index from the distribution cdf[row[i]]."""
    u = rng.random(len(row))
    return (u[:, None] > cdf[row]).sum(axis=1)


class _Static:
    """Reps, products and lookup tables: fixed by the seed, shared by every chunk."""

    def __init__(self, opts: GenerateOptions) -> None:
        rng = np.random.default_rng([opts.seed, 1_000_001])
        self.regions = list(V.REGIONS)
        self.region_p = np.array([V.REGIONS[r][1] for r in self.regions])
        self.region_p /= self.region_p.sum()
        self.cities = [c for r in self.regions for c in V.REGIONS[r][2]]
        self.city_offset = np.cumsum([0] + [len(V.REGIONS[r][2]) for r in self.regions])[:-1]
        self.city_cdf = _cdf_rows([list(V.REGIONS[r][2].values()) for r in self.regions])

        # Reps: 20–40, every region has at least two.
        n_reps = int(np.clip(round(opts.customers / 60), 20, 40))
        counts = np.maximum(2, np.round(self.region_p * n_reps).astype(int))
        while counts.sum() > n_reps:
            counts[np.argmax(counts)] -= 1
        while counts.sum() < n_reps:
            counts[np.argmax(self.region_p - counts / counts.sum())] += 1
        self.rep_region = np.repeat(np.arange(len(self.regions)), counts)
        self.rep_offset = np.cumsum(np.r_[0, counts])[:-1]
        self.rep_count = counts
        names: list[str] = list(V.FIXED_REP_NAMES[:n_reps])
        while len(names) < n_reps:
            cand = rng.choice(V.SURNAMES[:40]) + "".join(rng.choice(V.GIVEN_CHARS, rng.integers(1, 3)))
            if cand not in names:
                names.append(cand)
        order = rng.permutation(n_reps)  # fixed names land in random regions
        self.rep_names = [names[i] for i in order]
        local = np.concatenate([np.arange(c) for c in counts])
        self.rep_team = [
            f"{self.regions[r]}{'一二三四'[i // 4]}组" for r, i in zip(self.rep_region, local, strict=True)
        ]
        span = (opts.end - opts.start).days
        self.rep_hire = rng.integers(-6 * 365, span - 180, n_reps)

        # Products: 60–150 in 8 categories, cost below price, popularity Zipf-like inside a category.
        self.categories = list(V.CATEGORIES)
        prod_cat, prod_name, price, cost, launch, weight = [], [], [], [], [], []
        self.fallback = np.zeros(len(self.categories), dtype=np.int64)
        cat_cdf_rows = []
        n_per_cat = rng.integers(8, 18, len(self.categories))
        for ci, cat in enumerate(self.categories):
            _, (lo, hi), _, bases = V.CATEGORIES[cat]
            k = int(n_per_cat[ci])
            first = len(prod_cat)
            w = 1.0 / np.arange(1, k + 1) ** 1.1
            for j in range(k):
                base = bases[j % len(bases)]
                model = f"{'ABCDEFGHJKMNPRSTX'[rng.integers(0, 17)]}{rng.integers(1, 99) * 10}"
                prod_cat.append(ci)
                prod_name.append(f"{base} {model}")
                p = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
                price.append(round(p, 2))
                cost.append(round(p * rng.uniform(0.45, 0.8), 2))
                # The most popular product of each category predates the history, the rest mostly do.
                launch.append(
                    -int(rng.integers(30, 1500)) if j == 0 or rng.random() < 0.8 else int(rng.integers(0, span - 90))
                )
                weight.append(w[j])
            self.fallback[ci] = first
            cat_cdf_rows.append(list(w))
        self.prod_cat = np.array(prod_cat)
        self.prod_name = prod_name
        self.prod_price = np.array(price)
        self.prod_cost = np.array(cost)
        self.prod_launch = np.array(launch)
        self.prod_weight = np.array(weight)
        self.cat_first = np.array([self.fallback[c] for c in range(len(self.categories))])
        self.prod_in_cat_cdf = _cdf_rows(cat_cdf_rows)
        self.cat_qty = np.array([V.CATEGORIES[c][2] for c in self.categories])
        # Industries lean towards some categories: each industry (and consumers) gets its own mix.
        self.industries = [*V.INDUSTRIES, V.CONSUMER_INDUSTRY]
        mix = rng.dirichlet(np.full(len(self.categories), 0.7), len(self.industries)) * 0.6 + 0.4 / len(self.categories)
        self.ind_cat_cdf = _cdf_rows(mix.tolist())
        self.ind_p = np.array([V.INDUSTRIES[i][1] for i in V.INDUSTRIES])
        self.ind_p /= self.ind_p.sum()
        self.sizes = list(V.SIZES)
        self.size_spend = np.array([V.SIZES[s][2] for s in self.sizes])
        self.size_rate = np.array([V.SIZES[s][3] for s in self.sizes])
        comp_p = np.array([V.SIZES[s][1] for s in self.sizes[1:]])
        self.company_size_p = comp_p / comp_p.sum()
        self.person_share = V.SIZES["个人"][1]
        self.acq = list(V.ACQUISITION_CHANNELS)
        self.acq_p = np.array([V.ACQUISITION_CHANNELS[a][1] for a in self.acq])
        self.acq_p /= self.acq_p.sum()
        self.channels = list(V.SALES_CHANNELS)
        self.acq_pref_channel = np.array([self.channels.index(V.ACQUISITION_CHANNELS[a][3]) for a in self.acq])
        self.ticket_kinds = list(V.TICKET_CATEGORIES)
        self.ticket_cats = [c for k in self.ticket_kinds for c in V.TICKET_CATEGORIES[k]]
        self.ticket_dept_of_cat = [V.TICKET_CATEGORIES[k][c] for k in self.ticket_kinds for c in V.TICKET_CATEGORIES[k]]
        self.ticket_cat_offset = np.cumsum([0] + [len(V.TICKET_CATEGORIES[k]) for k in self.ticket_kinds])[:-1]
        self.ticket_cat_count = np.array([len(V.TICKET_CATEGORIES[k]) for k in self.ticket_kinds])
        self.departments = list(V.CONTACT_PURPOSES)
        self.all_departments = sorted(set(self.departments) | set(self.ticket_dept_of_cat))
        self.purposes = [p for d in self.departments for p in V.CONTACT_PURPOSES[d]]
        self.purpose_offset = np.cumsum([0] + [len(V.CONTACT_PURPOSES[d]) for d in self.departments])[:-1]
        self.purpose_count = np.array([len(V.CONTACT_PURPOSES[d]) for d in self.departments])
        self.comments = [c for k in ("good", "mid", "bad") for c in V.SURVEY_COMMENTS[k]]
        self.comment_offset = np.array(
            [0, len(V.SURVEY_COMMENTS["good"]), len(V.SURVEY_COMMENTS["good"]) + len(V.SURVEY_COMMENTS["mid"])]
        )
        self.comment_count = np.array([len(V.SURVEY_COMMENTS[k]) for k in ("good", "mid", "bad")])


def generate(path: str | Path, opts: GenerateOptions | None = None) -> dict[str, int]:
    """Build the sample warehouse at ``path`` (replacing it atomically); returns row counts per table."""
    opts = opts or GenerateOptions()
    opts.validate()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET preserve_insertion_order = false")
        create_tables(con)
        st = _Static(opts)
        _write_static(con, st, opts)
        order_seq = 0
        for chunk, lo in enumerate(range(0, opts.customers, CHUNK_CUSTOMERS)):
            hi = min(opts.customers, lo + CHUNK_CUSTOMERS)
            order_seq = _chunk(con, st, opts, chunk, lo, hi, order_seq)
        _dedupe_names(con)
        _marketing(con, st, opts)
        derived.build(con)
        counts = table_counts(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, path)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    return counts


def _id_width(n: int) -> int:
    return max(6, len(str(n)))


def _write_static(con: duckdb.DuckDBPyConnection, st: _Static, opts: GenerateOptions) -> None:
    reps = pd.DataFrame(
        {
            "i": np.arange(len(st.rep_names)),
            "name": st.rep_names,
            "region": [st.regions[r] for r in st.rep_region],
            "team": st.rep_team,
            "hire": st.rep_hire.astype(np.int32),
        }
    )
    con.register("g_reps", reps)
    con.execute(
        "INSERT INTO sales_reps SELECT printf('R%03d', i + 1), name, region, team, $start + hire FROM g_reps",
        {"start": opts.start},
    )
    con.unregister("g_reps")
    prods = pd.DataFrame(
        {
            "i": np.arange(len(st.prod_name)),
            "name": st.prod_name,
            "category": [st.categories[c] for c in st.prod_cat],
            "price": st.prod_price,
            "cost": st.prod_cost,
            "launch": st.prod_launch.astype(np.int32),
        }
    )
    con.register("g_prods", prods)
    con.execute(
        "INSERT INTO products SELECT printf('P%04d', i + 1), name, category, price, cost, $start + launch FROM g_prods",
        {"start": opts.start},
    )
    con.unregister("g_prods")


def _chunk(
    con: duckdb.DuckDBPyConnection, st: _Static, opts: GenerateOptions, chunk: int, lo: int, hi: int, order_seq: int
) -> int:
    rng = np.random.default_rng([opts.seed, chunk])
    n = hi - lo
    span = (opts.end - opts.start).days  # day offsets run 0..span
    width = _id_width(opts.customers)

    # --- customers -------------------------------------------------------------------------
    is_person = rng.random(n) < st.person_share
    size = np.where(is_person, 0, 1 + rng.choice(len(st.company_size_p), n, p=st.company_size_p))
    region = rng.choice(len(st.regions), n, p=st.region_p)
    city = st.city_offset[region] + _pick_rows(rng, st.city_cdf, region)
    industry = np.where(is_person, len(st.industries) - 1, rng.choice(len(st.ind_p), n, p=st.ind_p))
    acq = rng.choice(len(st.acq), n, p=st.acq_p)
    existing = rng.random(n) < 0.3
    signup = np.where(existing, -rng.integers(30, 1000, n), ((span - 45) * rng.random(n) ** 0.8).astype(int))
    rep = st.rep_offset[region] + (rng.random(n) * st.rep_count[region]).astype(int)
    spend = rng.lognormal(0.0, 0.8, n) * st.size_spend[size]
    rate = rng.gamma(0.9, 1.0, n) * st.size_rate[size]
    sat = rng.normal(0.0, 1.0, n)
    pay = rng.choice(3, n, p=[0.70, 0.22, 0.08])  # punctual, late, bad payer

    # Activity windows: from first purchase to churn, and for some a comeback after a gap.
    first = np.maximum(signup, 0) + rng.integers(0, 40, n)
    churn = first + rng.exponential(900.0, n)
    w1_end = np.minimum(churn, span)
    len1 = np.clip(w1_end - first, 0, None)
    comeback = (churn < span) & (rng.random(n) < 0.15)
    w2_start = churn + rng.uniform(90, 300, n)
    w2_end = np.minimum(w2_start + rng.exponential(400.0, n), span)
    len2 = np.where(comeback, np.clip(w2_end - w2_start, 0, None), 0.0)
    active_years = (len1 + len2) / 365.0
    last_active = np.where(len2 > 0, w2_end, w1_end)

    # --- orders ----------------------------------------------------------------------------
    target_orders = opts.lines_per_customer / MEAN_LINES_PER_ORDER
    scale = target_orders * n / max(float((rate * active_years).sum()), 1e-9)
    lam = scale * rate * active_years * SEASON.max() / SEASON.mean()
    n_cand = rng.poisson(lam)
    cust = np.repeat(np.arange(n), n_cand)
    pos = rng.random(len(cust)) * (len1 + len2)[cust]
    day = np.where(pos < len1[cust], first[cust] + pos, w2_start[cust] + pos - len1[cust]).astype(np.int64)
    day = np.clip(day, 0, span)
    month = (
        pd.DatetimeIndex(pd.Timestamp(opts.start) + pd.to_timedelta(np.arange(span + 1), unit="D")).month.to_numpy() - 1
    )
    keep = rng.random(len(cust)) < SEASON[month[day]] / SEASON.max()
    cust, day = cust[keep], day[keep]
    # Most sign-ups buy at least once; the rest stay prospects who never ordered.
    buyer = (np.bincount(cust, minlength=n) == 0) & (first <= span) & (rng.random(n) < 0.92)
    cust = np.concatenate([cust, np.flatnonzero(buyer)])
    day = np.concatenate([day, first[buyer]])
    order_idx = np.lexsort((day, cust))
    cust, day = cust[order_idx], day[order_idx]
    n_orders = len(cust)
    seq = order_seq + np.arange(n_orders)
    channel = np.where(
        rng.random(n_orders) < 0.75, st.acq_pref_channel[acq[cust]], rng.integers(0, len(st.channels), n_orders)
    )
    p_return = 0.03 * np.exp(-0.4 * sat[cust])
    u = rng.random(n_orders)
    status = np.where(u < p_return, 1, np.where(u < p_return + 0.035, 2, 0))  # completed, returned, cancelled
    order_rep = np.where(rng.random(n_orders) < 0.95, rep[cust], rng.integers(0, len(st.rep_names), n_orders))

    # --- order lines -----------------------------------------------------------------------
    k = 1 + rng.poisson(MEAN_LINES_PER_ORDER - 1, n_orders)
    l_order = np.repeat(np.arange(n_orders), k)
    starts = np.cumsum(np.r_[0, k])[:-1]
    line_no = np.arange(len(l_order)) - np.repeat(starts, k) + 1
    l_cust = cust[l_order]
    l_day = day[l_order]
    cat = _pick_rows(rng, st.ind_cat_cdf, industry[l_cust])
    prod = st.cat_first[cat] + _pick_rows(rng, st.prod_in_cat_cdf, cat)
    not_yet = st.prod_launch[prod] > l_day
    prod = np.where(not_yet, st.fallback[cat], prod)
    qty_mean = np.maximum(spend[l_cust] * st.cat_qty[cat] * 1.2 - 1, 0)
    quantity = 1 + rng.poisson(qty_mean)
    price = np.round(st.prod_price[prod] * (1 + 0.03 * l_day / 365) * (1 + rng.normal(0, 0.02, len(prod))), 2)
    disc = DISCOUNTS[_pick_rows(rng, np.cumsum(DISCOUNT_P, axis=1), size[l_cust])]

    # --- invoices (completed orders) -------------------------------------------------------
    inv_o = np.flatnonzero(status == 0)
    inv_c = cust[inv_o]
    issue = day[inv_o] + rng.integers(0, 4, len(inv_o))
    terms = np.where(size[inv_c] >= 3, 60, 30)
    due = issue + terms
    pc = pay[inv_c]
    paid = np.select(
        [size[inv_c] == 0, pc == 0, pc == 1],
        [issue, issue + (rng.random(len(inv_o)) * terms).astype(int), due + rng.integers(1, 61, len(inv_o))],
        default=np.where(rng.random(len(inv_o)) < 0.4, -1, due + rng.integers(30, 181, len(inv_o))),
    )
    paid = np.where((paid < 0) | (paid > span), -1, paid)

    # --- tickets ---------------------------------------------------------------------------
    t_n = rng.poisson(0.8 * active_years * np.exp(-0.6 * sat) * np.sqrt(st.size_rate[size]))
    t_c = np.repeat(np.arange(n), t_n)
    t_lo, t_hi = first[t_c], np.minimum(last_active[t_c] + 60, span)
    t_day = (t_lo + rng.random(len(t_c)) * np.maximum(t_hi - t_lo, 0)).astype(np.int64)
    t_sec = t_day * 86400 + rng.integers(8 * 3600, 20 * 3600, len(t_c))
    p_complaint = np.clip(0.35 * np.exp(-0.5 * sat[t_c]), 0.1, 0.8)
    u = rng.random(len(t_c))
    kind = np.where(u < p_complaint, 0, np.where(u < p_complaint + (1 - p_complaint) * 0.75, 1, 2))
    t_cat = st.ticket_cat_offset[kind] + (rng.random(len(t_c)) * st.ticket_cat_count[kind]).astype(int)
    hours = rng.lognormal(np.log(np.array([36.0, 6.0, 60.0])[kind]), np.array([1.0, 0.9, 0.8])[kind])
    res_sec = t_sec + (hours * 3600).astype(np.int64)
    stuck = (kind == 0) & (t_day > span - 120) & (rng.random(len(t_c)) < 0.08)
    is_open = (res_sec >= (span + 1) * 86400) | stuck
    t_prod = np.where(
        rng.random(len(t_c)) < 0.6,
        rng.choice(len(st.prod_weight), len(t_c), p=st.prod_weight / st.prod_weight.sum()),
        -1,
    )
    t_channel = rng.integers(0, len(V.TICKET_CHANNELS), len(t_c))
    complaints = np.bincount(t_c[kind == 0], minlength=n)

    # --- surveys ---------------------------------------------------------------------------
    has_orders = np.bincount(cust, minlength=n) > 0
    s_n = np.where(has_orders, rng.poisson(0.5 * active_years + 0.2), 0)
    s_c = np.repeat(np.arange(n), s_n)
    s_lo, s_hi = first[s_c], np.minimum(last_active[s_c] + 30, span)
    s_day = (s_lo + rng.random(len(s_c)) * np.maximum(s_hi - s_lo, 0)).astype(np.int64)
    cpl = np.minimum(complaints[s_c], 6)
    m = len(s_c)
    nps = np.clip(np.round(7.6 + 1.5 * sat[s_c] - 0.8 * cpl + rng.normal(0, 1.3, m)), 0, 10)
    csat = np.clip(np.round(3.9 + 0.6 * sat[s_c] - 0.35 * cpl + rng.normal(0, 0.7, m)), 1, 5)
    ces = np.clip(np.round(3.2 - 0.6 * sat[s_c] + 0.4 * cpl + rng.normal(0, 1.0, m)), 1, 7)
    band = np.where(nps >= 9, 0, np.where(nps >= 7, 1, 2))
    comment = np.where(
        rng.random(m) < 0.55, st.comment_offset[band] + (rng.random(m) * st.comment_count[band]).astype(int), -1
    )

    # --- interactions: contact events, each with 1–3 touches in the same week --------------
    e_n = rng.poisson(CONTACT_RATE[size] * active_years + 0.3)
    e_c = np.repeat(np.arange(n), e_n)
    e_day = (
        first[e_c] + rng.random(len(e_c)) * np.maximum(np.minimum(last_active[e_c] + 30, span) - first[e_c], 0)
    ).astype(np.int64)
    touches = 1 + rng.binomial(2, 0.2, len(e_c))
    i_c = np.repeat(e_c, touches)
    i_day = np.minimum(np.repeat(e_day, touches) + rng.integers(0, 5, len(i_c)), span)
    i_sec = i_day * 86400 + rng.integers(9 * 3600, 18 * 3600, len(i_c))
    dept_p = np.array([0.45, 0.25, 0.15, 0.08, 0.07])
    dept = rng.choice(len(st.departments), len(i_c), p=dept_p)
    dept = np.where((pay[i_c] == 2) & (rng.random(len(i_c)) < 0.3), st.departments.index("财务部"), dept)
    purpose = st.purpose_offset[dept] + (rng.random(len(i_c)) * st.purpose_count[dept]).astype(int)
    i_channel = rng.integers(0, len(V.CONTACT_CHANNELS), len(i_c))

    # --- names -----------------------------------------------------------------------------
    city_names = np.array(st.cities, dtype=object)[city]
    brand = np.array(V.BRAND_CHARS, dtype=object)
    b1 = brand[rng.integers(0, len(brand), n)]
    b2 = brand[rng.integers(0, len(brand), n)]
    words = np.array([V.INDUSTRIES[i][2][0] for i in V.INDUSTRIES] + [""], dtype=object)
    alt_words = np.array([V.INDUSTRIES[i][2][-1] for i in V.INDUSTRIES] + [""], dtype=object)
    word = np.where(rng.random(n) < 0.5, words[industry], alt_words[industry])
    suffix = np.array(V.COMPANY_SUFFIXES, dtype=object)[rng.integers(0, len(V.COMPANY_SUFFIXES), n)]
    company = city_names + b1 + b2 + word + suffix
    surname = np.array(V.SURNAMES, dtype=object)[rng.integers(0, len(V.SURNAMES), n)]
    given = np.array(V.GIVEN_CHARS, dtype=object)
    g1 = given[rng.integers(0, len(given), n)]
    g2 = np.where(rng.random(n) < 0.7, given[rng.integers(0, len(given), n)], "")
    name = np.where(is_person, surname + g1 + g2, company)

    # Credit limit: about a quarter of the customer's yearly purchases, in steps of 10,000, tighter for some;
    # consumers prepay (no limit).
    completed_line = status[l_order] == 0
    bought = np.bincount(l_cust[completed_line], weights=(quantity * price * (1 - disc))[completed_line], minlength=n)
    yearly = bought / np.maximum(active_years, 0.5)
    share = np.where(rng.random(n) < 0.15, 1 / 12, 1 / 4)
    limit = np.where(is_person, np.nan, np.maximum(10_000, np.round(yearly * share / 10_000) * 10_000))

    # --- write -------------------------------------------------------------------------------
    frames = {
        "g_c": pd.DataFrame(
            {
                "i": lo + np.arange(n),
                "name": name,
                "region": region,
                "city": city,
                "industry": industry,
                "size": size,
                "acq": acq,
                "signup": signup.astype(np.int32),
                "rep": rep,
                "lim": limit,
            }
        ),
        "g_o": pd.DataFrame(
            {"seq": seq, "c": lo + cust, "day": day.astype(np.int32), "ch": channel, "st": status, "rep": order_rep}
        ),
        "g_l": pd.DataFrame(
            {
                "seq": seq[l_order],
                "line": line_no.astype(np.int32),
                "prod": prod,
                "q": quantity.astype(np.int32),
                "price": price,
                "disc": disc,
            }
        ),
        "g_i": pd.DataFrame(
            {
                "seq": seq[inv_o],
                "c": lo + inv_c,
                "issue": issue.astype(np.int32),
                "due": due.astype(np.int32),
                "paid": paid.astype(np.int32),
            }
        ),
        "g_t": pd.DataFrame(
            {
                "j": np.arange(len(t_c)),
                "c": lo + t_c,
                "sec": t_sec,
                "res": res_sec,
                "open": is_open,
                "kind": kind,
                "cat": t_cat,
                "prod": t_prod,
                "ch": t_channel,
                "rep": rep[t_c],
            }
        ),
        "g_s": pd.DataFrame(
            {
                "c": lo + s_c,
                "day": s_day.astype(np.int32),
                "nps": nps,
                "csat": csat,
                "ces": ces,
                "j": np.arange(m),
                "n1": rng.integers(0, 20, m),
                "n2": rng.integers(0, 20, m),
                "n3": rng.integers(0, 20, m),
                "com": comment,
            }
        ),
        "g_x": pd.DataFrame(
            {
                "j": np.arange(len(i_c)),
                "c": lo + i_c,
                "sec": i_sec,
                "dept": dept,
                "ch": i_channel,
                "rep": rep[i_c],
                "purpose": purpose,
            }
        ),
    }
    for k_, df in frames.items():
        con.register(k_, df)
    p = {
        "start": opts.start,
        "regions": st.regions,
        "cities": st.cities,
        "industries": st.industries,
        "sizes": st.sizes,
        "acq": st.acq,
        "channels": st.channels,
    }
    cid = f"printf('C%0{width}d', c + 1)"
    con.execute(
        f"""INSERT INTO customers SELECT printf('C%0{width}d', i + 1), name, $regions[region + 1], $cities[city + 1],
            $industries[industry + 1], $sizes[size + 1], $acq[acq + 1], $start + signup, printf('R%03d', rep + 1), lim
            FROM g_c""",
        {k_: p[k_] for k_ in ("start", "regions", "cities", "industries", "sizes", "acq")},
    )
    con.execute(
        f"""INSERT INTO orders SELECT printf('SO%09d', seq + 1), {cid}, $start + day, $channels[ch + 1],
            ['completed', 'returned', 'cancelled'][st + 1], printf('R%03d', rep + 1) FROM g_o""",
        {"start": opts.start, "channels": st.channels},
    )
    con.execute(
        """INSERT INTO order_items
           SELECT printf('SO%09d', seq + 1), line, printf('P%04d', prod + 1), q, price::DECIMAL(18,2), disc::DECIMAL(5,4),
                  round(q * price::DECIMAL(18,2) * (1 - disc::DECIMAL(5,4)), 2)::DECIMAL(18,2)
           FROM g_l"""
    )
    con.execute(
        f"""INSERT INTO invoices
            SELECT printf('INV%09d', i.seq + 1), printf('SO%09d', i.seq + 1), {cid}, $start + issue, $start + due,
                   CASE WHEN paid >= 0 THEN $start + paid END, t.total
            FROM g_i i JOIN (SELECT seq, sum(round(q * price::DECIMAL(18,2) * (1 - disc::DECIMAL(5,4)), 2)::DECIMAL(18,2)) AS total
                             FROM g_l GROUP BY seq) t ON t.seq = i.seq""",
        {"start": opts.start},
    )
    con.execute(
        f"""INSERT INTO tickets
            SELECT printf('T%02d%07d', $chunk, j + 1), {cid}, $start::TIMESTAMP + to_seconds(sec),
                   CASE WHEN NOT open THEN $start::TIMESTAMP + to_seconds(res) END,
                   ['complaint', 'inquiry', 'suggestion'][kind + 1], $cats[cat + 1],
                   CASE WHEN prod >= 0 THEN printf('P%04d', prod + 1) END, $tch[ch + 1], $depts[cat + 1],
                   printf('R%03d', rep + 1), CASE WHEN open THEN 'open' ELSE 'resolved' END
            FROM g_t""",
        {
            "start": opts.start,
            "chunk": chunk,
            "cats": st.ticket_cats,
            "tch": list(V.TICKET_CHANNELS),
            "depts": st.ticket_dept_of_cat,
        },
    )
    con.execute(
        f"""INSERT INTO surveys
            SELECT printf('S%02d%07d', $chunk, j + 1), {cid}, $start + day,
                   CASE WHEN n1 > 0 THEN nps::INTEGER END, CASE WHEN n2 > 0 THEN csat::INTEGER END,
                   CASE WHEN n3 > 0 THEN ces::INTEGER END, CASE WHEN com >= 0 THEN $comments[com + 1] END
            FROM g_s""",
        {"start": opts.start, "chunk": chunk, "comments": st.comments},
    )
    con.execute(
        f"""INSERT INTO interactions
            SELECT printf('I%02d%08d', $chunk, j + 1), {cid}, $start::TIMESTAMP + to_seconds(sec),
                   $depts[dept + 1], $ich[ch + 1], CASE WHEN dept = 0 THEN printf('R%03d', rep + 1) END, $purposes[purpose + 1]
            FROM g_x""",
        {
            "start": opts.start,
            "chunk": chunk,
            "depts": st.departments,
            "ich": list(V.CONTACT_CHANNELS),
            "purposes": st.purposes,
        },
    )
    for k_ in frames:
        con.unregister(k_)
    return order_seq + n_orders


def _dedupe_names(con: duckdb.DuckDBPyConnection) -> None:
    # Company names are built from parts and can repeat; a lookup by name must find one customer.
    con.execute(
        """UPDATE customers SET name = d.name || '(' || d.rn || ')'
           FROM (SELECT customer_id, name, row_number() OVER (PARTITION BY name ORDER BY customer_id) AS rn
                 FROM customers) d
           WHERE customers.customer_id = d.customer_id AND d.rn > 1"""
    )


def _marketing(con: duckdb.DuckDBPyConnection, st: _Static, opts: GenerateOptions) -> None:
    """Monthly spend per acquisition channel: cost per acquired customer × sign-ups, with noise and a floor."""
    rng = np.random.default_rng([opts.seed, 2_000_002])
    months = pd.date_range(pd.Timestamp(opts.start).to_period("M").to_timestamp(), pd.Timestamp(opts.end), freq="MS")
    grid = pd.DataFrame([(m.date(), a) for m in months for a in st.acq], columns=["month", "channel"])
    grid["cac"] = [V.ACQUISITION_CHANNELS[a][2] for a in grid["channel"]]
    grid["noise"] = rng.lognormal(0.0, 0.15, len(grid))
    grid["floor"] = rng.uniform(3000, 8000, len(grid)).round(-2)
    con.register("g_m", grid)
    con.execute(
        """INSERT INTO marketing_spend
           SELECT g.month, g.channel, round(g.floor + coalesce(s.n, 0) * g.cac * g.noise, 2)::DECIMAL(18,2)
           FROM g_m g LEFT JOIN (SELECT date_trunc('month', signup_date)::DATE AS month, acquisition_channel AS channel,
                                        count(*) AS n FROM customers GROUP BY ALL) s
             ON s.month = g.month AND s.channel = g.channel
           ORDER BY g.month, g.channel"""
    )
    con.unregister("g_m")
