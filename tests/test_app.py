"""The web app as people use it: real HTTP, a real headless browser, sign-in, and the `ask` API.

Screenshots are kept in tests/artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.warehouse.users import UserStore

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SALES_PW, BOSS_PW = "sales-pass-123", "boss-pass-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited early:\n{proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url + "login", timeout=2) as r:  # the sign-in page, or the app itself
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("app did not answer within 120 s")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def rep(sample_db: Path) -> tuple[str, set[str]]:
    con = duckdb.connect(str(sample_db), read_only=True)
    rep_id = con.execute("SELECT rep_id FROM customers GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    mine = {r[0] for r in con.execute("SELECT customer_id FROM customers WHERE rep_id = ?", [rep_id]).fetchall()}
    con.close()
    return rep_id, mine


@pytest.fixture(scope="module")
def multi_user(sample_db: Path, knowledge_index: Path, tmp_path_factory: pytest.TempPathFactory, rep) -> Iterator[str]:
    users = tmp_path_factory.mktemp("users") / "users.json"
    store = UserStore(users)
    store.add("zhangwei", "sales", SALES_PW, rep_id=rep[0])
    store.add("boss", "manager", BOSS_PW)
    proc, url = start(["--db", str(sample_db), "--index", str(knowledge_index), "--users", str(users)])
    yield url
    stop(proc)


@pytest.fixture(scope="module")
def single_user(sample_db: Path, knowledge_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    empty = tmp_path_factory.mktemp("nousers") / "users.json"
    proc, url = start(
        ["--db", str(sample_db), "--index", str(knowledge_index), "--users", str(empty), "--host", "0.0.0.0"]
    )
    yield url
    stop(proc)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (skips the test when it is not installed)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser installs it)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def table_ids(page) -> list[str]:
    """The customer ids in the latest answer's table (every answer keeps its own table in the conversation)."""
    text = page.locator("#chatbot table.ans-table").last.inner_text()
    return [t for t in text.split() if t.startswith("C") and t[1:].isdigit()]


@pytest.mark.browser
def test_single_user_mode_says_so_and_serves_loopback_only(single_user: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(single_user)
    page.get_by_text("单用户模式").first.wait_for(timeout=30_000)
    page.locator("#question textarea").fill("各大区今年的销售额")
    page.locator("#send").click()
    page.get_by_text("按大区的销售额").first.wait_for(timeout=60_000)
    page.locator("#chatbot .js-plotly-plot").first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "app_single_user_chat.png"), full_page=True)
    assert single_user.startswith("http://127.0.0.1:")  # --host 0.0.0.0 was refused without users


@pytest.mark.browser
def test_salesperson_signs_in_and_sees_only_their_customers(multi_user: str, browser, rep) -> None:
    rep_id, mine = rep
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(multi_user)
    page.locator("input[type=password]").wait_for(timeout=30_000)
    page.locator("input[type=text]").fill("zhangwei")
    page.locator("input[type=password]").fill(SALES_PW)
    page.get_by_role("button", name="Login").click()
    page.locator("#question textarea").wait_for(timeout=30_000)

    page.locator("#question textarea").fill("销售额最高的10个客户")
    page.locator("#send").click()
    page.get_by_text("按客户的销售额").first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    ids = table_ids(page)
    assert ids and set(ids) <= mine
    page.screenshot(path=str(ARTIFACTS / "app_sales_top_customers.png"), full_page=True)

    # A follow-up about the second row, then the computation behind it.
    page.locator("#question textarea").fill("第二个客户的详情")
    page.locator("#send").click()
    page.get_by_text("客户档案").first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    assert table_ids(page) == [ids[1]]
    assert page.locator("#chatbot table.ans-table").count() == 2  # the first answer keeps its table
    page.locator("#chatbot").get_by_text("计算过程").last.click()
    page.locator("#chatbot").get_by_text("customer_profile").first.wait_for(timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "app_sales_follow_up.png"), full_page=True)

    # The data tab shows the salesperson's scope, not the whole warehouse.
    page.get_by_role("tab", name="数据 Data").click()
    page.get_by_text(f"仅 {rep_id} 负责的客户").first.wait_for(timeout=30_000)


@pytest.mark.browser
def test_wrong_password_is_refused(multi_user: str, browser) -> None:
    page = browser.new_page()
    page.goto(multi_user)
    page.locator("input[type=text]").fill("zhangwei")
    page.locator("input[type=password]").fill("not-the-password")
    page.get_by_role("button", name="Login").click()
    page.wait_for_timeout(1500)
    assert page.locator("#question textarea").count() == 0


def test_ask_api_applies_the_same_rules(multi_user: str, rep, sample_db: Path) -> None:
    from gradio_client import Client

    _, mine = rep
    sales = Client(multi_user, auth=("zhangwei", SALES_PW), verbose=False).predict("各大区的销售额", api_name="/ask")
    boss = Client(multi_user, auth=("boss", BOSS_PW), verbose=False).predict("各大区的销售额", api_name="/ask")
    for ans in (sales, boss):
        assert {"question", "answer", "tool", "arguments", "data", "sql", "citations", "chart", "notices"} <= set(ans)
    con = duckdb.connect(str(sample_db), read_only=True)
    total = con.execute(
        "SELECT sum(amount) FROM orders JOIN order_items USING (order_id) WHERE status = 'completed'"
    ).fetchone()[0]
    mine_total = con.execute(
        "SELECT sum(amount) FROM orders JOIN order_items USING (order_id) WHERE status = 'completed' AND list_contains(?, customer_id)",
        [sorted(mine)],
    ).fetchone()[0]
    con.close()
    col = boss["data"]["columns"].index("revenue")
    assert round(sum(r[col] for r in boss["data"]["rows"]), 2) == round(float(total), 2)
    assert round(sum(r[col] for r in sales["data"]["rows"]), 2) == round(float(mine_total), 2)
    leak = Client(multi_user, auth=("zhangwei", SALES_PW), verbose=False).predict("客户列表 明细", api_name="/ask")
    cols = leak["data"]["columns"]
    for c in ("customer", "customer_id"):
        if c in cols:
            assert {r[cols.index(c)] for r in leak["data"]["rows"]} <= mine
