"""The user store: hashed passwords, validation, and the users command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.core.errors import InputError
from assistant.warehouse.users import UserStore, hash_password, verify_password


def test_password_hash_round_trip() -> None:
    h = hash_password("correct horse")
    assert h.startswith("scrypt$") and "correct horse" not in h
    assert verify_password("correct horse", h)
    assert not verify_password("correct hors", h)
    assert hash_password("same") != hash_password("same")  # salted
    assert not verify_password("x", "garbage") and not verify_password("x", "md5$1$2$3$4$5")


def test_add_authenticate_remove(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "u.json")
    store.add("李娜", "sales", "password-123", rep_id="R002")
    store.add("boss", "manager", "password-456")
    raw = (tmp_path / "u.json").read_text(encoding="utf-8")
    assert "password-123" not in raw and "password-456" not in raw
    assert store.authenticate("李娜", "password-123").rep_id == "R002"
    assert store.authenticate("李娜", "wrong-password") is None
    assert store.authenticate("nobody", "password-123") is None
    assert [u.name for u in store.list()] == ["李娜", "boss"]
    store.remove("boss")
    assert len(store) == 1


@pytest.mark.parametrize(
    ("name", "role", "password", "rep", "needle"),
    [
        ("a", "sales", "password-1", "R1", "2–40"),
        ("ok_name", "admin", "password-1", None, "Role"),
        ("ok_name", "sales", "password-1", None, "rep-id"),
        ("ok_name", "manager", "short", None, "8 characters"),
        ("bad name;drop", "manager", "password-1", None, "2–40"),
    ],
)
def test_bad_accounts_are_refused(
    tmp_path: Path, name: str, role: str, password: str, rep: str | None, needle: str
) -> None:
    with pytest.raises(InputError) as err:
        UserStore(tmp_path / "u.json").add(name, role, password, rep_id=rep)
    assert needle in err.value.en
    assert not (tmp_path / "u.json").exists()


def test_duplicate_user(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "u.json")
    store.add("boss", "manager", "password-1")
    with pytest.raises(InputError, match="already exists"):
        store.add("boss", "trainer", "password-2")


def test_users_command(tmp_path: Path) -> None:
    users = tmp_path / "u.json"
    run = lambda *a, stdin=None: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "assistant", "users", *a, "--users", str(users)],
        input=stdin,
        capture_output=True,
        text=True,
    )
    assert run("add", "trainer1", "--role", "trainer", "--password-stdin", stdin="password-xyz\n").returncode == 0
    assert "trainer1\ttrainer" in run("list").stdout
    assert json.loads(users.read_text())["users"][0]["password"].startswith("scrypt$")
    assert run("remove", "trainer1").returncode == 0
    bad = run("remove", "trainer1")
    assert bad.returncode == 2 and "No user trainer1" in bad.stderr


def test_demo_accounts_match_the_sample(tmp_path: Path, sample_db: Path) -> None:
    users = tmp_path / "u.json"
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "users", "demo", "--users", str(users), "--db", str(sample_db)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "zhangwei" in out.stdout
    store = UserStore(users)
    who = store.authenticate("zhangwei", "demo-zhangwei")
    import duckdb

    con = duckdb.connect(str(sample_db), read_only=True)
    assert (
        who is not None and who.rep_id == con.execute("SELECT rep_id FROM sales_reps WHERE name = '张伟'").fetchone()[0]
    )
    con.close()
    assert store.authenticate("manager", "demo-manager").role == "manager"
