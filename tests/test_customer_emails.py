"""Emails to the customer carry the channel: a Reply-To address the inbound webhook accepts and,
on the survey, a link to the survey page. Minted by the activity; the real SendGrid SDK against
the fake provider, and the stack's worker writing to its outbox."""

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from activities.customer_links import CustomerLinks
from activities.delivery import NotificationDelivery, provider_channels
from activities.messages import OutgoingMessage
from activities.outbox import Outbox
from policy import load_policy
from store.ledger import NotificationLedger
from tests.customer_channel import CHANNEL, record, resolved
from tests.databases import prepared_database
from tests.fake_providers import FakeProviders
from tests.stack import Stack
from tests.test_api import opened
from tests.test_inbound_webhook import post_email
from tests.test_survey_link import assert_html_page


def customer_email(ticket_id: str, kind: str = "response", **fields: Any) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=f"{ticket_id}:3:{kind}:L1:email:customer",
        ticket_id=ticket_id,
        channel="email",
        audience="customer",
        recipient="dana@example.com",
        kind=kind,
        level=1,
        priority="P3",
        subject="Re: uploads fail",
        body="Hello Dana,\n\nTry again now.\n",
        **fields,
    )


async def test_the_sendgrid_request_carries_a_reply_to_the_inbound_webhook_accepts(
    stack: Stack, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    ticket_id = await opened(http)
    policy = load_policy()
    with FakeProviders().running() as fake, prepared_database("sqlite", tmp_path) as engine:
        delivery = NotificationDelivery(
            policy.delivery,
            NotificationLedger(engine),
            provider_channels(fake.settings(), policy.delivery),
            Outbox(tmp_path / "outbox"),
            CustomerLinks(CHANNEL),
        )
        receipt = await asyncio.to_thread(delivery.deliver, customer_email(ticket_id))
        [sent] = fake.accepted("email")
    assert receipt.status == "sent"
    reply_address = sent.payload["reply_to"]["email"]
    assert reply_address.startswith("support+") and ticket_id not in reply_address
    answer = await post_email(stack, reply_address, text="It works now, thanks.")
    assert answer.json()["status"] == "accepted", answer.text
    timeline = (await record(http, ticket_id))["timeline"]
    replies = [e["details"] for e in timeline if e["event"] == "customer_message"]
    assert replies == ["It works now, thanks."]


def test_a_team_email_gets_no_reply_address() -> None:
    team = customer_email("T-9").model_copy(update={"audience": "team"})
    assert CustomerLinks(CHANNEL).add(team) == team


async def test_the_survey_email_links_to_the_survey_page(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await resolved(http)
    outbox = Path(stack.env["DATA_DIR"]) / "outbox" / "notifications.jsonl"
    survey = await outboxed(outbox, f"{ticket_id}:", "survey")
    assert survey["reply_to"].startswith("support+")
    [link] = [word for word in survey["body"].split() if word.startswith(stack.api_url)]
    async with httpx.AsyncClient(timeout=40) as browser:
        page = await browser.get(link)
    assert_html_page(page, 200, "How did we do?")


def test_with_the_channel_off_the_survey_goes_without_a_link_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    survey = customer_email("T-9", "survey", link_expires_at="2030-01-01T00:00:00Z")
    with caplog.at_level(logging.WARNING):
        sent = CustomerLinks(None).add(survey)
    assert (sent.body, sent.reply_to) == (survey.body, None)
    assert "survey email sent without its link: CHANNEL_SECRET is not set" in caplog.text


async def outboxed(path: Path, prefix: str, kind: str, timeout: float = 20.0) -> dict[str, Any]:
    """The outbox record of the ticket's message of this kind, once the worker wrote it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        found = [json.loads(line) for line in lines]
        found = [r for r in found if r["id"].startswith(prefix) and r["kind"] == kind]
        if found or asyncio.get_running_loop().time() > deadline:
            assert found, f"no {kind} for {prefix} in the outbox"
            return found[0]
        await asyncio.sleep(0.1)
