"""The cleaning rules' shortcuts (strptime for the common date shapes, ids without a dot) give exactly what the
general rules give, on ordinary values and on the edge cases where strptime alone is laxer."""

from __future__ import annotations

import duckdb
import pytest

from assistant.warehouse.importer import clean

DATES = [
    "12/1/2010 8:26",
    "12/01/2010 08:26",
    "1/2/2024",
    "12/1/2010 8:26:59",
    "12/1/2010 8:26:60",
    "12/1/2010 8:5",  # strptime reads it; the rules do not
    "12/1/10 8:26",  # a two-digit year
    "2/30/2024 1:00",
    "12/1/2010 24:00",
    "12/1/2010 23:59",
    "13/1/2010",
    "0/1/2010",
    " 12/1/2010 8:26 ",
    "\t12/1/2010 8:26",
    "2024/1/5 ",
    "12/1/2010  8:26",
    "12-1-2010 8:26",
    "2024/1/5",
    "2024/01/05 10:00",
    "2024/1/5 7:03:09",
    "2024/2/30",
    "2024/1/5 10:0",
    "2024-01-05 10:00:00",
    "2024年1月5日",
    "20240105",
    "45000",
    "",
    None,
]


@pytest.mark.parametrize("order", ["mdy", "dmy", None])
def test_date_shortcuts_agree_with_the_rules(order: str | None) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, d VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(DATES)))
    fast, general = (
        con.execute(f"SELECT i, {clean.timestamp('d', order, fast=f)} FROM t ORDER BY i").fetchall()
        for f in (True, False)
    )
    assert fast == general
    # The shortcut is really taken for the everyday shape (and reads it right).
    got = dict(fast)
    assert str(got[0]) == ("2010-12-01 08:26:00" if order == "mdy" else "2010-01-12 08:26:00" if order else "None")


def test_ids_with_and_without_a_dot() -> None:
    con = duckdb.connect()
    values = ["17850.0", "17850.00", "-3.0", "17850.5", "A.0", "C0001", " 42 ", "", None, "1.0.0"]
    got = [con.execute(f"SELECT {clean.ident('$v')}", {"v": v}).fetchone()[0] for v in values]
    assert got == ["17850", "17850", "-3", "17850.5", "A.0", "C0001", "42", None, None, "1.0.0"]


NUMBERS = [
    "1.005",
    "-1.005",
    "2.675",
    "0.01",
    "1.00499999999",  # more than ten decimals: rounded to ten first by both ways
    "1.004999999999999",
    "99999999.995",  # the largest the fast path reads
    "100000000.005",  # beyond it: the general rule
    "12345678901234.56",
    "99999999999999999.99",  # too large for DECIMAL(18,2): NULL both ways
    " 3 ",
    "\t3",
    "+2.5",
    ".5",
    "5.",
    "1e3",
    "1_000",
    "1,234.50",
    "(12.30)",
    "¥900",
    "12%",
    "0.00%",
    "-0",
    "abc",
    "",
    None,
]


@pytest.mark.parametrize("sql_type", ["DECIMAL(18,2)", "DECIMAL(5,4)"])
def test_decimal_shortcut_agrees_with_the_rule(sql_type: str) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(NUMBERS)))
    fast, general = (
        con.execute(f"SELECT i, {e} FROM t ORDER BY i").fetchall()
        for e in (clean.decimal("v", sql_type), f"TRY_CAST({clean.number('v')} AS {sql_type})")
    )
    assert fast == general
    if sql_type == "DECIMAL(18,2)":
        got = dict(fast)
        assert (str(got[0]), str(got[6]), got[9]) == ("1.01", "100000000.00", None)


TEXTS = ["", " ", "\t", "  \n", "a", " a ", "17850.0", "-1.00", "1.5", ".0", "0.0", "1.", "x.0", "０", None]


