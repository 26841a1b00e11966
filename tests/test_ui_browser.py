"""The Temporal Web UI tells a ticket's story: headless Chromium (Debian's package, driven by
Playwright) filters `TicketPriority = "P1"`, finds the sample P1 ticket and reads its summary and
current details. `make test` installs Chromium when it is missing; in CI nothing is skipped.

This module opens the sample tickets on the shared dev server, so it runs after test_cli's
"samples open exactly three tickets" (pytest runs modules in name order)."""

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from playwright.async_api import Page, async_playwright

from tests.browser import CHROMIUM_FLAGS
from tests.stack import ROOT, Stack

ARTIFACT = ROOT / "tests" / "artifacts" / "ui-p1-ticket.png"
README_SCREENSHOT = ROOT / "docs" / "ui-p1-ticket.png"
P1 = "SAMPLE-P1-OUTAGE"


async def shown(page: Page, text: str, timeout: float = 30.0) -> None:
    """Wait until some frame of the page shows text."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for frame in page.frames:
            if await frame.get_by_text(text, exact=False).count():
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the UI never showed {text!r}")


async def test_ui_filters_p1_and_shows_the_tickets_story(stack: Stack, chromium: Path) -> None:
    samples = subprocess.run(
        [sys.executable, "-m", "starter", "samples"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert samples.returncode == 0, samples.stderr
    query = quote('TicketPriority = "P1"')
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_FLAGS
        )
        page = await browser.new_page(viewport={"width": 1440, "height": 1000})
        await page.goto(f"{stack.ui_url}/namespaces/default/workflows?query={query}")
        row = page.get_by_role("link", name=f"ticket-{P1}").first
        await row.wait_for(timeout=30_000)
        # The filter applies: the P2 and P4 samples are not listed.
        assert await page.get_by_text("ticket-SAMPLE-P2-API").count() == 0
        await row.click()
        await page.get_by_role("tab", name="User Metadata").click()
        # Summary, details and current details render as Markdown inside frames.
        await shown(page, f"{P1} · P1 · L4 · Production API down for all users")
        await shown(page, "Grace Hopper")
        await shown(page, "breach, dashboard alert, re-alert L4")  # what a passing deadline does
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACT), full_page=True)
        await browser.close()
    assert ARTIFACT.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(ARTIFACT, README_SCREENSHOT)
