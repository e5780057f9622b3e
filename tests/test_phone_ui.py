"""A trainer and a coordinator on a 360 px phone in Hebrew and Gujarati, without JavaScript."""

from __future__ import annotations

import pytest

from .test_browser import browser, server, shot, sign_in  # noqa: F401 - fixtures shared with the other browser tests

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser):  # noqa: F811 - the imported fixture
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("who", ["coordinator.galil", "coordinator.sabarmati"])
def test_header_takes_at_most_a_fifth_of_the_first_screen(phone, server, who):  # noqa: F811
    sign_in(phone, server, who)
    phone.goto(f"{server}/cohorts/")
    height = phone.locator("header.top").bounding_box()["height"]
    shot(phone, f"header-{who}")
    assert height <= 740 / 5, f"{who}: header {height:.0f}px of 740"
    # Every menu entry is still there and reachable (the row scrolls sideways).
    assert phone.locator("header.top nav.nav a").count() >= 6


def test_grid_keeps_the_trainees_name_in_view(phone, server):  # noqa: F811
    sign_in(phone, server, "trainer.sabarmati")
    assert phone.url.rstrip("/").endswith("/cohorts")  # trainers land on their cohorts
    phone.locator("main a[href*='/cohorts/']").first.click()
    grid = phone.locator(".grid").first
    name = grid.locator("th[scope=row]").first
    last = grid.locator("thead th").last
    before, last_before = name.bounding_box()["x"], last.bounding_box()["x"]
    grid.hover()
    phone.mouse.wheel(600, 0)
    phone.wait_for_timeout(300)
    shot(phone, "grid-scrolled-gu")
    assert last.bounding_box()["x"] < last_before - 50  # the columns scrolled sideways
    assert abs(name.bounding_box()["x"] - before) < 2  # the name did not go with them
