"""The user store: accounts with a role, an optional rep id, and a password hashed with scrypt.

A JSON file (default data/users.json; ``--users`` or env ASSISTANT_USERS), written atomically.
Passwords are never stored: only ``scrypt$n$r$p$salt$hash``, checked in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from functools import cache
from pathlib import Path
from typing import Any

from assistant.core.config import DATA_DIR
from assistant.core.errors import AssistantError, InputError
from assistant.warehouse.access import ROLES, Principal

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
NAME_RE = re.compile(r"^[\w.\-@\u4e00-\u9fff]{2,40}$")
MIN_PASSWORD = 8


def users_path(flag: str | Path | None = None) -> Path:
    return Path(flag or os.environ.get("ASSISTANT_USERS") or DATA_DIR / "users.json").expanduser()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(base64.b64decode(digest)),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(8))


class UserStoreUnavailable(AssistantError):
    """The user file is missing, empty or unreadable: a multi-user server refuses everyone until it is fixed."""


def account_version(record: dict[str, Any]) -> str:
    """A fingerprint of everything that grants access: name, role, rep and password hash.

    A session remembers it at sign-in; any change (role, rep, password, or remove-and-add, which draws a new
    salt) gives a different fingerprint, so the old session stops working on its next request.
    """
    parts = [record.get("name"), record.get("role"), record.get("rep_id"), record.get("password")]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:24]


def _unavailable(path: Path, why_zh: str, why_en: str) -> UserStoreUnavailable:
    return UserStoreUnavailable(
        f"用户文件 {path.name} {why_zh};为安全起见,所有人都被拒绝登录。请让管理员恢复该文件,"
        "或用 `python -m assistant users add` 重新添加用户。",
        f"The user file {path.name} {why_en}; for safety everyone is refused. Ask the administrator to restore "
        "it, or add users again with `python -m assistant users add`.",
    )


class UserStore:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = users_path(path)
        self._cache: tuple[tuple[int, int, int], dict[str, dict[str, Any]]] | None = None

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        st = self.path.stat()
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        data = json.loads(self.path.read_text(encoding="utf-8"))
        users = {u["name"]: u for u in data.get("users", [])}
        self._cache = (key, users)
        return users

    def load_strict(self) -> dict[str, dict[str, Any]]:
        """The accounts, or UserStoreUnavailable when the file is missing, empty or corrupt (fail closed)."""
        if not self.path.exists():
            raise _unavailable(self.path, "不存在", "is missing")
        try:
            users = self._load()
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _unavailable(self.path, "无法读取", "cannot be read") from exc
        if not users:
            raise _unavailable(self.path, "中没有任何用户", "holds no users")
        return users

    def account(self, name: str) -> tuple[Principal, str] | None:
        """The account's principal and version, strictly (see load_strict); None for an unknown name."""
        u = self.load_strict().get(name)
        if u is None:
            return None
        return Principal(u["name"], u["role"], u.get("rep_id")), account_version(u)

    def _save(self, users: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others, not even briefly
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"users": list(users.values())}, ensure_ascii=False, indent=2))
        os.replace(tmp, self.path)
        self._cache = None

    def add(self, name: str, role: str, password: str, rep_id: str | None = None) -> Principal:
        if not NAME_RE.match(name):
            raise InputError(
                "用户名需为 2–40 个字母、数字、汉字或 . - _ @。",
                "User names are 2–40 letters, digits, Chinese characters or . - _ @.",
            )
        if role not in ROLES:
            raise InputError(f"角色必须是 {'/'.join(ROLES)} 之一。", f"Role must be one of {', '.join(ROLES)}.")
        if role == "sales" and not rep_id:
            raise InputError("销售账号必须指定 --rep-id。", "A sales account needs --rep-id.")
        if len(password) < MIN_PASSWORD:
            raise InputError(
                f"密码至少 {MIN_PASSWORD} 个字符。", f"The password needs at least {MIN_PASSWORD} characters."
            )
        users = dict(self._load())
        if name in users:
            raise InputError(f"用户 {name} 已存在;先删除再添加。", f"User {name} already exists; remove it first.")
        who = Principal(name, role, rep_id)
        users[name] = {"name": name, "role": role, "rep_id": rep_id, "password": hash_password(password)}
        self._save(users)
        return who

    def set_password(self, name: str, password: str) -> None:
        """A new password; every session of the account ends (its version changes)."""
        if len(password) < MIN_PASSWORD:
            raise InputError(
                f"密码至少 {MIN_PASSWORD} 个字符。", f"The password needs at least {MIN_PASSWORD} characters."
            )
        users = dict(self._load())
        if name not in users:
            raise InputError(f"没有用户 {name}。", f"No user {name}.")
        users[name] = {**users[name], "password": hash_password(password)}
        self._save(users)

    def remove(self, name: str) -> None:
        users = dict(self._load())
        if name not in users:
            raise InputError(f"没有用户 {name}。", f"No user {name}.")
        del users[name]
        self._save(users)

    def list(self) -> list[Principal]:
        return [Principal(u["name"], u["role"], u.get("rep_id")) for u in self._load().values()]

    def get(self, name: str) -> Principal | None:
        u = self._load().get(name)
        return Principal(u["name"], u["role"], u.get("rep_id")) if u else None

    def authenticate(self, name: str, password: str) -> Principal | None:
        u = self.load_strict().get(name)
        if u is None:
            verify_password(password, _dummy_hash())  # the same work as for a real user: no timing hint
            return None
        return Principal(u["name"], u["role"], u.get("rep_id")) if verify_password(password, u["password"]) else None

    def __len__(self) -> int:
        return len(self._load())
