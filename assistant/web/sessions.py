"""Who is asking, and the assistant they may use.

The server reads a *generation* of the warehouse: a snapshot (hard link) of the file as it was when the
generation opened (assistant.warehouse.db.snapshot). An import or a regeneration writes a new file and moves
it into place; the next question sees the new file and opens a new generation, while questions already
running finish on the old one, which closes when its last question is done. So answers keep flowing during
an import, and nobody ever reads a half-written file.

Within a generation, pools of assistants: one shared by every full-access user (managers and trainers, on
one read-only connection with a cursor per assistant), and one per salesperson *account version* (name,
role, rep), on an in-memory copy holding only their customers (assistant.warehouse.access.open_for). A
changed account gets a new pool on its next question; the old one is closed. DuckDB cursors run in
parallel, so a pool serves as many questions at once as it has assistants.
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from assistant.agent import Assistant
from assistant.agent.examples import bank_of
from assistant.answering.compose import compose_error
from assistant.answering.conversation import Context
from assistant.core.errors import AssistantError, InputError
from assistant.core.lang import detect_language
from assistant.warehouse.access import Principal, lock, open_for
from assistant.warehouse.audit import AuditLog
from assistant.warehouse.db import file_key, snapshot
from assistant.warehouse.feedback import FeedbackStore, feedback_path
from assistant.warehouse.users import UserStore

LOCAL = Principal("local", "manager")
FULL_POOL = 4  # assistants shared by all managers and trainers
SALES_POOL = 2  # assistants per salesperson
TRAINING_LABEL = {"zh": "培训模式:以下为全部数据,仅用于教学。", "en": "Training mode: all data, for teaching only."}
CUSTOMER_ID = re.compile(r"\bC\d{4,}\b", re.IGNORECASE)
NOT_YOURS = (
    "{x} 不在您负责的客户中;您只能查询自己负责的客户。",
    "{x} is not among your customers; you can only ask about the customers assigned to you.",
)


class Pool:
    def __init__(self, bots: list[Assistant], con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.bots = con, bots
        self._free: queue.Queue[Assistant] = queue.Queue()
        for b in bots:
            self._free.put(b)

    @contextmanager
    def use(self) -> Iterator[Assistant]:
        bot = self._free.get()  # waits for a free assistant
        try:
            yield bot
        finally:
            self._free.put(bot)

    def close(self) -> None:
        for bot in reversed(self.bots):  # cursors first, then the connection they belong to
            bot.close()
        if self.con not in [b.con for b in self.bots]:
            self.con.close()


class Generation:
    """One version of the warehouse file and the pools reading it."""

    def __init__(self, number: int, key: tuple[int, int, int], path: Path) -> None:
        self.number, self.key, self.path = number, key, path
        self.pools: dict[tuple[str, ...], Pool] = {}
        self.stale: list[Pool] = []
        self.in_use = 0
        self.retired = False
        # Every customer's id, and name → id, for "not among your customers".
        self.names: tuple[set[str], dict[str, str]] | None = None

    def close(self) -> None:
        for pool in [*self.pools.values(), *self.stale]:
            pool.close()
        self.pools.clear()
        self.stale.clear()
        self.path.unlink(missing_ok=True)


def _full_connection(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=True)
    lock(con)
    return con


class Sessions:
    def __init__(
        self,
        db: Path,
        index: Path | None,
        users: UserStore | None,
        *,
        multi_user: bool | None = None,
        audit: AuditLog | None = None,
        views_dir: Path | None = None,
    ) -> None:
        self.db, self.index, self.users = Path(db), index, users
        # Decided once, at start-up: no runtime fallback to the local manager (fail closed).
        self.multi_user = (
            bool(users is not None and users.path.exists() and len(users) > 0) if multi_user is None else multi_user
        )
        self.audit = audit
        self.views_dir = views_dir or self.db.parent / f".{self.db.name}.views"
        self.feedback = FeedbackStore(feedback_path(self.db))
        self.examples = bank_of(self.feedback)  # accepted corrections, shared by every assistant of this server
        self._gen: Generation | None = None
        self._old: list[Generation] = []
        self._numbers = 0
        self._contexts: dict[str, Context] = {}
        self._guard = threading.RLock()

    # --- who --------------------------------------------------------------------------------------------
    def principal(self, username: str | None) -> Principal:
        """The signed-in user's account as it is now; refuses when the user file is unusable (multi-user)."""
        if not self.multi_user:
            return LOCAL
        if not username or self.users is None:
            raise InputError("请先登录。", "Please sign in.")
        acct = self.users.account(username)  # UserStoreUnavailable when missing, empty or corrupt
        if acct is None:
            raise InputError("您的账号已被删除,请联系管理员。", "Your account was removed; ask the administrator.")
        return acct[0]

    # --- the warehouse generations ------------------------------------------------------------------------
    def _current(self) -> Generation:
        key = file_key(self.db)
        if key is None:
            raise AssistantError(
                "找不到数据仓库。请让经理导入数据,或运行 `python -m assistant data generate`。",
                "The warehouse is missing. Ask a manager to import data, or run `python -m assistant data generate`.",
            )
        with self._guard:
            if self._gen is None or self._gen.key != key:
                self._numbers += 1
                path = snapshot(self.db, self.views_dir, f"{os.getpid()}-{self._numbers}.duckdb")
                if self._gen is not None:
                    self._retire(self._gen)
                self._gen = Generation(self._numbers, key, path)
            return self._gen

    def _retire(self, gen: Generation) -> None:
        gen.retired = True
        if gen.in_use == 0:
            gen.close()
        else:
            self._old.append(gen)

    def _pool(self, gen: Generation, who: Principal) -> Pool:
        key = ("*",) if who.sees_everything else ("sales", who.name, who.rep_id or "")
        with self._guard:
            pool = gen.pools.get(key)
            if pool is not None:
                return pool
            if not who.sees_everything:  # an earlier version of this account (another rep) is never used again
                for k in [k for k in gen.pools if k[0] == "sales" and k[1] == who.name]:
                    gen.stale.append(gen.pools.pop(k))  # closed with the generation: it may be answering now
            con = _full_connection(gen.path) if who.sees_everything else open_for(gen.path, who)
            n = FULL_POOL if who.sees_everything else SALES_POOL
            bots = [Assistant(self.db, index=self.index, con=con, examples=self.examples)]
            bots += [
                Assistant(self.db, index=self.index, con=con.cursor(), examples=self.examples) for _ in range(n - 1)
            ]
            pool = gen.pools[key] = Pool(bots, con)
            return pool

    @contextmanager
    def using(self, who: Principal) -> Iterator[Assistant]:
        """An assistant for ``who`` on the current warehouse, kept on its generation until released."""
        with self._guard:
            gen = self._current()
            gen.in_use += 1
        try:
            pool = self._pool(gen, who)
            with pool.use() as bot:
                yield bot
        finally:
            with self._guard:
                gen.in_use -= 1
                if gen.retired and gen.in_use == 0:
                    gen.close()
                    if gen in self._old:
                        self._old.remove(gen)

    def clean_views(self) -> None:
        """Start-up: remove snapshots left by servers that are no longer running (killed, crashed)."""
        if not self.views_dir.exists():
            return
        for f in self.views_dir.glob("*.duckdb*"):
            pid = f.name.split("-", 1)[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                f.unlink(missing_ok=True)

    def close_all(self) -> None:
        with self._guard:
            for gen in [*self._old, *([self._gen] if self._gen else [])]:
                gen.close()
            self._gen, self._old = None, []

    # --- conversations ------------------------------------------------------------------------------------
    def context(self, session: str, who: Principal) -> Context:
        with self._guard:
            key = f"{who.name}:{who.role}:{who.rep_id}:{session}"  # a changed account starts afresh
            if key not in self._contexts:
                self._contexts[key] = Context(user_rep_id=who.rep_id)
            return self._contexts[key]

    def new_conversation(self, session: str, who: Principal) -> None:
        with self._guard:
            self._contexts.pop(f"{who.name}:{who.role}:{who.rep_id}:{session}", None)

    def forget_session(self, session: str) -> None:
        with self._guard:
            for key in [k for k in self._contexts if k.endswith(f":{session}")]:
                del self._contexts[key]

    def forget_user(self, name: str) -> None:
        with self._guard:
            for key in [k for k in self._contexts if k.startswith(f"{name}:")]:
                del self._contexts[key]

    # --- a customer outside the user's book ------------------------------------------------------------------
    def _all_customers(self) -> tuple[set[str], dict[str, str]]:
        gen = self._current()
        if gen.names is None:
            con = duckdb.connect(":memory:")
            try:
                con.execute("ATTACH ? AS wh (READ_ONLY)", [str(gen.path)])
                rows = con.execute("SELECT customer_id, name FROM wh.customers").fetchall()
            finally:
                con.close()
            # Names of three characters or more: shorter ones turn up inside ordinary words.
            gen.names = ({str(c).upper() for c, _ in rows}, {str(n): str(c) for c, n in rows if n and len(str(n)) >= 3})
        return gen.names

    def outside_book(self, question: str, bot: Assistant) -> str | None:
        """A customer the question names (by id or full name) who exists but is not in this user's book."""
        ids, names = self._all_customers()
        asked = {m.group(0).upper(): m.group(0).upper() for m in CUSTOMER_ID.finditer(question)}
        asked.update({n: c for n, c in names.items() if n in question})
        for x, cid in sorted(asked.items()):
            if cid not in ids:
                continue
            mine = bot.con.execute("SELECT count(*) FROM customers WHERE customer_id = ?", [cid]).fetchone()[0]
            if not mine:
                return x
        return None

    # --- asking -------------------------------------------------------------------------------------------
    def ask(self, username: str | None, session: str, question: str) -> dict[str, Any]:
        """The same JSON as `python -m assistant ask --json`, for this user and conversation."""
        who: Principal | None = None
        error: str | None = None
        try:
            who = self.principal(username)
            ctx = self.context(session, who)
            with self.using(who) as bot:
                other = None if who.sees_everything else self.outside_book(question, bot)
                if other is not None:
                    raise InputError(NOT_YOURS[0].format(x=other), NOT_YOURS[1].format(x=other))
                ans = bot.ask(question, ctx).to_json()
        except AssistantError as exc:
            error = exc.en
            ans = compose_error(question, detect_language(question), exc).to_json()
        if who is not None and who.role == "trainer":
            ans["notices"] = [TRAINING_LABEL[ans.get("language", "zh")], *ans.get("notices", [])]
        if who is not None:
            ans["user"] = {"name": who.name, "role": who.role, "rep_id": who.rep_id}
        if self.audit is not None:
            data = ans.get("data") or {}
            self.audit.write(
                "question",
                who.name if who else username,
                question=question,
                tool=ans.get("tool"),
                arguments=ans.get("arguments"),
                sql=ans.get("sql"),
                rows=len(data.get("rows") or []),
                as_of=ans.get("as_of"),
                error=error,
            )
        return ans
