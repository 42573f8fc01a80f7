"""Sign-in sessions and throttling.

A session is a random token in an HttpOnly cookie, tied to the account's version at sign-in
(``users.account_version``: name, role, rep and password hash). Every request re-reads the account: a
removed account, a changed role, rep or password, an idle session or a missing/empty/corrupt user file
ends it on that request. Failed sign-ins are counted per account and per client; past a limit the
account or client is locked out for a while, without even hashing the password.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from dataclasses import dataclass, field

from assistant.warehouse.access import Principal
from assistant.warehouse.users import UserStore

COOKIE = "assistant_session"


@dataclass
class Session:
    token: str
    name: str
    version: str
    client: str
    created: float
    last_seen: float


@dataclass
class Check:
    """The outcome of looking at a request's session: a principal, or why there is none."""

    who: Principal | None = None
    token: str | None = None
    reason: str = ""  # "", "none", "expired", "revoked", "store"
    zh: str = ""
    en: str = ""


REASONS = {
    "none": ("请先登录。", "Please sign in."),
    "expired": (
        "会话因长时间未操作已过期,请重新登录。",
        "Your session expired after a period of inactivity; sign in again.",
    ),
    "revoked": (
        "您的账号已被删除或更改(角色、负责范围或密码),请重新登录。",
        "Your account was removed or changed (role, customers or password); sign in again.",
    ),
}


class SessionStore:
    def __init__(self, users: UserStore, *, idle_seconds: float, max_seconds: float = 12 * 3600) -> None:
        self.users = users
        self.idle_seconds, self.max_seconds = idle_seconds, max_seconds
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, name: str, client: str) -> str | None:
        acct = self.users.account(name)
        if acct is None:
            return None
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._sessions[token] = Session(token, name, acct[1], client, now, now)
        return token

    def check(self, token: str | None, *, touch: bool = True) -> Check:
        from assistant.warehouse.users import UserStoreUnavailable

        if not token:
            return Check(reason="none", zh=REASONS["none"][0], en=REASONS["none"][1])
        with self._lock:
            s = self._sessions.get(token)
        if s is None:
            return Check(reason="none", zh=REASONS["none"][0], en=REASONS["none"][1])
        now = time.monotonic()
        if now - s.last_seen > self.idle_seconds or now - s.created > self.max_seconds:
            self.end(token)
            return Check(token=token, reason="expired", zh=REASONS["expired"][0], en=REASONS["expired"][1])
        try:
            acct = self.users.account(s.name)
        except UserStoreUnavailable as exc:
            return Check(token=token, reason="store", zh=exc.zh, en=exc.en)
        if acct is None or acct[1] != s.version:
            self.end(token)
            return Check(token=token, reason="revoked", zh=REASONS["revoked"][0], en=REASONS["revoked"][1])
        if touch:
            s.last_seen = now
        return Check(who=acct[0], token=token)

    def end(self, token: str) -> Session | None:
        with self._lock:
            return self._sessions.pop(token, None)

    def expired(self) -> list[Session]:
        """Sessions past their idle or total time, removed (for cleaning their files)."""
        now = time.monotonic()
        with self._lock:
            gone = [
                s
                for s in self._sessions.values()
                if now - s.last_seen > self.idle_seconds or now - s.created > self.max_seconds
            ]
            for s in gone:
                del self._sessions[s.token]
        return gone

    def session(self, token: str) -> Session | None:
        with self._lock:
            return self._sessions.get(token)


@dataclass
class _Counter:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0


@dataclass(frozen=True)
class Policy:
    """Failures allowed within ``window`` seconds before a lockout of ``lock`` seconds."""

    account_failures: int = 5
    client_failures: int = 20
    window: float = 15 * 60
    account_lock: float = 5 * 60
    client_lock: float = 15 * 60


class Throttle:
    def __init__(self, policy: Policy | None = None) -> None:
        self.policy = policy or Policy()
        self._accounts: dict[str, _Counter] = {}
        self._clients: dict[str, _Counter] = {}
        self._lock = threading.Lock()

    def locked(self, name: str, client: str) -> float:
        """Seconds until this account or client may try again; 0 when it may try now."""
        now = time.monotonic()
        with self._lock:
            waits = [c.locked_until - now for c in (self._accounts.get(name), self._clients.get(client)) if c]
        return max([0.0, *waits])

    def failed(self, name: str, client: str) -> None:
        now, p = time.monotonic(), self.policy
        with self._lock:
            for table, key, limit, lock in (
                (self._accounts, name, p.account_failures, p.account_lock),
                (self._clients, client, p.client_failures, p.client_lock),
            ):
                c = table.setdefault(key, _Counter())
                c.failures = [t for t in c.failures if now - t < p.window] + [now]
                if len(c.failures) >= limit:
                    c.locked_until, c.failures = now + lock, []
            if len(self._accounts) > 100_000:  # names are attacker-chosen: keep the table bounded
                self._accounts = {k: v for k, v in self._accounts.items() if v.locked_until > now}

    def succeeded(self, name: str) -> None:
        # Only the account's count is cleared: a client's own good password must not reset its guessing budget.
        with self._lock:
            self._accounts.pop(name, None)


def locked_message(seconds: float) -> tuple[str, str]:
    minutes = max(1, round(seconds / 60))
    return (
        f"登录失败次数过多,请 {minutes} 分钟后再试;如忘记密码请联系管理员。",
        f"Too many failed sign-ins; try again in {minutes} minute(s), or ask the administrator to reset the password.",
    )


LOGIN_FAILED = ("用户名或密码不正确。", "Wrong user name or password.")


def login_page(message: tuple[str, str] | None = None, *, status_note: str = "") -> str:
    note = ""
    if message:
        note = f'<p class="msg" role="alert">{html.escape(message[0])}<br>{html.escape(message[1])}</p>'
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · Sign in — 客户分析助手</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f6f7f9;display:flex;justify-content:center;padding-top:10vh}}
form{{background:#fff;padding:2em;border-radius:8px;box-shadow:0 1px 4px #0002;min-width:300px}}
label{{display:block;margin-top:1em}} input{{width:100%;padding:.5em;box-sizing:border-box}}
button{{margin-top:1.5em;width:100%;padding:.6em;background:#f97316;color:#fff;border:0;border-radius:4px}}
.msg{{color:#b91c1c}}
</style></head>
<body><form method="post" action="login">
<h2>客户分析助手 · Customer-analysis assistant</h2>
<p>请用您的账号登录 / Sign in with your account</p>{note}{status_note}
<label>用户名 / user name<input type="text" name="username" autocomplete="username" required maxlength="64"></label>
<label>密码 / password<input type="password" name="password" autocomplete="current-password" required
 maxlength="1024"></label>
<button type="submit">登录 / Login</button>
</form></body></html>"""
