"""Bring your own data: CSV, Excel and Parquet into the warehouse, validated, all or nothing.

``import_files(paths, ImportOptions(...), db=...)`` returns an ``ImportReport``; the CLI command
``python -m assistant data import`` and the UI both call it.
"""

from __future__ import annotations

from assistant.warehouse.importer.core import import_files
from assistant.warehouse.importer.models import ImportFailed, ImportOptions, ImportReport

__all__ = ["ImportFailed", "ImportOptions", "ImportReport", "import_files"]
