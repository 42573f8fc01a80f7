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
from assistant.core.errors import InputError
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


class UserStore:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = users_path(path)

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return {u["name"]: u for u in data.get("users", [])}

    def _save(self, users: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"users": list(users.values())}, ensure_ascii=False, indent=2), encoding="utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

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
        users = self._load()
        if name in users:
            raise InputError(f"用户 {name} 已存在;先删除再添加。", f"User {name} already exists; remove it first.")
        who = Principal(name, role, rep_id)
        users[name] = {"name": name, "role": role, "rep_id": rep_id, "password": hash_password(password)}
        self._save(users)
        return who

    def remove(self, name: str) -> None:
        users = self._load()
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
        u = self._load().get(name)
        if u is None:
            verify_password(password, _dummy_hash())  # the same work as for a real user: no timing hint
            return None
        return Principal(u["name"], u["role"], u.get("rep_id")) if verify_password(password, u["password"]) else None

    def __len__(self) -> int:
        return len(self._load())
