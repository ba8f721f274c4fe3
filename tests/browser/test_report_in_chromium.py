"""The drift report of a demo-sized run, opened in headless Chromium and checked by what a
person sees: the drifted stacks stand out, a drill-down opens on its property differences, the
unreachable account is visible. A screenshot is saved under artifacts/ for people to look at.

Chromium is Debian's package (`make browser` installs it; `make test` runs that first).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from emulator.demo import DemoRun

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
# Without the networking switches Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Chromium is not installed: run `make browser` (Debian's chromium package)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def report_page(browser: Browser, demo_run: DemoRun) -> Iterator[Page]:
    ARTIFACTS.mkdir(exist_ok=True)
    report = ARTIFACTS / "report-demo.html"
    report.write_text(demo_run.report_html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report.as_uri())
    yield page
    page.close()
    # Self-contained: the page asked for nothing but itself.
    assert requests == [report.as_uri()]


def test_the_drifted_stacks_are_visible_and_a_drill_down_shows_the_differences(
    report_page: Page,
) -> None:
    page = report_page
    # The heat map: member 1's us-east-1 is drifted, member 3 could not be audited
    heat_map = page.locator("table.heatmap")
    expect(heat_map).to_be_visible()
    drifted_cell = heat_map.locator('td[data-account="111111111111"][data-region="us-east-1"]')
    expect(drifted_cell).to_contain_text("1 drifted")
    expect(heat_map.locator('td[data-account="333333333333"]').first).to_contain_text(
        "audit failed"
    )
    expect(page.get_by_role("heading", name="Targets not audited")).to_be_visible()

    # Every drifted stack is listed, closed, with its badge
    drifted = page.locator('details.stack[data-state="DRIFTED"]')
    names = sorted(drifted.locator(".stack-name").all_inner_texts())
    assert names == ["identity", "orders", "payments", "search"]
    for badge in drifted.locator("summary .badge").all():
        expect(badge).to_be_visible()
        expect(badge).to_have_text("DRIFTED")
    differences = page.locator("#s-111111111111-us-east-1-payments table.sbs")
    expect(differences.first).to_be_hidden()

    # When a person follows the heat map cell and opens the payments stack
    drifted_cell.locator("a").click()
    page.locator("#s-111111111111-us-east-1-payments > summary").click()

    # Then its property differences show side by side: expected (template) against actual
    payments = page.locator("#s-111111111111-us-east-1-payments")
    visibility_timeout = payments.locator(".difference", has_text="/VisibilityTimeout")
    expect(visibility_timeout).to_be_visible()
    row = visibility_timeout.locator("table.sbs tr.changed")
    expect(row).to_be_visible()
    assert [cell.strip() for cell in row.locator("td").all_inner_texts()] == ["60", "120"]
    expect(payments.locator("table.sbs th").first).to_have_text("Expected (template)")
    expect(payments.get_by_text("History")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "report-demo.png"), full_page=True)


def test_a_deleted_resource_and_unchecked_resources_are_shown_in_their_stacks(
    report_page: Page,
) -> None:
    search = report_page.locator("#s-222222222222-us-east-1-search")
    search.locator("summary").click()
    expect(search.get_by_text("The resource no longer exists")).to_be_visible()

    network = report_page.locator("#s-111111111111-us-east-1-network")
    network.locator("summary").click()
    expect(network.get_by_role("heading", name="Not checked")).to_be_visible()
    expect(network.locator("table.list")).to_contain_text("NOT_CHECKED")
