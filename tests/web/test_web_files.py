"""Issue 16, breaks 5, 6, 7, 9 and 10, the out-of-book question, and an audited session, through real HTTP.

Page events are fired through Gradio's queue by their element ids, exactly as the browser (or an attacker
replaying the browser's requests) does; accounts are changed with the real CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from tests.web.helpers import add_user, ask_page, cli, download_links, event, login, outputs, server, text_of

PW, BOSS_PW, TRAINER_PW = "sales-pass-123", "boss-pass-123", "train-pass-123"
HEADER = "客户编号,客户名称,大区,城市,行业,规模,获客渠道,注册日期,负责销售,信用额度\n"


def customers(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM customers").fetchone()[0]
    finally:
        con.close()


def upload(client: httpx.Client, name: str, data: bytes) -> httpx.Response:
    return client.post("/gradio_api/upload", files=[("files", (name, data, "text/csv"))])


def file_data(path: str, name: str) -> dict[str, Any]:
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


@pytest.fixture
def site(tmp_path: Path, sample_db: Path, knowledge_index: Path, books):
    """A server on its own copy of the sample, with a manager, a trainer and two salespeople."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    users = tmp_path / "users.json"
    add_user(users, "boss", "manager", BOSS_PW)
    add_user(users, "teacher", "trainer", TRAINER_PW)
    add_user(users, "zw", "sales", PW, books[0][0])
    add_user(users, "lina", "sales", PW, books[1][0])
    audit = tmp_path / "audit.jsonl"
    args = ["--db", str(db), "--index", str(knowledge_index), "--users", str(users), "--audit", str(audit)]
    with server(*args, "--max-upload-mb", "2") as url:
        yield url, db, audit, users


def test_5_only_managers_regenerate_with_confirmation_and_a_backup(site, tmp_path: Path) -> None:
    url, db, _, _ = site
    before = customers(db)
    teacher = login(url, "teacher", TRAINER_PW)
    said = outputs(event(teacher, "regenerate", [10, 1, True]))[0]
    assert "Only managers" in said and customers(db) == before
    assert upload(teacher, "customers_new.csv", HEADER.encode()).status_code == 403  # no import either
    boss = login(url, "boss", BOSS_PW)
    unconfirmed = outputs(event(boss, "regenerate", [10, 1, False]))[0]
    assert "confirmation" in unconfirmed and customers(db) == before
    done = outputs(event(boss, "regenerate", [10, 1, True]))[0]
    assert "backup" in done and customers(db) == 10
    assert customers(db.with_name(db.name + ".bak")) == before  # restorable
    assert cli("data", "restore", "--db", str(db)).returncode == 0 and customers(db) == before
    # Once it holds imported data, the page refuses to replace it; the command line needs --force.
    csv = (HEADER + "C900001,导入有限公司,华东,上海,制造业,小型,展会,2026-01-05,R001,50000\n").encode("utf-8")
    path = upload(boss, "customers_new.csv", csv).json()[0]
    report = outputs(event(boss, "import-run", [[file_data(path, "customers_new.csv")], "customers", "append", ""]))
    assert "customers" in report[0]
    refused = outputs(event(boss, "regenerate", [10, 1, True]))[0]
    assert "imported data" in refused and customers(db) == before + 1
    forced = cli("data", "generate", "--customers", "10", "--db", str(db))
    assert forced.returncode == 2 and "--force" in forced.stderr


def test_6_exports_are_served_only_to_their_owner(site) -> None:
    url, db, _, _ = site
    zw, lina, boss = login(url, "zw", PW), login(url, "lina", PW), login(url, "boss", BOSS_PW)
    link = download_links(ask_page(zw, "销售额最高的10个客户"))[0]
    assert zw.get(link).status_code == 200 and zw.get(link).content.startswith("\ufeff".encode())
    for other in (lina, boss):
        assert other.get(link).status_code == 404
    for path in ("/etc/passwd", str(db), str(db.parent / "users.json")):
        assert boss.get(f"/gradio_api/file={path}").status_code == 404
    assert httpx.get(url + link.lstrip("/")).status_code == 401  # nobody signed in


