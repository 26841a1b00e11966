"""Tickets and tokens for the customer channel's tests, against the stack's API.

Tokens are made with the stack's own CHANNEL_SECRET, as the worker will make them for the
emails it sends."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from channel.links import reply_address
from channel.settings import ChannelSettings
from channel.tokens import Purpose, TokenKeys, issue
from tests.stack import CHANNEL_SECRET, INBOUND_DOMAIN, INBOUND_PASSWORD, INBOUND_USER, Stack
from tests.test_api import opened

CHANNEL = ChannelSettings(TokenKeys.from_secrets(CHANNEL_SECRET), INBOUND_DOMAIN)


def reply_to(ticket_id: str) -> str:
    return reply_address(CHANNEL, ticket_id)


def survey_token(ticket_id: str, valid_for: timedelta = timedelta(days=7)) -> str:
    return issue(CHANNEL.keys, Purpose.SURVEY, ticket_id, datetime.now(UTC) + valid_for)


def inbound_url(stack: Stack, password: str = INBOUND_PASSWORD) -> str:
    """The URL as SendGrid is given it: the credentials inside."""
    host = stack.api_url.removeprefix("http://")
    return f"http://{INBOUND_USER}:{password}@{host}/webhooks/sendgrid/inbound"


async def resolved(http: httpx.AsyncClient, **overrides: Any) -> str:
    """A ticket acknowledged, answered and resolved: it awaits its survey."""
    ticket_id = await opened(http, **overrides)
    for segment, body in [
        ("acknowledge", {"agent": "sam"}),
        ("respond", {"agent": "sam", "message": "Looking into it"}),
        ("resolve", {"by": "sam", "resolution": "Raised the upload limit"}),
    ]:
        response = await http.post(f"/tickets/{ticket_id}/{segment}", json=body)
        assert response.status_code == 200, response.text
    return ticket_id


async def record(http: httpx.AsyncClient, ticket_id: str) -> dict[str, Any]:
    response = await http.get(f"/tickets/{ticket_id}")
    assert response.status_code == 200, response.text
    return response.json()
