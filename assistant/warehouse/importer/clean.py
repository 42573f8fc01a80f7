"""Cleaning rules as SQL expressions over text: ids, numbers, dates. Each rule is listed in docs/data.md.

Everything is computed by DuckDB over the staged text, so a file of any size streams through.
A value that cannot be converted becomes NULL here and is rejected (with its reason) by validate.py.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.core.errors import InputError

# Dates: year first (2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日), optionally with a time.
_TIME = r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?"
P_YMD = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME + r"\s*$"
# Day and month first (05/01/2024): needs an order, declared or inferred from the column.
P_XXY = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _TIME + r"\s*$"
P_COMPACT = r"^(\d{4})(\d{2})(\d{2})$"  # 20240105
P_MONTH = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$"  # 2024-01, 2024年1月 (first day of the month)
P_SERIAL = r"^(\d{5})(\.\d+)?$"  # Excel serial day number, 10000..99999 = 1927..2173
FORMULA = r"^[=+\-@]"  # cells that spreadsheet programs would run as formulas
FORMULA_MARKS = ("=", "+", "-", "@")  # the same, as first characters

DATE_HELP = (
    "日期,如 2024-01-05、2024/1/5、2024年1月5日 或 Excel 日期序号",
    "a date such as 2024-01-05, 2024/1/5, 2024年1月5日 or an Excel serial",
)


def txt(col: str) -> str:
    """Trimmed text; empty becomes NULL."""
    return f"nullif(trim({col}), '')"


def ident(col: str) -> str:
    """Ids: trimmed, and a float id such as 17850.0 becomes 17850."""
    t = txt(col)
    # The regular expression only for ids with a dot: most have none, and it is the costly part at 10M rows.
    return f"(CASE WHEN contains({t}, '.') THEN regexp_replace({t}, '^(-?\\d+)\\.0+$', '\\1') ELSE {t} END)"


_LETS = iter(range(1 << 62))


def let(value: str, body: Callable[[str], str]) -> str:
    """``body`` applied to ``value`` computed once, evaluated only for the rows that reach it.

    A lambda over a one-element list. Written out, a rule that names a subexpression twice (the general number and
    date rules do) has it hoisted by DuckDB's common-subexpression pass into a projection run for every value, the
    ones a shortcut already converted included: at 10M lines the general number rule then cost six times the
    shortcut. A lambda's body is not hoisted, and inside coalesce or CASE it runs only where it is reached.
    """
    v = f"_v{next(_LETS)}"
    return f"list_transform([{value}], lambda {v}: {body(v)})[1]"


def _number_rule(v: str) -> str:
    """The general number rule; each step is computed once (``let``), the regular expressions being the cost."""
    stripped = (
        f"regexp_replace(regexp_replace(trim({v}), '^(RMB|CNY|USD|HKD|EUR|GBP)\\s*|\\s*(RMB|CNY|USD|HKD|EUR|GBP|元)$"
        f"|[¥￥$€£\\s]', '', 'gi'), '^\\((.*)\\)$', '-\\1')"
    )

    def plain(s: str) -> str:  # thousands separators out
        return (
            f"(CASE WHEN regexp_matches({s}, '^[-+]?\\d{{1,3}}([,，]\\d{{3}})+(\\.\\d+)?%?$') "
            f"THEN regexp_replace({s}, '[,，]', '', 'g') ELSE {s} END)"
        )

    def value(s: str) -> str:  # a percent sign scales
        core = f"rtrim({s}, '%')"
        val = f"coalesce(TRY_CAST({core} AS DECIMAL(38,10)), TRY_CAST(TRY_CAST({core} AS DOUBLE) AS DECIMAL(38,10)))"
        # Written twice, evaluated once: each CASE branch runs only for its rows, coalesce only as far as needed.
        return f"(CASE WHEN ends_with({s}, '%') THEN TRY_CAST({val} * 0.01 AS DECIMAL(38,10)) ELSE {val} END)"

    return let(stripped, lambda s: let(plain(s), value))


def number(col: str) -> str:
    """A DECIMAL(38,10) from text with currency signs, thousands separators, (negatives) or a percent sign."""
    # Fast path: most cells are plain numbers; the regular expressions run only for the rest.
    return f"coalesce(TRY_CAST(trim({col}) AS DECIMAL(38,10)), {let(col, _number_rule)})"


def decimal(col: str, sql_type: str) -> str:
    """``number`` cast to the column's DECIMAL type, with a fast path for plain numbers.

    ``number`` gives a DECIMAL(38,10), whose cast to the column type is a 128-bit rescale per value (at 10M lines
    it cost more than all the other conversions together). A plain number below 10^8 reads as DECIMAL(18,10) with
    the same rounding to ten places, and its rescale is 64-bit; anything else takes the general rule.
    tests/importer/test_fast_paths.py checks both ways agree.
    """
    fast = f"TRY_CAST(TRY_CAST({col} AS DECIMAL(18,10)) AS {sql_type})"
    return f"coalesce({fast}, TRY_CAST({number(col)} AS {sql_type}))"


def integer(col: str, *, fast: bool = True) -> str:
    """A whole number from text (the general number rule, when its value is whole and fits an INTEGER).

    Fast path: plain digits with an optional sign, read as they are. On the untrimmed text: text with spaces around
    takes the general rule (trimmed there, the same value), and the trim is not computed for every value (written
    twice it would be, for the fast path's test and cast). ``fast=False`` leaves it out (the tests compare).
    """
    slow = let(number(col), lambda v: f"(CASE WHEN {v} = round({v}) THEN TRY_CAST({v} AS INTEGER) END)")
    if not fast:
        return slow
    return f"(CASE WHEN regexp_matches({col}, '^[-+]?\\d{{1,9}}$') THEN TRY_CAST({col} AS INTEGER) ELSE {slow} END)"


def _grp(col: str, pat: str, i: int, kind: str = "BIGINT") -> str:
    return f"TRY_CAST(regexp_extract({col}, '{pat}', {i}) AS {kind})"


def _groups(col: str, pat: str, n: int) -> str:
    """A pattern's first n groups from one match, as a struct g1..gn (a group that did not take part is '')."""
    names = ", ".join(f"'g{i}'" for i in range(1, n + 1))
    return f"regexp_extract({col}, '{pat}', [{names}])"


def _mk(col: str, pat: str, y: int, m: int, d: int, t0: int | None) -> str:
    """The timestamp from a pattern's groups (year, month, day and the time's first group), matched once."""

    def g(i: int, kind: str = "BIGINT") -> str:
        return f"TRY_CAST(_g.g{i} AS {kind})"

    def build(grp: str) -> str:
        hms = "0, 0, 0"
        if t0 is not None:
            hms = f"coalesce({g(t0)}, 0), coalesce({g(t0 + 1)}, 0), coalesce({g(t0 + 2, 'DOUBLE')}, 0)"
        return f"try(make_timestamp({g(y)}, {g(m)}, {g(d)}, {hms}))".replace("_g.", f"{grp}.")

    return let(_groups(col, pat, max(y, m, d, (t0 or 0) + 2)), build)


# The common day-and-month-first shapes (12/1/2010 8:26), parsed by strptime: ~25× cheaper than the general
# rules. strptime alone is laxer than they are (it reads 8:5, two-digit years, spaces), so only text of exactly
# this shape takes the fast path, where both give the same timestamp; anything else goes the general way.
STRICT_XXY = r"^\d{1,2}/\d{1,2}/\d{4}(?: \d{1,2}:\d{2}(?::\d{2})?)?$"
XXY_FORMATS = {  # tried in order: the most common shape first
    "mdy": ("%m/%d/%Y %H:%M", "%m/%d/%Y", "%m/%d/%Y %H:%M:%S"),
    "dmy": ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%Y %H:%M:%S"),
}
# The same for year first with slashes (2024/1/5 10:00), what Chinese spreadsheets write.
STRICT_YMD = r"^\d{4}/\d{1,2}/\d{1,2}(?: \d{1,2}:\d{2}(?::\d{2})?)?$"
YMD_FORMATS = ("%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")


ISO = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"  # what TRY_CAST reads as it is meant


def _strptime(s: str, strict: str, formats: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{f}'" for f in formats)
    return f"(CASE WHEN regexp_matches({s}, '{strict}') THEN try_strptime({s}, [{listed}]) END)"


def timestamp(col: str, order: str | None, *, fast: bool = True) -> str:
    """A TIMESTAMP from any accepted date or date-time text; ``order`` ('dmy'/'mdy') for 05/01/2024 forms.

    ``fast=False`` leaves out the strptime shortcuts (the tests compare both ways).
    """
    shortcuts = []
    if fast:
        # On the untrimmed text: the strict shapes admit no surrounding spaces, so padded text goes the general
        # way (trimmed there) and the common case saves a copy of every value.
        if order in XXY_FORMATS:  # the shapes exclude one another; a known order means the file holds this one
            shortcuts.append(_strptime(col, STRICT_XXY, XXY_FORMATS[order]))
        shortcuts.append(_strptime(col, STRICT_YMD, YMD_FORMATS))

    def trimmed(v: str) -> str:  # ISO text (read by the cast), then the general rules
        iso = f"(CASE WHEN regexp_matches({v}, '{ISO}') THEN TRY_CAST({v} AS TIMESTAMP) END)"
        return f"coalesce({iso}, {_general_date(v, order)})"

    # The trim once, inside let: written twice (the ISO test and cast) it was computed for every value.
    return f"coalesce({', '.join([*shortcuts, let(f'trim({col})', trimmed)])})"


def _general_date(s: str, order: str | None) -> str:
    """The general date rules over trimmed text ``s`` (see ``timestamp``)."""
    xxy = "NULL"
    if order == "dmy":
        xxy = _mk(s, P_XXY, 3, 2, 1, 4)
    elif order == "mdy":
        xxy = _mk(s, P_XXY, 3, 1, 2, 4)
    serial = f"TRY_CAST({s} AS DOUBLE)"
    return (
        f"CASE WHEN regexp_matches({s}, '{P_YMD}') THEN {_mk(s, P_YMD, 1, 2, 3, 4)} "
        f"WHEN regexp_matches({s}, '{P_XXY}') THEN {xxy} "
        f"WHEN regexp_matches({s}, '{P_COMPACT}') THEN {_mk(s, P_COMPACT, 1, 2, 3, None)} "
        f"WHEN regexp_matches({s}, '{P_MONTH}') THEN try(make_timestamp({_grp(s, P_MONTH, 1)}, {_grp(s, P_MONTH, 2)}, 1, 0, 0, 0)) "
        f"WHEN regexp_matches({s}, '{P_SERIAL}') THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round({serial} * 86400000000) AS BIGINT)) "
        f"END"
    )


def infer_date_order(
    con: object, relation: str, col: str, declared: str | None, source: str, header: str, fast: str | None = None
) -> str | None:
    """The day/month order of a column's 05/01/2024-style values: declared, or read off values above 12.

    Raises when the column holds such values, nothing was declared and every value is ambiguous. ``fast``: the
    same values without row numbers, quicker to read (a file read in place); ``relation``'s _row then gives the
    example of the error alone.
    """
    if declared is not None:
        return declared  # 'ymd': such values are rejected row by row as not dates; no need to read the column
    s = f"trim({col})"
    matching = f"(SELECT {s} AS s, _row FROM {relation}) WHERE regexp_matches(s, '{P_XXY}')"
    row = con.execute(  # type: ignore[attr-defined]
        f"SELECT count(*), max(TRY_CAST(g.g1 AS BIGINT)), max(TRY_CAST(g.g2 AS BIGINT)) "
        f"FROM (SELECT s, {_groups('s', P_XXY, 2)} AS g FROM "
        + (f"(SELECT {s} AS s FROM {fast}) WHERE regexp_matches(s, '{P_XXY}'))" if fast else f"{matching})")
    ).fetchone()
    n, first, second = row
    if not n:
        return declared
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    example = con.execute(f"SELECT arg_min(s, _row) FROM {matching}").fetchone()[0]  # type: ignore[attr-defined]
    raise InputError(
        f"{source} 列 {header}:日期 {example} 无法判断是 日/月/年 还是 月/日/年。请用 --date-order dmy 或 --date-order mdy 指定。",
        f"{source} column {header}: the date {example} could be day/month/year or month/day/year. "
        "Pass --date-order dmy or --date-order mdy.",
        value=example,
    )
