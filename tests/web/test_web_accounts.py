"""Issue 16, breaks 1–4 and 8: accounts and sessions, attacked through real HTTP and gradio_client.

Each test starts its own server on its own user file and changes accounts with the real CLI, as the
attacker did.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from tests.web.helpers import add_user, ask_page, cli, download_links, login, server

PW, BOSS_PW, TRAINER_PW = "sales-pass-123", "boss-pass-123", "train-pass-123"


def ids(ans: dict[str, Any]) -> set[str]:
    cols, rows = ans["data"]["columns"], ans["data"]["rows"]
    for c in ("customer_id", "customer"):
        if c in cols:
            return {str(r[cols.index(c)]) for r in rows}
    return set()


def top10(client: Client) -> set[str]:
    return ids(client.predict("销售额最高的10个客户", api_name="/ask"))


def start_args(sample_db: Path, knowledge_index: Path, users: Path, *more: str) -> list[str]:
    return ["--db", str(sample_db), "--index", str(knowledge_index), "--users", str(users), *more]


def test_1_reassigned_salesperson_gets_the_new_book_at_once(
    tmp_path: Path, sample_db: Path, knowledge_index: Path, books
) -> None:
    (rep_a, mine_a), (rep_b, mine_b) = books
    users = tmp_path / "users.json"
    add_user(users, "zw", "sales", PW, rep_a)
    with server(*start_args(sample_db, knowledge_index, users)) as url:
        old = Client(url, auth=("zw", PW), verbose=False)
        old_http = login(url, "zw", PW)
        first = top10(old)
        assert first and first <= mine_a
        assert cli("users", "remove", "zw", "--users", str(users)).returncode == 0
        add_user(users, "zw", "sales", PW, rep_b)
        # The old sign-in is over on its very next request, on every route.
        assert old_http.get("/config").status_code == 401
        with pytest.raises(Exception):  # noqa: B017 — gradio_client raises its own error for the 401
            old.predict("销售额最高的10个客户", api_name="/ask")
        again = top10(Client(url, auth=("zw", PW), verbose=False))
        assert again and again <= mine_b and not again & mine_a


def test_2_demoted_manager_keeps_nothing(tmp_path: Path, sample_db: Path, knowledge_index: Path, books) -> None:
    (rep_a, mine_a), _ = books
    users = tmp_path / "users.json"
    add_user(users, "boss", "manager", BOSS_PW)
    with server(*start_args(sample_db, knowledge_index, users)) as url:
        old_http = login(url, "boss", BOSS_PW)
        everyone = top10(Client(url, auth=("boss", BOSS_PW), verbose=False))
        assert len(everyone) == 10 and not everyone <= mine_a  # a manager's top 10 spans reps
        cli("users", "remove", "boss", "--users", str(users))
        add_user(users, "boss", "sales", BOSS_PW, rep_a)
        assert old_http.get("/config").status_code == 401
        assert old_http.post("/gradio_api/upload", files=[("files", ("a.csv", b"x", "text/csv"))]).status_code == 401
        now = top10(Client(url, auth=("boss", BOSS_PW), verbose=False))
        assert now and now <= mine_a


@pytest.mark.parametrize("damage", ["missing", "empty", "no users", "corrupt"])
def test_3_a_broken_user_file_refuses_everyone(
    tmp_path: Path, sample_db: Path, knowledge_index: Path, books, damage: str
) -> None:
    (rep_a, _), _ = books
    users = tmp_path / "users.json"
    add_user(users, "zw", "sales", PW, rep_a)
    saved = users.read_bytes()
    with server(*start_args(sample_db, knowledge_index, users)) as url:
        http = login(url, "zw", PW)
        assert http.get("/config").status_code == 200
        if damage == "missing":
            users.unlink()
        elif damage == "empty":
            users.write_text("")
        elif damage == "no users":
            users.write_text(json.dumps({"users": []}))
        else:
            users.write_text('{"users": [{"name": "zw", "role":')
        r = http.get("/config")
        assert r.status_code == 503
        assert "users.json" in r.json()["en"] and "refused" in r.json()["en"] and "用户文件" in r.json()["zh"]
        ask = http.post("/gradio_api/call/ask", json={"data": ["各大区的销售额"]})
        assert ask.status_code == 503  # never the local manager's view of everything
        fresh = http.post("/login", data={"username": "zw", "password": PW})
        assert fresh.status_code == 503
        page = http.get("/", headers={"accept": "text/html"})
        assert page.status_code == 503 and "用户文件" in page.text
        users.write_bytes(saved)
        assert http.get("/config").status_code == 200  # the same session works again once the file is back


def test_4_a_manager_and_a_trainer_ask_at_the_same_time(tmp_path: Path, sample_db: Path, knowledge_index: Path) -> None:
    users = tmp_path / "users.json"
    add_user(users, "boss", "manager", BOSS_PW)
    add_user(users, "teacher", "trainer", TRAINER_PW)
    with server(*start_args(sample_db, knowledge_index, users)) as url:
        clients = {
            "boss": Client(url, auth=("boss", BOSS_PW), verbose=False),
            "teacher": Client(url, auth=("teacher", TRAINER_PW), verbose=False),
        }
        answers: dict[str, list[dict[str, Any]]] = {"boss": [], "teacher": []}

        def ask(name: str) -> None:
            for q in ("各大区的销售额", "销售额最高的10个客户", "各大区的销售额"):
                answers[name].append(clients[name].predict(q, api_name="/ask"))

        threads = [threading.Thread(target=ask, args=(n,)) for n in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name, got in answers.items():
            assert len(got) == 3
            for ans in got:
                assert ans["tool"] and ans["data"]["rows"], (name, ans["answer"])
        assert answers["boss"][0]["data"] == answers["teacher"][0]["data"]
        assert "培训模式" in answers["teacher"][0]["notices"][0]


def test_8_removal_password_change_logout_and_idle_end_every_session(
    tmp_path: Path, sample_db: Path, knowledge_index: Path, books
) -> None:
    (rep_a, _), (rep_b, _) = books
    users = tmp_path / "users.json"
    add_user(users, "zw", "sales", PW, rep_a)
    add_user(users, "lina", "sales", PW, rep_b)
    add_user(users, "boss", "manager", BOSS_PW)
    audit = tmp_path / "audit.jsonl"
    with server(*start_args(sample_db, knowledge_index, users, "--audit", str(audit))) as url:
        # Removal: config, uploads and downloads all refused with the old cookie.
        zw = login(url, "zw", PW)
        download = download_links(ask_page(zw, "销售额最高的10个客户"))[0]
        assert zw.get(download).status_code == 200
        cli("users", "remove", "zw", "--users", str(users))
        assert zw.get("/config").status_code == 401
        assert zw.get(download).status_code == 401
        assert zw.post("/gradio_api/upload", files=[("files", ("a.csv", b"x", "text/csv"))]).status_code == 401
        assert zw.post("/gradio_api/call/ask", json={"data": ["各大区的销售额"]}).status_code == 401
        # Password change: the old session stops; the new password works, the old one does not.
        lina = login(url, "lina", PW)
        assert (
            cli("users", "passwd", "lina", "--password-stdin", "--users", str(users), stdin="new-pass-456\n").returncode
            == 0
        )
        assert lina.get("/config").status_code == 401
        assert lina.post("/login", data={"username": "lina", "password": PW}).status_code == 401
        login(url, "lina", "new-pass-456")
        # Logout ends the session on the server, not just in the browser.
        boss = login(url, "boss", BOSS_PW)
        cookie = dict(boss.cookies)
        assert boss.get("/logout").status_code == 303
        import httpx

        replay = httpx.Client(base_url=url, cookies=cookie)
        assert replay.get("/config").status_code == 401
        page = replay.get("/", headers={"accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
    events = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    assert {"session_ended", "sign_out"} <= {e["event"] for e in events}
    assert PW not in audit.read_text(encoding="utf-8")


def test_8_sessions_expire_when_idle(tmp_path: Path, sample_db: Path, knowledge_index: Path, books) -> None:
    users = tmp_path / "users.json"
    add_user(users, "zw", "sales", PW, books[0][0])
    with server(*start_args(sample_db, knowledge_index, users, "--session-idle-minutes", "0.02")) as url:
        http = login(url, "zw", PW)
        assert http.get("/config").status_code == 200
        time.sleep(2.5)  # idle longer than 1.2 s: waiting for the expiry, not measuring speed
        r = http.get("/config")
        assert r.status_code == 401 and "expired" in r.json()["en"]
