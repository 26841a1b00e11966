"""The customer channel's routes in process (no Temporal needed for these answers): off without
its settings, and every ignored email logged with its reason."""

import logging
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import pytest_asyncio

from channel.settings import ChannelSettings
from channel.tokens import TokenKeys
from starter.api.app import create_app
from starter.api.settings import ApiSettings
from tests.inbound_emails import sendgrid_form
from tests.stack import INBOUND_PASSWORD, INBOUND_USER

CHANNEL = ChannelSettings(TokenKeys.from_secrets("c" * 32), "reply.example.test")
ClientOf = Callable[[ApiSettings], httpx.AsyncClient]


@pytest_asyncio.fixture
async def client_of() -> AsyncIterator[ClientOf]:
    clients: list[httpx.AsyncClient] = []

    def make(settings: ApiSettings) -> httpx.AsyncClient:
        app = create_app(settings)
        app.state.temporal = None  # these answers never reach Temporal
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def post_email(client: httpx.AsyncClient, recipient: str) -> httpx.Response:
    headers, body = sendgrid_form(recipient, text="Hello")
    return await client.post(
        "/webhooks/sendgrid/inbound",
        content=body,
        headers=headers,
        auth=(INBOUND_USER, INBOUND_PASSWORD),
    )


@pytest.mark.parametrize(
    "settings",
    [
        ApiSettings(inbound_password=INBOUND_PASSWORD),  # no CHANNEL_SECRET
        ApiSettings(channel=ChannelSettings(CHANNEL.keys), inbound_password=INBOUND_PASSWORD),
        ApiSettings(channel=CHANNEL),  # no SENDGRID_INBOUND_PASSWORD
    ],
    ids=["no secret", "no inbound domain", "no inbound password"],
)
async def test_replies_are_off_without_their_settings(
    client_of: ClientOf, settings: ApiSettings
) -> None:
    refused = await post_email(client_of(settings), "support+x@reply.example.test")
    assert refused.status_code == 503
    assert "customer replies are off" in refused.json()["detail"]


async def test_the_survey_is_an_unavailable_page_without_a_secret(client_of: ClientOf) -> None:
    page = await client_of(ApiSettings()).get("/survey/anything")
    assert page.status_code == 503
    assert "<h1>The survey is not available right now</h1>" in page.text


async def test_ignored_emails_are_logged_with_the_reason(
    client_of: ClientOf,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = client_of(ApiSettings(channel=CHANNEL, inbound_password=INBOUND_PASSWORD))
    with caplog.at_level(logging.INFO, logger="starter.channel"):
        answer = await post_email(client, "support+forged@reply.example.test")
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    [line] = [r for r in caplog.records if r.name == "starter.channel"]
    assert line.levelno == logging.WARNING
    assert line.getMessage() == (
        "inbound email ignored: the reply address's token is not valid (forged or damaged) "
        "(from=grace@example.com message-id=<reply-1@mail.example.com>)"
    )
