"""What every part of the web app shares: sessions, sign-in, files, audit log and settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.warehouse.access import Principal
from assistant.warehouse.audit import AuditLog
from assistant.web.auth import COOKIE, SessionStore, Throttle
from assistant.web.files import FileStore
from assistant.web.sessions import Sessions

ABS_PATH = re.compile(r"(?:[A-Za-z]:)?(?:/[^/\s'\"`()<>,;:,;:]+){2,}/([^/\s'\"`()<>,;:,;:]+)")


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 7860
    idle_minutes: float = 30.0
    max_upload_mb: float = 100.0
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None

    @property
    def secure(self) -> bool:
        return bool(self.ssl_certfile and self.ssl_keyfile)


@dataclass
class Caller:
    who: Principal
    token: str | None  # the sign-in session (None in single-user mode)
    browser: str  # the Gradio session of this browser tab


@dataclass
class Web:
    sessions: Sessions
    files: FileStore
    audit: AuditLog
    settings: Settings
    store: SessionStore | None = None  # None in single-user mode
    throttle: Throttle = field(default_factory=Throttle)

    @property
    def multi_user(self) -> bool:
        return self.sessions.multi_user

    def caller(self, request: Any) -> Caller:
        """The signed-in user of a Gradio event, checked against their account as it is now."""
        username = getattr(request, "username", None) if request is not None else None
        raw = getattr(request, "request", None)
        token = raw.cookies.get(COOKIE) if raw is not None and hasattr(raw, "cookies") else None
        browser = (getattr(request, "session_hash", None) if request is not None else None) or "api"
        return Caller(self.sessions.principal(username), token, browser)


def hide_paths(text: str) -> str:
    """Messages for users name files, not the server's folders."""
    return ABS_PATH.sub(lambda m: m.group(1), text)


def upload_limit_bytes(settings: Settings) -> int:
    return int(settings.max_upload_mb * 1024 * 1024)


def under(path: str | Path, root: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(root)
    except (OSError, ValueError):
        return False
