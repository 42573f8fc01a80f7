"""Reading files into staging tables of text: CSV (encoding and delimiter detection), Excel sheets, Parquet.

Every source becomes a staging view ``stg.raw_<n>`` with ``_row`` (the row number a person sees:
the header is row 1 in CSV and Excel; Parquet rows count from 1) and text columns ``c0..cN``.
CSV is streamed by DuckDB's own reader (never one pandas frame); rows it cannot parse (too few or
too many fields, an unterminated quote, an over-long line) are recorded as rejects with their line.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assistant.core.errors import InputError

SAMPLE_BYTES = 1 << 20
MAX_LINE_BYTES = 2 << 20  # DuckDB's default; a longer row is rejected, not read
DELIMITERS = (",", "\t", ";", "|")

PARSE_REASONS: dict[str, tuple[str, str]] = {
    "MISSING COLUMNS": (
        "该行的字段比表头少(文件可能被截断)",
        "the row has fewer fields than the header (truncated file?)",
    ),
    "TOO MANY COLUMNS": (
        "该行的字段比表头多(值中有未加引号的分隔符?)",
        "the row has more fields than the header (an unquoted delimiter in a value?)",
    ),
    "UNQUOTED VALUE": ("引号没有闭合(文件可能被截断)", "a quote is never closed (truncated file?)"),
    "LINE SIZE OVER MAXIMUM": (
        f"该行超过 {MAX_LINE_BYTES // (1 << 20)} MiB 上限(超长字段)",
        f"the row is longer than the {MAX_LINE_BYTES // (1 << 20)} MiB limit (a huge field)",
    ),
    "INVALID ENCODING": ("该行不是有效的 UTF-8 文本", "the row is not valid UTF-8 text"),
    "INVALID UNICODE": ("该行不是有效的 UTF-8 文本", "the row is not valid UTF-8 text"),
}


@dataclass
class Source:
    path: Path
    label: str  # what errors call it: "file.csv" or "book.xlsx[Sheet1]"
    sheet: str | None
    headers: list[str]
    raw: str  # staging view with _row, c0..cN
    rows: int  # data rows read, including rows that could not be parsed
    encoding: str
    delimiter: str | None
    # A CSV file read in place (Loader(lazy=True)): not staged as text but typed straight from the file by
    # ``scan`` (c0..cN and _blank, in file order, in parallel, recording the lines it cannot parse); ``raw`` reads
    # the file again, numbered, only for what needs numbers: an ambiguous date's example, rejected rows' text.
    scan: str | None = None
    fast: str | None = None  # the file as c0..cN, in parallel, unparsable lines skipped (no numbers)
    name: str = ""


def sql_str(s: str) -> str:
    """A SQL string literal (for file paths, which DuckDB's table functions take as literals)."""
    return "'" + s.replace("'", "''") + "'"


def _err(zh: str, en: str, path: Path, **kw: object) -> InputError:
    return InputError(f"{path.name}:{zh}", f"{path.name}: {en}", file=str(path), **kw)


def detect_encoding(path: Path, head: bytes) -> str:
    """'utf-8', 'utf-8-sig', 'utf-16' or 'gb18030' (a superset of GBK, what Chinese Excel writes)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise _err(
            "不是文本文件(含有 NUL 字节)。请另存为 CSV(UTF-8)、.xlsx 或 Parquet。",
            "not a text file (it contains NUL bytes). Save it as CSV (UTF-8), .xlsx or Parquet.",
            path,
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        pass
    bad = head[utf8_error.start : utf8_error.start + 4].hex(" ")
    raise _err(
        f"无法识别的文本编码:既不是 UTF-8 也不是 GBK/GB18030(第 {utf8_error.start} 字节: {bad})。请另存为 UTF-8 CSV。",
        f"unknown text encoding: neither UTF-8 nor GBK/GB18030 (byte {utf8_error.start}: {bad}). Save it as UTF-8 CSV.",
        path,
        byte=utf8_error.start,
    )


def transcode(path: Path, encoding: str, out: Path) -> None:
    """Stream a GBK/UTF-16 file into UTF-8, chunk by chunk (bounded memory)."""
    dec = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(SAMPLE_BYTES):
            try:
                dst.write(dec.decode(chunk))
            except UnicodeDecodeError as exc:
                raise _err(
                    f"第 {offset + exc.start} 字节不是有效的 {encoding} 文本(文件混用了多种编码?)。请另存为 UTF-8 CSV。",
                    f"byte {offset + exc.start} is not valid {encoding} (mixed encodings?). Save it as UTF-8 CSV.",
                    path,
                    byte=offset + exc.start,
                ) from None
            offset += len(chunk)
        dst.write(dec.decode(b"", final=True))


def sniff(text: str) -> tuple[str, list[str]]:
    """Delimiter and header from the start of the file: the candidate seen most often in the header line.

    >>> sniff("客户编号;名称\\n1;a\\n")
    (';', ['客户编号', '名称'])
    """
    first = text.split("\n", 1)[0].rstrip("\r")
    counts = {d: first.count(d) for d in DELIMITERS}
    delim = max(DELIMITERS, key=lambda d: counts[d]) if any(counts.values()) else ","
    header = next(csv.reader(io.StringIO(first), delimiter=delim), [])
    return delim, [h.strip().lstrip("\ufeff") or f"column{i + 1}" for i, h in enumerate(header)]


class Loader:
    """Loads sources into the staging catalog ``stg``; parse rejects go to ``stg.parse_rejects``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, workdir: Path, *, lazy: bool = False) -> None:
        self.con = con
        self.workdir = workdir
        self.n = 0
        self.lazy = lazy  # CSV files are read in place (see Source.scan); Excel sheets are staged all the same
        con.execute(
            "CREATE TABLE IF NOT EXISTS stg.parse_rejects (src VARCHAR, _row BIGINT, kind VARCHAR, line VARCHAR)"
        )
        self.scans: dict[str, tuple[str, str]] = {}  # files read in place: read_csv arguments, blank-row test

    def load(self, path: Path) -> list[Source]:
        if not path.is_file():
            raise _err("文件不存在。", "file not found.", path)
        with path.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
        if not head.strip(b" \t\r\n" + codecs.BOM_UTF8):
            raise _err("文件是空的。", "the file is empty.", path)
        if head.startswith(b"PK\x03\x04"):
            return self._xlsx(path)
        if head.startswith(b"PAR1"):
            return [self._parquet(path)]
        return [self._csv(path, path.name, None, head, lazy=self.lazy)]

    def _name(self) -> str:
        self.n += 1
        return f"raw_{self.n}"

    def _csv(
        self, path: Path, label: str, sheet: str | None, head: bytes, encoding: str | None = None, lazy: bool = False
    ) -> Source:
        enc = encoding or detect_encoding(path, head)
        read_path = path
        if enc in ("gb18030", "utf-16"):
            read_path = self.workdir / f"{self.n + 1}.utf8.csv"
            transcode(path, enc, read_path)
            with read_path.open("rb") as fh:
                head = fh.read(SAMPLE_BYTES)
        text = codecs.getincrementaldecoder("utf-8-sig")(errors="replace").decode(head, final=False)
        delim, headers = sniff(text)
        if not headers:
            raise _err("文件是空的。", "the file is empty.", path)
        name = self._name()
        cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers))) + "}"
        rej_t, rej_s = f"rej_{name}", f"rejscan_{name}"
        if lazy:
            return self._in_place(path, label, headers, name, enc, delim, read_path, cols, text, len(head))
        try:
            self.con.execute(
                f"CREATE TABLE stg.{name}_0 AS SELECT * FROM read_csv({sql_str(str(read_path))}, columns={cols}, "
                f"header=true, auto_detect=false, delim={sql_str(delim)}, quote='\"', escape='\"', "
                f"max_line_size={MAX_LINE_BYTES}, store_rejects=true, rejects_table='{rej_t}', "
                f"rejects_scan='{rej_s}', encoding='utf-8')"
            )
        except duckdb.Error as exc:
            raise _err(f"无法读取为 CSV:{exc}", f"cannot be read as CSV: {exc}", path) from exc
        self._rejects(name, label, rej_t, rej_s)
        nonblank = "coalesce(" + ", ".join(f"r.c{i}" for i in range(len(headers))) + ", NULL) IS NOT NULL"
        if self.con.execute(f"SELECT count(*) FROM stg.{name}_map").fetchone()[0]:
            self.con.execute(
                f"CREATE VIEW stg.{name} AS SELECT r.rowid + 2 + coalesce(m.cnt, 0) AS _row, r.* "
                f"FROM stg.{name}_0 r ASOF LEFT JOIN stg.{name}_map m ON r.rowid >= m.g WHERE {nonblank}"
            )
        else:  # every line parsed (the usual case): no join, which would make every later read single-threaded
            self.con.execute(
                f"CREATE VIEW stg.{name} AS SELECT r.rowid + 2 AS _row, r.* FROM stg.{name}_0 r WHERE {nonblank}"
            )
        return self._finish(path, label, sheet, headers, name, enc, delim)

    def _in_place(
        self,
        path: Path,
        label: str,
        headers: list[str],
        name: str,
        enc: str,
        delim: str,
        read_path: Path,
        cols: str,
        text: str,
        head_bytes: int,
    ) -> Source:
        args = (
            f"{sql_str(str(read_path))}, columns={cols}, header=true, auto_detect=false, delim={sql_str(delim)}, "
            f"quote='\"', escape='\"', max_line_size={MAX_LINE_BYTES}, encoding='utf-8'"
        )
        try:  # what DuckDB cannot read at all is refused here, as a staged file is
            self.con.execute(f"SELECT * FROM read_csv({args}, ignore_errors=true) LIMIT 1").fetchall()
        except duckdb.Error as exc:
            raise _err(f"无法读取为 CSV:{exc}", f"cannot be read as CSV: {exc}", path) from exc
        if head_bytes < SAMPLE_BYTES and not _has_data(text, delim):  # the whole file is in ``text``
            raise InputError(f"{label}:只有表头,没有数据行。", f"{label}: only a header, no data rows.", file=str(path))
        n = len(headers)
        blank = "coalesce(" + ", ".join(f"c{i}" for i in range(n)) + ", NULL) IS NULL"
        self.scans[name] = (args, blank)
        self._number(name, mapped=False)
        return Source(
            path,
            label,
            None,
            headers,
            f"stg.{name}",
            0,
            enc,
            delim,
            scan=(
                f"(SELECT *, {blank} AS _blank FROM read_csv({args}, store_rejects=true, rejects_table='rej_{name}', "
                f"rejects_scan='rejscan_{name}'))"
            ),
            fast=f"read_csv({args}, ignore_errors=true)",
            name=name,
        )

    def _number(self, name: str, *, mapped: bool) -> None:
        """``stg.<name>``: a file read in place, numbered by position in one thread (lines DuckDB cannot parse are
        skipped; ``mapped``: numbered as lines once they are known, see ``scanned``; before, in order all the same)."""
        args, blank = self.scans[name]
        row, join = "_pos + 2", ""
        if mapped:
            row, join = "_pos + 2 + coalesce(m.cnt, 0)", f" ASOF LEFT JOIN stg.{name}_map m ON r._pos >= m.g"
        self.con.execute(
            f"CREATE OR REPLACE VIEW stg.{name} AS SELECT {row} AS _row, r.* EXCLUDE (_pos, _blank) FROM ("
            f"SELECT row_number() OVER () - 1 AS _pos, *, {blank} AS _blank FROM read_csv({args}, ignore_errors=true)"
            f") r{join} WHERE NOT r._blank"
        )

    def _rejects(self, name: str, label: str, rej_table: str, rej_scan: str) -> None:
        """DuckDB's reject tables for one read, as the import's parse rejects (one per line: DuckDB may report several
        problems on the same line), and the map of surviving rows back to their line (a good row's number is its
        position plus the rejects before it: stg.<name>_map, g and cnt)."""
        self.con.execute(
            f"CREATE TABLE stg.{name}_rej AS SELECT line AS _row, first(error_type ORDER BY column_idx) AS kind, "
            f"first(csv_line) AS line FROM {rej_table} GROUP BY line"
        )
        self.con.execute(f"INSERT INTO stg.parse_rejects SELECT {sql_str(label)}, _row, kind, line FROM stg.{name}_rej")
        self.con.execute(
            f"CREATE TABLE stg.{name}_map AS SELECT g, max(cnt) AS cnt FROM ("
            f"SELECT _row - 2 - (row_number() OVER (ORDER BY _row) - 1) AS g, row_number() OVER (ORDER BY _row) AS cnt "
            f"FROM stg.{name}_rej) GROUP BY g"
        )
        self.con.execute(f"DROP TABLE IF EXISTS {rej_table}; DROP TABLE IF EXISTS {rej_scan}")

    def scanned(self, src: Source, rows: int) -> str:
        """After ``src.scan`` was read once (``rows`` rows not blank): its parse rejects and row count; raises when
        the file holds no data row. Returns the table mapping positions to lines (g, cnt: a row at position p >= g
        is line p + 2 + cnt) when some line could not be parsed, else ''."""
        name, label = src.name, src.label
        self._rejects(name, label, f"rej_{name}", f"rejscan_{name}")
        bad = self.con.execute(f"SELECT count(*) FROM stg.{name}_rej").fetchone()[0]
        if rows + bad == 0:
            raise InputError(
                f"{label}:只有表头,没有数据行。", f"{label}: only a header, no data rows.", file=str(src.path)
            )
        src.rows = rows + bad
        if not bad:
            return ""
        self._number(name, mapped=True)
        return f"stg.{name}_map"

    def _finish(
        self,
        path: Path,
        label: str,
        sheet: str | None,
        headers: list[str],
        name: str,
        enc: str,
        delim: str | None,
    ) -> Source:
        rows = self.con.execute(f"SELECT count(*) FROM stg.{name}").fetchone()[0]
        bad = self.con.execute("SELECT count(*) FROM stg.parse_rejects WHERE src = $s", {"s": label}).fetchone()[0]
        if rows + bad == 0:
            raise InputError(
                f"{label}:只有表头,没有数据行。",
                f"{label}: only a header, no data rows.",
                file=str(path),
            )
        return Source(path, label, sheet, headers, f"stg.{name}", rows + bad, enc, delim)

    def _parquet(self, path: Path) -> Source:
        name = self._name()
        try:
            cols = [
                r[0] for r in self.con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_str(str(path))})").fetchall()
            ]
            sel = ", ".join(f'CAST("{c.replace(chr(34), chr(34) * 2)}" AS VARCHAR) AS c{i}' for i, c in enumerate(cols))
            self.con.execute(f"CREATE TABLE stg.{name}_0 AS SELECT {sel} FROM read_parquet({sql_str(str(path))})")
        except duckdb.Error as exc:
            raise _err(f"无法读取 Parquet 文件:{exc}", f"cannot read the Parquet file: {exc}", path) from exc
        self.con.execute(f"CREATE VIEW stg.{name} AS SELECT rowid + 1 AS _row, * FROM stg.{name}_0")
        return self._finish(path, path.name, None, cols, name, "parquet", None)

    def _xlsx(self, path: Path) -> list[Source]:
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise _err(f"无法打开 Excel 文件:{exc}", f"cannot open the Excel file: {exc}", path) from exc
        out: list[Source] = []
        try:
            for ws in wb.worksheets:
                # Each sheet goes through a UTF-8 CSV so it is read by the same streaming path.
                tmp = self.workdir / f"{self.n + 1}.sheet.csv"
                wrote = 0
                with tmp.open("w", encoding="utf-8", newline="") as fh:
                    w = csv.writer(fh)
                    for row in ws.iter_rows(values_only=True):
                        w.writerow(["" if v is None else _cell(v) for v in row])
                        wrote += 1
                if wrote == 0:
                    continue  # an empty sheet is not an error; an empty workbook is
                with tmp.open("rb") as fh:
                    head = fh.read(SAMPLE_BYTES)
                if not head.strip(b" \t\r\n,"):
                    continue
                label = f"{path.name}[{ws.title}]"
                out.append(self._csv(tmp, label, ws.title, head, encoding="utf-8"))
                out[-1].path = path
        finally:
            wb.close()
        if not out:
            raise _err("工作簿里没有数据。", "the workbook holds no data.", path)
        return out


def _has_data(text: str, delim: str) -> bool:
    """Whether CSV ``text`` (a whole file) has a row with a field after its header."""
    lines = text.split("\n", 1)
    rest = lines[1] if len(lines) > 1 else ""
    return any(any(f != "" for f in row) for row in csv.reader(io.StringIO(rest), delimiter=delim))


def _cell(v: object) -> str:
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ") if (v.hour, v.minute, v.second) != (0, 0, 0) else v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
