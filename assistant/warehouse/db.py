"""Opening the warehouse and checking it against the contract."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from assistant.core.errors import WarehouseError
from assistant.warehouse.schema import TABLES


def connect(path: str | Path, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; a clear error when it is missing."""
    p = Path(path)
    if read_only and not p.exists():
        raise WarehouseError(
            f"找不到数据仓库文件 {p}。请先运行 `python -m assistant data generate` 生成示例数据,或用 --db 指定已有文件。",
            f"Warehouse file {p} not found. Run `python -m assistant data generate` to build the sample, "
            "or pass --db with an existing file.",
            path=str(p),
        )
    if not read_only:
        p.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(p), read_only=read_only)
        # No progress bar: it would print into the CLI's JSON and the server's log during long scans.
        con.execute("SET enable_progress_bar = false")
        return con
    except duckdb.Error as exc:  # locked by another writer, not a DuckDB file, …
        raise WarehouseError(
            f"无法打开数据仓库 {p}:{exc}",
            f"Cannot open warehouse {p}: {exc}",
            path=str(p),
        ) from exc


def contract_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Missing tables or columns, and columns of the wrong type; empty when the warehouse matches."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    have: dict[str, dict[str, str]] = {}
    for t, c, typ in rows:
        have.setdefault(t, {})[c] = typ
    problems = []
    for table in TABLES:
        cols = have.get(table.name)
        if cols is None:
            problems.append(f"missing table {table.name}")
            continue
        for col in table.columns:
            if col.name not in cols:
                problems.append(f"missing column {table.name}.{col.name}")
            elif cols[col.name] != col.type:
                problems.append(f"{table.name}.{col.name} is {cols[col.name]}, expected {col.type}")
    return problems


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    out = {}
    for t in TABLES:
        out[t.name] = con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]  # names come from the contract
    return out


def create_tables(con: duckdb.DuckDBPyConnection, *, schema: str | None = None, constraints: bool = True) -> None:
    """Create every contract table (empty). ``schema`` puts them in another schema, e.g. for staging."""
    from assistant.warehouse.schema import ddl

    prefix = f"{schema}." if schema else ""
    if schema:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for t in TABLES:
        con.execute(ddl(t, name=prefix + t.name, constraints=constraints))


# --- Replacing the warehouse while it is being read -------------------------------------------------------
# Readers (the web app) open a *snapshot*: a hard link to the warehouse file as it is now. Writers (import,
# regenerate) build a new file beside it and move it into place with os.replace, so readers keep their
# snapshot (the old file) until they open the new one; nobody ever writes a file someone else reads.

SOURCE_SUFFIX = ".source.json"
BACKUP_SUFFIX = ".bak"


def file_key(path: str | Path) -> tuple[int, int, int] | None:
    """What identifies one version of the file (a replace gives a new inode)."""
    try:
        st = Path(path).stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def snapshot(path: str | Path, folder: str | Path, name: str) -> Path:
    """A name for the warehouse file as it is now (a hard link; a copy across file systems)."""
    import shutil

    src, dst = Path(path), Path(folder) / name
    dst.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
    return dst


@contextmanager
def write_lock(path: str | Path) -> Iterator[None]:
    """One writer at a time (web or command line); a second one is told so at once instead of racing."""
    lock_path = Path(path).with_name(Path(path).name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseError(
                "另一个导入或重新生成正在进行,请等它完成后再试。",
                "Another import or regeneration is running; try again when it has finished.",
            ) from None
        yield
    finally:
        os.close(fd)


def replace_warehouse(new: str | Path, path: str | Path, *, backup: bool = True) -> Path | None:
    """Move ``new`` into place at once; the previous file becomes ``<path>.bak`` (restorable). Returns the backup."""
    new, path = Path(new), Path(path)
    os.chmod(new, 0o600)
    kept = None
    if backup and path.exists():
        kept = path.with_name(path.name + BACKUP_SUFFIX)
        tmp = path.with_name(path.name + BACKUP_SUFFIX + ".tmp")
        tmp.unlink(missing_ok=True)
        os.link(path, tmp)  # the old file stays whole under the backup name, readers keep theirs
        os.replace(tmp, kept)
        os.chmod(kept, 0o600)
    os.replace(new, path)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    return kept


def source_of(path: str | Path) -> str | None:
    """Where the warehouse's data came from: "sample", "imported", or None when nobody recorded it."""
    marker = Path(str(path) + SOURCE_SUFFIX)
    try:
        return str(json.loads(marker.read_text(encoding="utf-8")).get("source"))
    except (OSError, ValueError, AttributeError):
        return None


def mark_source(path: str | Path, source: str, by: str | None = None) -> None:
    marker = Path(str(path) + SOURCE_SUFFIX)
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"source": source, "by": by}, fh, ensure_ascii=False)
    os.replace(tmp, marker)


def clean_leftovers(path: str | Path) -> list[str]:
    """Remove what killed writers left beside the warehouse (half-built copies, staging folders).

    Only when no writer holds the lock; returns what was removed.
    """
    import shutil

    path = Path(path)
    removed: list[str] = []
    if not path.parent.exists():
        return removed
    try:
        with write_lock(path):
            for leftover in (".importing", ".importing.wal", ".regenerating", ".regenerating.building"):
                p = path.with_name(path.name + leftover)
                if p.exists():
                    p.unlink()
                    removed.append(p.name)
            for d in path.parent.glob("import-*"):
                if d.is_dir() and (d / "staging.duckdb").exists():
                    shutil.rmtree(d, ignore_errors=True)
                    removed.append(d.name)
    except WarehouseError:
        pass  # a writer is running: its files are not leftovers
    return removed