def test_7_password_guessing_is_throttled_and_locked_out(site) -> None:
    url, _, audit, _ = site
    guesser = httpx.Client(base_url=url)
    codes = [guesser.post("/login", data={"username": "zw", "password": f"guess-{i}"}).status_code for i in range(8)]
    assert codes == [401] * 5 + [429] * 3
    locked = guesser.post("/login", data={"username": "zw", "password": PW})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0 and "Too many" in locked.json()["en"]
    login(url, "lina", PW)  # another account from the same client is not locked by zw's failures
    # One client spraying many accounts is locked out as a client, whatever name it tries next.
    other = httpx.Client(base_url=url, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    sprayed = [other.post("/login", data={"username": f"u{i}", "password": "x" * 9}).status_code for i in range(21)]
    assert sprayed[:20] == [401] * 20 and sprayed[20] == 429
    assert other.post("/login", data={"username": "boss", "password": BOSS_PW}).status_code == 429
    login(url, "boss", BOSS_PW)  # from another address the manager still signs in
    text = audit.read_text(encoding="utf-8")
    events = [json.loads(line)["event"] for line in text.splitlines()]
    assert events.count("sign_in_failed") >= 25 and "sign_in_locked" in events
    assert "guess-1" not in text and PW not in text


def test_9_uploads_are_for_managers_capped_and_rejects_are_capped(site) -> None:
    url, db, _, _ = site
    zw, boss = login(url, "zw", PW), login(url, "boss", BOSS_PW)
    assert upload(zw, "customers_new.csv", HEADER.encode()).status_code == 403
    big = upload(boss, "big.csv", b"x" * (3 * 1024 * 1024))
    assert big.status_code == 413 and "2 MB" in big.json()["en"]
    rows = "".join(
        f"C9{i:05d},坏日期{i}有限公司,华东,上海,制造业,小型,展会,2026-13-45,R001,50000\n" for i in range(12_000)
    )
    path = upload(boss, "customers_bad.csv", (HEADER + rows).encode("utf-8")).json()[0]
    out = outputs(event(boss, "import-run", [[file_data(path, "customers_bad.csv")], "customers", "append", ""]))
    assert "nothing changed" in out[0] and str(db.parent) not in out[0]  # no server paths in the message
    rejects = out[1]
    got = boss.get("/" + rejects["url"].split("://", 1)[1].split("/", 1)[1])
    assert got.status_code == 200 and got.text.count("\n") <= 10_001
    assert not Path(path).exists()  # the upload is not kept
    assert not list(db.parent.glob("*.rejects.csv"))  # no full-size rejects file left beside the warehouse
    assert not list(db.parent.glob("*.importing*"))
    assert zw.get("/" + rejects["url"].split("://", 1)[1].split("/", 1)[1]).status_code == 404


def test_10_questions_are_answered_during_an_import(site) -> None:
    url, db, _, _ = site
    boss, zw, lina = login(url, "boss", BOSS_PW), login(url, "zw", PW), login(url, "lina", PW)
    n = 150_000
    rows = "".join(f"C8{i:06d},新客户{i}有限公司,华东,上海,制造业,小型,展会,2026-01-05,R001,50000\n" for i in range(n))
    path = upload(boss, "customers_new.csv", b"")  # an empty file is fine; the cap is 2 MB, so the rows go in parts
    assert path.status_code == 200
    parts = []
    chunk = 12_000
    lines = rows.splitlines(keepends=True)
    for k in range(0, len(lines), chunk):
        body = (HEADER + "".join(lines[k : k + chunk])).encode("utf-8")
        parts.append(file_data(upload(boss, f"customers_{k}.csv", body).json()[0], f"customers_{k}.csv"))
    before = customers(db)
    done = threading.Event()
    result: dict[str, Any] = {}

    def run_import() -> None:
        result["out"] = outputs(event(boss, "import-run", [parts, "customers", "append", ""]))
        done.set()

    answered: list[tuple[bool, dict[str, Any]]] = []
    t = threading.Thread(target=run_import)
    t.start()
    while not done.is_set():
        for who in (zw, lina):
            r = who.post("/gradio_api/call/ask", json={"data": ["各大区的销售额"]})
            during = not done.is_set()
            event_id = r.json()["event_id"]
            body = who.get(f"/gradio_api/call/ask/{event_id}").text
            data = json.loads(body.split("data:", 1)[1].strip().splitlines()[0])[0]
            answered.append((during, data))
    t.join()
    assert "customers" in result["out"][0] and customers(db) == before + n
    during = [a for d, a in answered if d]
    assert during, "the import finished before any question was asked: make it larger"
    for ans in during:
        assert ans["tool"] and ans["data"]["rows"], ans["answer"]
    info = outputs(event(boss, "refresh-info", []))[0]
    assert f"{before + n:,}" in info  # the new data is in use at once


def test_a_customer_outside_the_book_is_not_answered_about(site, books) -> None:
    url, _, _, _ = site
    (_, mine), (_, theirs) = books
    zw = login(url, "zw", PW)
    other = sorted(theirs)[0]
    ans = text_of(ask_page(zw, f"{other} 的详情"))
    assert "不在您负责的客户中" in ans and other in ans
    own = text_of(ask_page(zw, f"{sorted(mine)[0]} 的详情"))
    assert "不在您负责的客户中" not in own and "客户档案" in own


def test_the_audit_log_records_a_session_end_to_end(site) -> None:
    url, _, audit, _ = site
    zw = login(url, "zw", PW)
    assert zw.get(download_links(ask_page(zw, "销售额最高的10个客户"))[0]).status_code == 200
    zw.get("/logout")
    out = cli("audit", "search", "--user", "zw", "--audit", str(audit), "--json")
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "sign_in" and kinds[-1] == "sign_out"
    assert {"question", "export", "download"} <= set(kinds)
    q = next(e for e in events if e["event"] == "question")
    assert q["tool"] and q["sql"] and q["rows"] == 10 and q["question"] == "销售额最高的10个客户"
    assert PW not in audit.read_text(encoding="utf-8")
    assert oct(os.stat(audit).st_mode & 0o777) == "0o600"
    tail = cli("audit", "tail", "-n", "3", "--audit", str(audit))
    assert tail.returncode == 0 and "sign_out" in tail.stdout
