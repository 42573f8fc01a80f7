"""The audit log: append-only JSON lines of who did what (sign-ins, questions, exports, imports, user changes).

One line per event: ``{"ts": ISO-8601 UTC, "event": ..., "user": ..., ...fields}``. The file is opened in
append mode for every write (several processes may write: the web app and the command line), created 0600,
and never rewritten. Passwords never reach it: any field whose name mentions a password or token is dropped.
Default ``data/audit.jsonl``; ``--audit`` or env ``ASSISTANT_AUDIT``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.core.config import DATA_DIR

SECRET_KEYS = ("password", "token", "cookie", "secret")
_lock = threading.Lock()


def audit_path(flag: str | Path | None = None) -> Path:
    return Path(flag or os.environ.get("ASSISTANT_AUDIT") or DATA_DIR / "audit.jsonl").expanduser()


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not any(s in str(k).lower() for s in SECRET_KEYS)}
    if isinstance(value, list | tuple | set):
        return [_clean(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class AuditLog:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = audit_path(path)

    def write(self, event: str, user: str | None, **fields: Any) -> None:
        record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event, "user": user}
        record.update(_clean(fields))
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _lock:
            # O_APPEND: every write lands at the end, whoever else is writing; 0600: only the owner reads it.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)

    def records(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    yield {"event": "unreadable_line", "raw": line[:200]}

    def search(self, *, user: str | None = None, event: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.records()
            if (user is None or r.get("user") == user) and (event is None or r.get("event") == event)
        ]
