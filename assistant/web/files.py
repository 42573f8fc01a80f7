"""Files handed to users (exports, rejected rows) and files they upload, each owned by one user.

Everything lives under one folder the server owns (Gradio's cache, GRADIO_TEMP_DIR), mode 0700, emptied at
start-up. A file is served only to the user who owns it (``owner_of``); any other file in the cache is
refused. Files are deleted when their browser session or sign-in ends.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.answering.exports import frame

REJECTS_MAX_ROWS = 10_000  # a rejects file shown on the page keeps the first rows; the report gives the counts


@dataclass
class Owned:
    owner: str
    token: str | None  # the sign-in session
    browser: str | None  # the Gradio session (one browser tab)


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._owned: dict[str, Owned] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Start-up: whatever earlier runs left (exports, uploads, killed imports' rejects) goes."""
        if self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)

    def new_dir(self) -> Path:
        d = self.root / "u" / secrets.token_hex(12)
        d.mkdir(parents=True, mode=0o700)
        return d

    def register(self, path: str | Path, owner: str, *, token: str | None = None, browser: str | None = None) -> None:
        with self._lock:
            self._owned[str(Path(path).resolve())] = Owned(owner, token, browser)

    def owner_of(self, path: str | Path) -> str | None:
        try:
            key = str(Path(path).resolve())
        except (OSError, ValueError):
            return None
        with self._lock:
            o = self._owned.get(key)
        return o.owner if o else None

    def forget(self, *, token: str | None = None, browser: str | None = None, owner: str | None = None) -> int:
        """Delete the files of a sign-in session, a browser session or a user; returns how many."""
        with self._lock:
            gone = [
                p
                for p, o in self._owned.items()
                if (token is not None and o.token == token)
                or (browser is not None and o.browser == browser)
                or (owner is not None and o.owner == owner)
            ]
            for p in gone:
                del self._owned[p]
        for p in gone:
            Path(p).unlink(missing_ok=True)
            parent = Path(p).parent
            if parent != self.root and parent.is_relative_to(self.root):
                try:
                    parent.rmdir()  # only when empty
                except OSError:
                    pass
        return len(gone)

    def write_exports(
        self,
        columns: list[str],
        rows: list[list[Any]],
        owner: str,
        *,
        token: str | None,
        browser: str | None,
        headers: list[str] | None = None,
    ) -> list[str]:
        """CSV (UTF-8 with BOM) and XLSX of a table, in a fresh folder of the cache, owned by ``owner``.

        The values are the raw ones (full precision, for spreadsheets); ``headers`` are readable column names."""
        if not columns:
            return []
        d = self.new_dir()
        df = frame(headers or columns, rows)  # formula-looking cells become text
        csv, xlsx = d / "answer.csv", d / "answer.xlsx"
        df.to_csv(csv, index=False, encoding="utf-8-sig")
        df.to_excel(xlsx, index=False, sheet_name="data")
        for p in (csv, xlsx):
            os.chmod(p, 0o600)
            self.register(p, owner, token=token, browser=browser)
        return [str(csv), str(xlsx)]

    def keep_rejects(self, src: str | Path | None, owner: str, *, token: str | None, browser: str | None) -> str | None:
        """A capped copy of an import's rejects file for the page (header + REJECTS_MAX_ROWS rows)."""
        if not src or not Path(src).exists():
            return None
        d = self.new_dir()
        dst = d / Path(src).name
        with Path(src).open(encoding="utf-8-sig", newline="") as fin, dst.open("w", encoding="utf-8-sig") as fout:
            for i, line in enumerate(fin):
                if i > REJECTS_MAX_ROWS:
                    break
                fout.write(line)
        os.chmod(dst, 0o600)
        self.register(dst, owner, token=token, browser=browser)
        return str(dst)
