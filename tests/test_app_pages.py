"""The data and knowledge pages in a real browser: import a file as a manager, search the methodology."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from assistant.warehouse.users import UserStore
from tests.test_app import ARTIFACTS, CHROMIUM, FLAGS, start, stop

BOSS_PW = "boss-pass-123"


@pytest.fixture(scope="module")
def server(
    sample_db: Path, knowledge_index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    work = tmp_path_factory.mktemp("pages")
    db = work / "warehouse.duckdb"
    shutil.copy(sample_db, db)  # this server's imports must not touch the shared sample
    UserStore(work / "users.json").add("boss", "manager", BOSS_PW)
    proc, url = start(["--db", str(db), "--index", str(knowledge_index), "--users", str(work / "users.json")])
    yield url, db
    stop(proc)


@pytest.fixture
def page(server: tuple[str, Path]):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser installs it)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        pg = b.new_page(viewport={"width": 1280, "height": 1000})
        pg.goto(server[0])
        pg.locator("input[type=text]").fill("boss")
        pg.locator("input[type=password]").fill(BOSS_PW)
        pg.get_by_role("button", name="Login").click()
        pg.locator("#question textarea").wait_for(timeout=30_000)
        yield pg
        b.close()


def wait_for_text(page, selector: str, text: str, timeout_s: float = 30) -> None:
    for _ in range(int(timeout_s * 4)):
        if text in page.locator(selector).inner_text():
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"{text!r} did not appear in {selector}: {page.locator(selector).inner_text()[:500]}")


@pytest.mark.browser
def test_knowledge_search_shows_citations(page) -> None:
    page.get_by_role("tab", name="知识库 Knowledge").click()
    page.locator("#kb-query textarea").fill("净推荐值怎么算")
    page.locator("#kb-search").click()
    wait_for_text(page, "#kb-hits", "satisfaction.md")
    page.screenshot(path=str(ARTIFACTS / "app_knowledge_search.png"), full_page=True)


@pytest.mark.browser
def test_manager_imports_a_file_with_a_report(page, server: tuple[str, Path], tmp_path: Path) -> None:
    _, db = server
    csv = tmp_path / "customers_new.csv"
    csv.write_text(
        "客户编号,客户名称,大区,城市,行业,规模,获客渠道,注册日期,负责销售,信用额度\n"
        "C900001,测试导入有限公司,华东,上海,制造业,小型,展会,2026-01-05,R001,50000\n",
        encoding="utf-8",
    )
    page.get_by_role("tab", name="数据 Data").click()
    page.locator("#import-files input[type=file]").set_input_files(str(csv))
    page.get_by_label("目标 / target").click()
    page.get_by_role("option", name="customers").click()
    page.get_by_label("append").check()
    page.locator("#import-run").click()
    wait_for_text(page, "#import-report", "customers", timeout_s=60)
    page.screenshot(path=str(ARTIFACTS / "app_data_import.png"), full_page=True)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT name FROM customers WHERE customer_id = 'C900001'").fetchone()[0] == "测试导入有限公司"
    con.close()


@pytest.mark.browser
def test_a_bad_file_shows_its_error_and_changes_nothing(page, server: tuple[str, Path], tmp_path: Path) -> None:
    _, db = server
    con = duckdb.connect(str(db), read_only=True)
    before = con.execute("SELECT count(*) FROM customers").fetchone()[0]
    con.close()
    bad = tmp_path / "customers_bad.csv"
    bad.write_text(
        "客户编号,客户名称,大区,城市,行业,规模,获客渠道,注册日期,负责销售,信用额度\n"
        "C900002,坏日期有限公司,华东,上海,制造业,小型,展会,2026-13-45,R001,50000\n",
        encoding="utf-8",
    )
    page.get_by_role("tab", name="数据 Data").click()
    page.locator("#import-files input[type=file]").set_input_files(str(bad))
    page.get_by_label("目标 / target").click()
    page.get_by_role("option", name="customers").click()
    page.get_by_label("append").check()
    page.locator("#import-run").click()
    wait_for_text(page, "#import-report", "2026-13-45", timeout_s=60)
    text = page.locator("#import-report").inner_text()
    assert "nothing changed" in text and "signup_date" in text
    page.locator("text=warehouse.rejects.csv").first.wait_for(timeout=10_000)  # the rejected rows to download
    page.screenshot(path=str(ARTIFACTS / "app_data_import_error.png"), full_page=True)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == before
    con.close()
