"""Table downloads (CSV with BOM for Excel, and .xlsx), safe against formula injection."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

# A cell that starts like a formula is data, not a formula: prefix it so spreadsheets show it as text.
FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def safe_cell(v: Any) -> Any:
    if isinstance(v, str) and FORMULA_START.match(v):
        return "'" + v
    return v


def frame(columns: list[str], rows: list[list[Any]]) -> pd.DataFrame:
    return pd.DataFrame([[safe_cell(v) for v in r] for r in rows], columns=columns)


def write_exports(columns: list[str], rows: list[list[Any]], stem: str = "answer") -> list[str]:
    """CSV (UTF-8 with BOM so Excel reads Chinese) and XLSX files of a table; returns their paths."""
    if not columns:
        return []
    out = Path(tempfile.mkdtemp(prefix="assistant-export-"))
    df = frame(columns, rows)
    csv = out / f"{stem}.csv"
    xlsx = out / f"{stem}.xlsx"
    df.to_csv(csv, index=False, encoding="utf-8-sig")
    df.to_excel(xlsx, index=False, sheet_name="data")
    return [str(csv), str(xlsx)]