def test_text_is_null_exactly_when_blank() -> None:
    # validate.typed_and_checked tests a text column for a missing value by NULL alone and never for a failed
    # conversion: both rules below must give NULL exactly for blank or absent text.
    con = duckdb.connect()
    for rule in (clean.txt, clean.ident):
        got = con.execute(
            f"SELECT x, {rule('x')} IS NULL, nullif(trim(x), '') IS NULL FROM (SELECT unnest(?) AS x)", [TEXTS]
        ).fetchall()
        assert all(is_null == blank for _, is_null, blank in got), got


# The general number rule, by hand: currency words and signs, thousands separators (also full-width), negatives in
# parentheses, percent; a whole number for an integer column only when it is one (and fits).
GENERAL_NUMBERS = [
    ("1,234.50", "1234.5000000000", None),
    ("(12.30)", "-12.3000000000", None),
    ("¥900", "900.0000000000", 900),
    ("￥1,000", "1000.0000000000", 1000),
    ("RMB 5", "5.0000000000", 5),
    ("5元", "5.0000000000", 5),
    ("USD 1,234,567.891", "1234567.8910000000", None),
    ("€ 3,5", "None", None),
    ("12%", "0.1200000000", None),
    ("-12.5%", "-0.1250000000", None),
    ("1，000", "1000.0000000000", 1000),
    ("( 4 )", "-4.0000000000", -4),
    ("$12.00", "12.0000000000", 12),
    ("1e3", "1000.0000000000", 1000),
    ("abc", "None", None),
    ("3.000", "3.0000000000", 3),
    ("3.0001", "3.0001000000", None),
    ("2147483648", "2147483648.0000000000", None),
]


def test_general_number_rule_by_hand() -> None:
    # The rule's steps are each computed once (clean.let) so that values the shortcut converts never reach it;
    # the values are the ones the rule gave before.
    con = duckdb.connect()
    got = [
        (
            v,
            str(con.execute(f"SELECT {clean.number('$v')}", {"v": v}).fetchone()[0]),
            con.execute(f"SELECT {clean.integer('$v')}", {"v": v}).fetchone()[0],
        )
        for v, _, _ in GENERAL_NUMBERS
    ]
    assert got == GENERAL_NUMBERS


def test_let_computes_once_and_only_where_reached() -> None:
    con = duckdb.connect()
    both = clean.let("'ab'", lambda v: v + " || upper(" + v + ")")
    assert con.execute("SELECT " + both).fetchone() == ("abAB",)
    # Inside coalesce it is not evaluated for a row the first argument answers (error() would raise).
    fails = clean.let("x", lambda v: "error(" + v + ")")
    sql = "SELECT coalesce(x, " + fails + ") FROM (SELECT unnest(['a', 'b']) AS x)"
    assert con.execute(sql).fetchall() == [("a",), ("b",)]


INTEGERS = [
    *NUMBERS,
    *TEXTS,
    "1",
    " 1",
    "1 ",
    "\u00a012\u3000",  # spaces of other kinds, trimmed by the general rule
    "+7",
    " -7 ",
    "007",
    "-0",
    "999999999",
    " 999999999 ",
    "1000000000",
    "2147483648",
    " 2.000 ",
    "1 2",
    "--1",
    "１２",
]


def test_integer_shortcut_agrees_with_the_rule() -> None:
    """Plain digits are read as they are; anything else (spaces around included) by the general rule."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(INTEGERS)))
    fast, general = (
        con.execute(f"SELECT i, {clean.integer('v', fast=f)} FROM t ORDER BY i").fetchall() for f in (True, False)
    )
    assert fast == general
    got = {INTEGERS[i]: n for i, n in fast}
    assert (got[" 1"], got["\u00a012\u3000"], got[" -7 "], got["007"], got["1000000000"], got[" 2.000 "]) == (
        1,
        12,
        -7,
        7,
        1000000000,
        2,
    )
    assert (got["2147483648"], got["--1"], got["1 2"]) == (None, None, 12)  # the general rule drops inner spaces
