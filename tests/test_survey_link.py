"""The survey link: its page, its answer and every way it can fail, each an HTML page with its
status (never a trace), against the stack's API and worker. The browser test is
tests/test_survey_browser.py."""

from datetime import timedelta

import httpx
import pytest

from channel.links import reply_address
from tests.customer_channel import CHANNEL, record, resolved, survey_token
from tests.stack import Stack
from tests.test_api import opened


async def page(stack: Stack, token: str, form: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=40) as browser:
        if form is None:
            return await browser.get(f"/survey/{token}")
        return await browser.post(f"/survey/{token}", data=form)


def assert_html_page(response: httpx.Response, status: int, heading: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert f"<h1>{heading}</h1>" in response.text
    assert "Traceback" not in response.text and "detail" not in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_the_form_offers_five_labelled_scores_and_a_comment(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await resolved(http, subject="Uploads <b>fail</b>")
    shown = await page(stack, survey_token(ticket_id))
    assert_html_page(shown, 200, "How did we do?")
    for value, label in [(1, "Poor"), (5, "Excellent")]:
        assert f'<label for="score-{value}"><input type="radio" id="score-{value}"' in shown.text
        assert f"{value}: {label}</label>" in shown.text
    assert '<label for="comment">' in shown.text and '<textarea id="comment"' in shown.text
    assert "<script" not in shown.text
    # The subject is the customer's text: shown as text, never as markup.
    assert "Uploads &lt;b&gt;fail&lt;/b&gt;" in shown.text


async def test_answering_records_the_score_and_closes_the_ticket_once(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await resolved(http)
    token = survey_token(ticket_id)
    thanks = await page(stack, token, {"score": "4", "comment": "Quick, thanks"})
    assert_html_page(thanks, 200, "Thank you for your rating")
    assert "4 out of 5 (Very good)" in thanks.text
    ticket = await record(http, ticket_id)
    assert ticket["state"] == "closed"
    assert (ticket["survey"]["score"], ticket["survey"]["comment"]) == (4, "Quick, thanks")

    # The same form again (a reload) is the same answer: thanked again, or told it is in.
    reload = await page(stack, token, {"score": "4", "comment": "Quick, thanks"})
    assert reload.status_code in (200, 409) and "Traceback" not in reload.text
    answered = [
        e for e in (await record(http, ticket_id))["timeline"] if e["event"] == "survey_answered"
    ]
    assert len(answered) == 1

    again = await page(stack, token, {"score": "1"})
    assert_html_page(again, 409, "You have already answered this survey")
    assert (await record(http, ticket_id))["survey"]["score"] == 4
    assert_html_page(await page(stack, token), 409, "You have already answered this survey")


async def test_a_closed_ticket_without_an_answer_says_the_survey_closed(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await resolved(http)
    await http.post(f"/tickets/{ticket_id}/reopen", json={"by": "sam", "reason": "again"})
    assert_html_page(
        await page(stack, survey_token(ticket_id)), 409, "There is nothing to rate yet"
    )


@pytest.mark.parametrize(
    ("token", "status", "heading"),
    [
        ("not-a-token", 404, "This survey link is not valid"),
        ("a" * 40, 404, "This survey link is not valid"),
        ("%00%ff", 404, "This survey link is not valid"),
    ],
)
async def test_forged_links_get_a_clear_page(
    stack: Stack, token: str, status: int, heading: str
) -> None:
    assert_html_page(await page(stack, token), status, heading)
    assert_html_page(await page(stack, token, {"score": "5"}), status, heading)


async def test_a_tampered_expired_or_foreign_token_is_refused(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await resolved(http)
    token = survey_token(ticket_id)
    tampered = token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb")
    expired = survey_token(ticket_id, valid_for=timedelta(seconds=-1))
    reply = reply_address(CHANNEL, ticket_id).split("+")[1].split("@")[0]
    unknown_ticket = survey_token("NO-SUCH-TICKET")
    for bad, status, heading in [
        (tampered, 404, "This survey link is not valid"),
        (reply, 404, "This survey link is not valid"),
        (unknown_ticket, 404, "This survey link is not valid"),
        (expired, 410, "This survey has closed"),
    ]:
        assert_html_page(await page(stack, bad, {"score": "5"}), status, heading)
    assert (await record(http, ticket_id))["state"] == "resolved"


async def test_a_ticket_still_being_worked_on_has_nothing_to_rate(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await opened(http)
    answered = await page(stack, survey_token(ticket_id), {"score": "5"})
    assert_html_page(answered, 409, "There is nothing to rate yet")
    assert (await record(http, ticket_id))["survey"] is None


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "Choose a rating from 1 to 5."),
        ({"score": "6", "comment": "kept"}, "Choose a rating from 1 to 5."),
        ({"score": "five"}, "Choose a rating from 1 to 5."),
        ({"score": "3", "comment": "x" * 5001}, "at most 5000"),
    ],
)
async def test_a_wrong_answer_shows_the_form_again_with_what_to_correct(
    stack: Stack, http: httpx.AsyncClient, form: dict[str, str], error: str
) -> None:
    ticket_id = await resolved(http)
    shown = await page(stack, survey_token(ticket_id), form)
    assert_html_page(shown, 422, "How did we do?")
    assert 'role="alert"' in shown.text and error in shown.text
    if form.get("comment") == "kept":
        assert ">kept</textarea>" in shown.text
    assert (await record(http, ticket_id))["state"] == "resolved"


async def test_a_body_that_is_no_form_shows_the_form_again(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await resolved(http)
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=40) as browser:
        for content_type, body in [
            ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
            ("application/json", b'{"score": 5}'),
        ]:
            shown = await browser.post(
                f"/survey/{survey_token(ticket_id)}",
                content=body,
                headers={"Content-Type": content_type},
            )
            assert_html_page(shown, 422, "How did we do?")
    assert (await record(http, ticket_id))["state"] == "resolved"
