"""Who is asking, and the assistant they may use.

One Assistant per signed-in user, on a connection scoped to what that user may see
(assistant.warehouse.access.open_for); one conversation context per browser session. DuckDB connections
are not for concurrent use, so each user's assistant is used under a lock.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from assistant.agent import Assistant
from assistant.answering.compose import compose_error
from assistant.answering.conversation import Context
from assistant.core.errors import AssistantError, InputError
from assistant.core.lang import detect_language
from assistant.warehouse.access import Principal, open_for
from assistant.warehouse.users import UserStore

LOCAL = Principal("local", "manager")
POOL = 2  # assistants per user: the machine has two cores
TRAINING_LABEL = {"zh": "培训模式:以下为全部数据,仅用于教学。", "en": "Training mode: all data, for teaching only."}


class Sessions:
    def __init__(self, db: Path, index: Path | None, users: UserStore | None) -> None:
        self.db, self.index, self.users = db, index, users
        self._pools: dict[str, list[tuple[Assistant, threading.Lock]]] = {}
        self._contexts: dict[str, Context] = {}
        self._guard = threading.RLock()

    @property
    def multi_user(self) -> bool:
        return self.users is not None and len(self.users) > 0

    def authenticate(self, name: str, password: str) -> bool:
        return bool(self.users and self.users.authenticate(name, password))

    def principal(self, username: str | None) -> Principal:
        if not self.multi_user:
            return LOCAL
        who = self.users.get(username or "") if self.users else None
        if who is None:
            raise InputError("请先登录。", "Please sign in.")
        return who

    def assistant(self, who: Principal) -> tuple[Assistant, threading.Lock]:
        """A free assistant of this user's pool (or the first, to wait on).

        A pool of POOL assistants per user, each on its own cursor of the user's scoped database,
        lets that many of the user's sessions be answered at once (DuckDB runs cursors in parallel).
        """
        with self._guard:
            pool = self._pools.get(who.name)
            if pool is None:
                con = open_for(self.db, who)
                pool = [(Assistant(self.db, index=self.index, con=con), threading.Lock())]
                pool += [
                    (Assistant(self.db, index=self.index, con=con.cursor()), threading.Lock()) for _ in range(POOL - 1)
                ]
                self._pools[who.name] = pool
        for bot, lock in pool:
            if not lock.locked():
                return bot, lock
        return pool[0]

    def context(self, session: str, who: Principal) -> Context:
        with self._guard:
            key = f"{who.name}:{session}"
            if key not in self._contexts:
                self._contexts[key] = Context(user_rep_id=who.rep_id)
            return self._contexts[key]

    def new_conversation(self, session: str, who: Principal) -> None:
        with self._guard:
            self._contexts.pop(f"{who.name}:{session}", None)

    def forget_session(self, session: str) -> None:
        with self._guard:
            for key in [k for k in self._contexts if k.endswith(f":{session}")]:
                del self._contexts[key]

    def close_all(self) -> None:
        """Close every connection (before an import or a regeneration rewrites the warehouse)."""
        with self._guard:
            for pool in self._pools.values():
                for bot, lock in reversed(pool):  # cursors first, then the connection they belong to
                    with lock:
                        bot.close()
            self._pools.clear()
            for ctx in self._contexts.values():
                ctx.last_plan, ctx.last_rows, ctx.last_columns = None, [], []

    def ask(self, username: str | None, session: str, question: str) -> dict[str, Any]:
        """The same JSON as `python -m assistant ask --json`, for this user and conversation."""
        try:
            who = self.principal(username)
            bot, lock = self.assistant(who)
            ctx = self.context(session, who)
            with lock:
                ans = bot.ask(question, ctx).to_json()
        except AssistantError as exc:
            return compose_error(question, detect_language(question), exc).to_json()
        if who.role == "trainer":
            ans["notices"] = [TRAINING_LABEL[ans.get("language", "zh")], *ans.get("notices", [])]
        ans["user"] = {"name": who.name, "role": who.role, "rep_id": who.rep_id}
        return ans
