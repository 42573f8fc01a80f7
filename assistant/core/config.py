"""Paths and settings: command-line flag, then environment variable, then default."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout: assistant/core/config.py → ../../
DATA_DIR = ROOT / "data"
DEFAULT_DB = DATA_DIR / "warehouse.duckdb"
DEFAULT_INDEX = DATA_DIR / "index"

# Gradio phones home at import unless this is set; the product runs offline.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def db_path(flag: str | Path | None = None) -> Path:
    """The warehouse file: ``--db``, else ``ASSISTANT_DB``, else data/warehouse.duckdb."""
    value = flag or os.environ.get("ASSISTANT_DB") or DEFAULT_DB
    return Path(value).expanduser()


def index_path(flag: str | Path | None = None) -> Path:
    """The knowledge index folder: ``--index``, else ``ASSISTANT_INDEX``, else data/index."""
    value = flag or os.environ.get("ASSISTANT_INDEX") or DEFAULT_INDEX
    return Path(value).expanduser()
