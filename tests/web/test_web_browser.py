"""Issue 16 in a real browser: the sign-out button ends the session, and a trainer gets no data controls."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_app import ARTIFACTS, CHROMIUM, FLAGS
from tests.web.helpers import add_user, server

TRAINER_PW = "train-pass-123"


@pytest.mark.browser
def test_trainer_sees_no_import_or_regenerate_and_signs_out(
    tmp_path: Path, sample_db: Path, knowledge_index: Path
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser installs it)")
    from playwright.sync_api import sync_playwright

    users = tmp_path / "users.json"
    add_user(users, "teacher", "trainer", TRAINER_PW)
    with server("--db", str(sample_db), "--index", str(knowledge_index), "--users", str(users)) as url:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = b.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.locator("input[type=text]").fill("teacher")
            page.locator("input[type=password]").fill(TRAINER_PW)
            page.get_by_role("button", name="Login").click()
            page.locator("#question textarea").wait_for(timeout=30_000)
            page.get_by_text("teacher").first.wait_for(timeout=30_000)
            page.get_by_role("tab", name="数据 Data").click()
            page.get_by_text("全部数据 / all data").first.wait_for(timeout=30_000)
            assert page.locator("#regenerate").count() == 0 or not page.locator("#regenerate").is_visible()
            assert page.locator("#import-run").count() == 0 or not page.locator("#import-run").is_visible()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "app_trainer_data_tab.png"), full_page=True)
            page.locator("#logout").click()
            page.get_by_text("您已退出登录").wait_for(timeout=30_000)
            page.goto(url)
            page.locator("input[type=password]").wait_for(timeout=30_000)
            assert page.locator("#question textarea").count() == 0
            b.close()
