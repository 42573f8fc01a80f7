"""What users said about answers: 👍/👎, an optional "it should have been …", and a manager's review.

Kept beside the warehouse in its own SQLite file (``<warehouse>.feedback.sqlite``), never inside the warehouse:
an import replaces the warehouse file, and feedback must outlive it. SQLite because the web server and the
``feedback`` command write it at the same time; every call opens, writes in one transaction, and closes.

A correction a manager *accepts* becomes an example for understanding (``assistant.nlu.example_bank``): the
phrasing the user asked is from then on read as the accepted phrasing. ``version()`` changes whenever the
accepted set changes, so a running server picks it up on its next question, without a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.core.errors import InputError

VERDICTS = ("up", "down")
STATUSES = ("new", "accepted", "rejected")
MAX_QUESTION = 2000
MAX_CORRECTION = 500

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    who TEXT NOT NULL,
    role TEXT NOT NULL,
    turn TEXT,
    question TEXT NOT NULL,
    language TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('up', 'down')),
    correction TEXT,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'accepted', 'rejected')),
    rewrite TEXT,
    reviewed_by TEXT,
    reviewed_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS feedback_turn ON feedback (who, turn) WHERE turn IS NOT NULL;
-- bumped by every review: readers of the accepted examples reload when it moves
CREATE TABLE IF NOT EXISTS reviews (n INTEGER NOT NULL);
INSERT INTO reviews SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM reviews);
"""


@dataclass(frozen=True)
class Feedback:
    id: int
    created_at: str
    who: str
    role: str
    question: str
    language: str
    verdict: str
    correction: str | None
    status: str
    rewrite: str | None
    reviewed_by: str | None
    reviewed_at: str | None
    answer: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def feedback_path(db: str | Path) -> Path:
    """The feedback file of a warehouse: ``data/warehouse.duckdb`` → ``data/warehouse.feedback.sqlite``."""
    db = Path(db)
    return db.with_name(f"{db.stem}.feedback.sqlite")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _clean(text: str | None, limit: int, what_zh: str, what_en: str) -> str | None:
    if text is None:
        return None
    text = " ".join(str(text).split())
    if len(text) > limit:
        raise InputError(
            f"{what_zh}太长了(最多 {limit} 个字),请缩短后再提交。",
            f"The {what_en} is too long (at most {limit} characters); shorten it and send again.",
        )
    return text or None


class FeedbackStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._ready = False  # schema created (once per store, not on every read: reads run on every question)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        new = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            if new:
                os.chmod(self.path, 0o600)  # questions and answers hold customer data: the owner's only
            if new or not self._ready:
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(SCHEMA)
                self._ready = True
            con.row_factory = sqlite3.Row
            yield con
        finally:
            con.close()

    # ---- writing ------------------------------------------------------------------------------------------
    def add(
        self,
        *,
        who: str,
        role: str,
        question: str,
        answer: dict[str, Any],
        verdict: str,
        correction: str | None = None,
        turn: str | None = None,
    ) -> int:
        """Record a verdict; the same user's second verdict on the same turn replaces the first."""
        if verdict not in VERDICTS:
            raise InputError("评价只能是 👍 或 👎。", "A verdict is 'up' or 'down'.")
        q = _clean(question, MAX_QUESTION, "问题", "question")
        if not q:
            raise InputError("没有可评价的问题。", "There is no question to give feedback on.")
        corr = _clean(correction, MAX_CORRECTION, "纠正内容", "correction")
        row = (
            _now(),
            who,
            role,
            turn,
            q,
            str(answer.get("language") or "zh"),
            json.dumps(answer, ensure_ascii=False, default=str),
            verdict,
            corr,
        )
        with self._db() as con:
            con.execute("BEGIN IMMEDIATE")
            if turn is not None:
                old = con.execute("SELECT id, status FROM feedback WHERE who = ? AND turn = ?", (who, turn)).fetchone()
                if old is not None:
                    if old["status"] != "new":
                        con.execute("ROLLBACK")
                        raise InputError(
                            "这条反馈已经审核过,不能再修改。",
                            "This feedback has already been reviewed and can no longer be changed.",
                        )
                    con.execute(
                        "UPDATE feedback SET created_at = ?, verdict = ?, correction = ? WHERE id = ?",
                        (row[0], verdict, corr, old["id"]),
                    )
                    con.execute("COMMIT")
                    return int(old["id"])
            cur = con.execute(
                "INSERT INTO feedback (created_at, who, role, turn, question, language, answer_json, verdict,"
                " correction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            con.execute("COMMIT")
            return int(cur.lastrowid or 0)

    def review(self, fid: int, status: str, by: str, rewrite: str | None = None) -> Feedback:
        """Accept (the correction, or ``rewrite`` in its place, becomes an example) or reject one feedback."""
        if status not in ("accepted", "rejected"):
            raise InputError("审核结果只能是 accepted 或 rejected。", "A review is 'accepted' or 'rejected'.")
        item = self.get(fid)
        phrasing = _clean(rewrite, MAX_CORRECTION, "改写", "rewrite") or item.correction
        if status == "accepted" and not phrasing:
            raise InputError(
                f"反馈 #{fid} 没有写应该是什么;请用 --as 给出正确的说法再接受。",
                f"Feedback #{fid} says nothing about what it should have been; give the right phrasing with --as.",
            )
        with self._db() as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute(
                "UPDATE feedback SET status = ?, rewrite = ?, reviewed_by = ?, reviewed_at = ? WHERE id = ?",
                (status, phrasing if status == "accepted" else None, by, _now(), fid),
            )
            con.execute("UPDATE reviews SET n = n + 1")
            con.execute("COMMIT")
        return self.get(fid)

    # ---- reading ------------------------------------------------------------------------------------------
    def get(self, fid: int) -> Feedback:
        with self._db() as con:
            row = con.execute("SELECT * FROM feedback WHERE id = ?", (fid,)).fetchone()
        if row is None:
            raise InputError(
                f"没有编号为 {fid} 的反馈;用 `feedback list` 查看编号。",
                f"No feedback #{fid}; `feedback list` shows the numbers.",
            )
        return _item(row)

    def list(self, status: str | None = None) -> list[Feedback]:
        if status is not None and status not in STATUSES:
            raise InputError(f"状态只能是 {'、'.join(STATUSES)}。", f"A status is one of {', '.join(STATUSES)}.")
        if not self.path.exists():
            return []
        with self._db() as con:
            rows = con.execute(
                "SELECT * FROM feedback" + (" WHERE status = ?" if status else "") + " ORDER BY id",
                (status,) if status else (),
            ).fetchall()
        return [_item(r) for r in rows]

    def accepted(self) -> list[Feedback]:
        return self.list("accepted")

    def version(self) -> int:
        """Moves with every review, so the accepted examples are reloaded only when they may have changed."""
        if not self.path.exists():
            return 0
        with self._db() as con:
            return int(con.execute("SELECT n FROM reviews").fetchone()[0])


def _item(row: sqlite3.Row) -> Feedback:
    return Feedback(
        id=int(row["id"]),
        created_at=row["created_at"],
        who=row["who"],
        role=row["role"],
        question=row["question"],
        language=row["language"],
        verdict=row["verdict"],
        correction=row["correction"],
        status=row["status"],
        rewrite=row["rewrite"],
        reviewed_by=row["reviewed_by"],
        reviewed_at=row["reviewed_at"],
        answer=json.loads(row["answer_json"]),
    )
