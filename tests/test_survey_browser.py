"""A customer answers the survey in a real browser (Debian's Chromium through Playwright, with
JavaScript off) against the stack: the API and worker processes on the dev server. The form is
found by its roles and labels, as assistive technology finds it.

`UPDATE_SCREENSHOT=1` copies the page's screenshot to docs/survey-page.png."""

import os
import shutil
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

from tests.browser import CHROMIUM_FLAGS
from tests.customer_channel import record, resolved, survey_token
from tests.stack import ROOT, Stack

ARTIFACT = ROOT / "tests" / "artifacts" / "survey-page.png"
DOCS_SCREENSHOT = ROOT / "docs" / "survey-page.png"


async def test_a_customer_answers_the_survey_in_a_browser_without_javascript(
    stack: Stack, http: httpx.AsyncClient, chromium: Path
) -> None:
    ticket_id = await resolved(http, subject="Uploads over 10 MB fail")
    url = f"{stack.api_url}/survey/{survey_token(ticket_id)}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_FLAGS
        )
        context = await browser.new_context(
            java_script_enabled=False, viewport={"width": 800, "height": 900}
        )
        page = await context.new_page()
        opened = await page.goto(url)
        assert opened is not None and opened.status == 200
        await page.get_by_role("heading", name="How did we do?").wait_for()
        assert await page.title() == "How did we do? · Support"
        ratings = page.get_by_role("group", name="Your rating (required)")
        assert await ratings.get_by_role("radio").count() == 5

        # Without a rating the browser keeps the form (the radios are required).
        send = page.get_by_role("button", name="Send my rating")
        await send.click()
        assert page.url == url
        assert (await record(http, ticket_id))["state"] == "resolved"

        await ratings.get_by_role("radio", name="4: Very good").check()
        await page.get_by_label("Anything you would like to add? (optional)").fill(
            "Fixed the same day, thank you."
        )
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACT), full_page=True)
        async with page.expect_navigation():
            await send.click()
        await page.get_by_role("heading", name="Thank you for your rating").wait_for()
        assert await page.get_by_text("You rated our help 4 out of 5 (Very good).").count() == 1

        again = await page.goto(url)
        assert again is not None and again.status == 409
        await page.get_by_role("heading", name="You have already answered this survey").wait_for()
        await browser.close()

    ticket = await record(http, ticket_id)
    assert ticket["state"] == "closed"
    assert ticket["survey"]["score"] == 4
    assert ticket["survey"]["comment"] == "Fixed the same day, thank you."
    assert ARTIFACT.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(ARTIFACT, DOCS_SCREENSHOT)
