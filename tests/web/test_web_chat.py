"""The conversation as a person uses it, in headless Chromium: every answer keeps its table and chart, headers in
the asker's language, sortable tables, follow-up chips, 👎 with a correction that a manager accepts, and a page
that works at phone width. Screenshots at desktop and phone width are kept in tests/artifacts/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_app import ARTIFACTS
from tests.test_app import chromium as launch
from tests.web.helpers import add_user, cli, event, login, outputs, server

SALES_PW, BOSS_PW = "sales-pass-123", "boss-pass-123"
RAW_NAMES = {"revenue", "customer_name", "customer", "month", "region", "orders"}


@pytest.fixture(scope="module")
def site(sample_db: Path, knowledge_index: Path, tmp_path_factory: pytest.TempPathFactory, books) -> Iterator[tuple]:
    """A multi-user server on its own copy of the sample (its feedback file is this test's own)."""
    work = tmp_path_factory.mktemp("chat")
    db = work / "warehouse.duckdb"
    shutil.copy(sample_db, db)
    users = work / "users.json"
    add_user(users, "li", "sales", SALES_PW, rep=books[0][0])
    add_user(users, "boss", "manager", BOSS_PW)
    with server("--db", str(db), "--index", str(knowledge_index), "--users", str(users)) as url:
        yield url, db


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    with launch() as b:
        yield b


def signed_in(chromium, url: str, name: str, password: str, width: int = 1280, height: int = 1000):
    page = chromium.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.locator("input[type=text]").fill(name)
    page.locator("input[type=password]").fill(password)
    page.get_by_role("button", name="Login").click()
    page.locator("#question textarea").wait_for(timeout=30_000)
    return page


def ask(page, question: str, *, tables: int | None = None, texts: int | None = None) -> None:
    """Type a question and press Enter; wait until the answer (its n-th table, or n-th answer text) is there."""
    before = page.locator("#chatbot .bot-row").count()
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    if tables is not None:
        page.wait_for_function(
            "n => document.querySelectorAll('#chatbot table.ans-table').length >= n", arg=tables, timeout=90_000
        )
    else:
        page.wait_for_function(
            "([n, w]) => document.querySelectorAll('#chatbot .bot-row').length > n && "
            "!document.querySelector('#chatbot').innerText.includes(w)",
            arg=[before, "正在计算"],
            timeout=90_000,
        )
    page.wait_for_timeout(800)


def headers(page, nth: int) -> list[str]:
    return page.locator("#chatbot table.ans-table").nth(nth).locator("th").all_inner_texts()


@pytest.mark.browser
def test_two_answers_keep_two_tables_and_two_charts_in_the_askers_language(site, chromium) -> None:
    page = signed_in(chromium, site[0], "boss", BOSS_PW, height=1400)
    ask(page, "华东区今年销售额前十的客户", tables=1)
    ask(page, "今年每月的销售额", tables=2)
    assert page.locator("#chatbot table.ans-table").count() == 2
    assert page.locator("#chatbot .js-plotly-plot").count() == 2
    first, second = headers(page, 0), headers(page, 1)
    assert "销售额" in first and "客户名称" in first and "月" in second, (first, second)
    assert not RAW_NAMES & {h.strip(" ▲▼") for h in first + second}
    # numbers read in 万, the raw value kept for sorting and hovering
    cell = page.locator("#chatbot table.ans-table").first.locator("td.num").first
    assert cell.inner_text().endswith("万") and float(cell.get_attribute("title")) > 10_000
    # a chart's title and axis in Chinese
    chart = page.locator("#chatbot .js-plotly-plot").first.inner_text()
    assert "销售额" in chart and "revenue" not in chart
    # the second question and the start of its answer, with the first answer's chart above it
    page.locator("#chatbot .user-row").nth(1).scroll_into_view_if_needed()
    page.locator("#chatbot").screenshot(path=str(ARTIFACTS / "chat_two_answers_desktop.png"))

    # sorting by a header click: ascending by revenue, then descending
    table = page.locator("#chatbot table.ans-table").first
    table.locator("th").nth(2).click()
    low = float(table.locator("tbody tr").first.locator("td.num").get_attribute("title"))
    table.locator("th").nth(2).click()
    high = float(table.locator("tbody tr").first.locator("td.num").get_attribute("title"))
    assert low < high

    # a follow-up chip asks its question: a third answer with its own table
    chip = page.locator("#chatbot button", has_text="各大区的销售额").first
    chip.click()
    page.wait_for_function("() => document.querySelectorAll('#chatbot table.ans-table').length >= 3", timeout=90_000)
    assert "大区" in headers(page, 2)
    page.close()


@pytest.mark.browser
def test_an_english_question_gets_english_headers_and_a_download(site, chromium) -> None:
    page = signed_in(chromium, site[0], "boss", BOSS_PW)
    ask(page, "top 10 customers by revenue this year", tables=1)
    hs = headers(page, 0)
    assert "Revenue" in hs or "revenue" not in hs, hs
    assert not any("\u4e00" <= ch <= "\u9fff" for h in hs for ch in h), hs  # no Chinese header in English
    link = page.locator("#chatbot a", has_text="answer.csv").first
    with page.expect_download() as got:
        link.click()
    path = got.value.path()
    head = Path(path).read_text(encoding="utf-8-sig").splitlines()[0]
    assert "Revenue" in head or "revenue" in head.lower(), head  # readable headers, raw values
    # the data's Chinese values by their English names, the value itself on hover
    ask(page, "revenue by region this year", tables=2)
    named = page.locator("#chatbot table.ans-table").nth(1).locator("td.named")
    assert named.count() == 7, named.count()
    shown = {named.nth(i).get_attribute("title"): named.nth(i).inner_text() for i in range(named.count())}
    assert shown["华东"] == "East China" and shown["西南"] == "Southwest China", shown
    page.close()


@pytest.mark.browser
def test_a_thumbs_down_with_a_correction_teaches_the_assistant(site, chromium) -> None:
    url, db = site
    page = signed_in(chromium, url, "li", SALES_PW)
    assert not page.get_by_role("tab", name="反馈 Feedback").is_visible()  # managers only
    asked = "我们的金主爸爸都有谁"
    ask(page, asked)
    assert page.locator("#chatbot table.ans-table").count() == 0  # not understood: a clarification
    page.locator("#chatbot").get_by_role("button", name="Dislike").last.click()
    page.locator("#correction textarea").wait_for(timeout=30_000)
    page.locator("#correction textarea").fill("今年销售额前十的客户")
    page.locator("#send-correction").click()
    page.get_by_text("纠正已提交").first.wait_for(timeout=30_000)

    listed = json.loads(cli("feedback", "list", "--json", "--db", str(db)).stdout)
    mine = [i for i in listed if i["question"] == asked]
    assert len(mine) == 1 and mine[0]["verdict"] == "down" and mine[0]["correction"] == "今年销售额前十的客户"
    assert mine[0]["who"] == "li" and mine[0]["answer"]["question"] == asked

    # the manager sees it on the feedback tab
    boss = signed_in(chromium, url, "boss", BOSS_PW)
    boss.get_by_role("tab", name="反馈 Feedback").click()
    boss.wait_for_function(
        "q => (document.querySelector('#feedback-table')?.innerText || '').includes(q)", arg=asked, timeout=30_000
    )
    boss.screenshot(path=str(ARTIFACTS / "chat_feedback_review.png"), full_page=True)
    boss.close()

    done = cli("feedback", "accept", str(mine[0]["id"]), "--db", str(db))
    assert done.returncode == 0, done.stderr
    ask(page, asked, tables=1)  # the same server, no restart: now answered
    hs = headers(page, 0)
    assert "销售额" in hs and page.locator("#chatbot table.ans-table").first.locator("tbody tr").count() == 10
    assert "按团队确认过的说法理解" in page.locator("#chatbot").inner_text()
    page.locator("#chatbot").screenshot(path=str(ARTIFACTS / "chat_feedback_taught.png"))
    page.close()


@pytest.mark.browser
def test_the_page_fits_a_phone(site, chromium) -> None:
    page = signed_in(chromium, site[0], "boss", BOSS_PW, width=390, height=844)
    ask(page, "RFM分析", tables=1)  # a wide table: it scrolls inside itself, the page does not
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    wrap = page.locator("#chatbot .ans-table-wrap").first
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")  # the table scrolls within its own box
    box = page.locator("#question textarea").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(ARTIFACTS / "chat_phone.png"))
    page.close()


def test_only_a_manager_can_review_feedback_whatever_the_page_shows(site) -> None:
    """The feedback actions check the caller's role on every call (fail closed), not only the tab's visibility."""
    url, db = site
    from assistant.warehouse.feedback import FeedbackStore, feedback_path

    store = FeedbackStore(feedback_path(db))
    fid = store.add(who="li", role="sales", question="别的说法", answer={}, verdict="down", correction="今年的销售额")
    sales = login(url, "li", SALES_PW)
    for button in ("feedback-accept", "feedback-reject"):
        said = outputs(event(sales, button, [fid, "", "new"]))[1]
        assert "Only managers" in said
    listed = outputs(event(sales, "feedback-refresh", ["all"]))
    assert "Only managers" in listed[1] and not listed[0]["data"]
    assert store.get(fid).status == "new"
    boss = login(url, "boss", BOSS_PW)
    bad = outputs(event(boss, "feedback-accept", [fid, "天气怎么样", "new"]))[1]
    assert "not understood" in bad and store.get(fid).status == "new"
    said = outputs(event(boss, "feedback-accept", [fid, "", "new"]))[1]
    assert f"#{fid}" in said and store.get(fid).status == "accepted" and store.get(fid).rewrite == "今年的销售额"
