"""SendGrid Inbound Parse: a customer's reply reaches the ticket as `customer_message`, against
the stack (API and worker processes, the dev server), posted as SendGrid posts it: a multipart
form to the URL holding the Basic credentials. Valid, forged, replayed and malformed requests."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from channel.tokens import Purpose, issue
from starter.api.settings import INBOUND_MAX_BYTES
from tests.customer_channel import CHANNEL, inbound_url, record, reply_to, resolved, survey_token
from tests.inbound_emails import REPLIES, sendgrid_form
from tests.stack import INBOUND_DOMAIN, Stack
from tests.test_api import opened

GMAIL = REPLIES[0]


async def post_email(
    stack: Stack, recipient: str, url: str | None = None, **form: Any
) -> httpx.Response:
    form.setdefault("message_id", f"<{uuid.uuid4().hex}@mail.example.com>")
    headers, body = sendgrid_form(recipient, **form)
    async with httpx.AsyncClient(timeout=40) as sendgrid:
        return await sendgrid.post(url or inbound_url(stack), content=body, headers=headers)


def customer_messages(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in ticket["timeline"] if e["event"] == "customer_message"]


async def test_a_reply_becomes_the_customers_message_without_the_quote(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await opened(http)
    answer = await post_email(stack, reply_to(ticket_id), text=GMAIL.body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["status"], result["ticket_id"]) == ("accepted", ticket_id)
    assert result["requests_escalation"] is False  # the quoted "please escalate" is ours
    assert result["outcome"]["entry"]["details"] == GMAIL.own_words
    messages = customer_messages(await record(http, ticket_id))
    assert [m["details"] for m in messages] == [GMAIL.own_words]


async def test_asking_for_a_manager_escalates(stack: Stack, http: httpx.AsyncClient) -> None:
    ticket_id = await opened(http)
    level = (await record(http, ticket_id))["level"]
    text = "This is the third time. I want to speak to a manager.\n\n" + GMAIL.body
    answer = (await post_email(stack, reply_to(ticket_id), text=text)).json()
    assert answer["requests_escalation"] is True
    assert answer["outcome"]["level"] == level + 1
    timeline = (await record(http, ticket_id))["timeline"]
    escalations = [e for e in timeline if e["event"] == "escalated"]
    assert escalations and "customer_request" in escalations[-1]["reason"]


async def test_a_reply_to_a_resolved_ticket_reopens_it(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await resolved(http)
    answer = (await post_email(stack, reply_to(ticket_id), text="Still broken.")).json()
    assert answer["status"] == "accepted"
    assert answer["outcome"]["state"] != "resolved"
    reasons = [e["reason"] for e in (await record(http, ticket_id))["timeline"]]
    assert "customer_replied_within_follow_up_window" in reasons


async def test_a_reply_to_a_ticket_its_survey_closed_reopens_it_within_the_window(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await resolved(http)
    closed = await http.post(f"/tickets/{ticket_id}/survey", json={"score": 4})
    assert closed.json()["state"] == "closed"
    answer = await post_email(stack, reply_to(ticket_id), text="One more thing")
    assert answer.status_code == 200
    assert answer.json()["status"] == "accepted"
    assert answer.json()["outcome"]["state"] not in ("resolved", "closed")
    [message] = customer_messages(await record(http, ticket_id))
    assert message["details"] == "One more thing"


async def test_attachments_are_listed_by_name_type_and_size(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await opened(http)
    # Larger than any JSON body may be: the inbound route has a limit of its own.
    files = [("screen.png", "image/png", b"\x89PNG" + bytes(300_000))]
    answer = (await post_email(stack, reply_to(ticket_id), text="", attachments=files)).json()
    assert answer["attachments"] == [{"name": "screen.png", "type": "image/png", "size": 300_004}]
    [message] = customer_messages(await record(http, ticket_id))
    assert message["details"] == "Attachments (not kept): screen.png (image/png, 300004 bytes)"


async def test_a_replayed_email_is_recorded_once(stack: Stack, http: httpx.AsyncClient) -> None:
    ticket_id = await opened(http)
    email = {"text": "Here is the request id: 42", "message_id": "<once@mail.example.com>"}
    first = await post_email(stack, reply_to(ticket_id), **email)
    again = await post_email(stack, reply_to(ticket_id), **email)
    assert first.status_code == again.status_code == 200
    assert first.json()["outcome"]["entry"]["seq"] == again.json()["outcome"]["entry"]["seq"]
    assert len(customer_messages(await record(http, ticket_id))) == 1


async def test_wrong_or_missing_credentials_are_401_and_change_nothing(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await opened(http)
    forged = await post_email(stack, reply_to(ticket_id), inbound_url(stack, "guessed"), text="x")
    assert forged.status_code == 401
    assert forged.headers["WWW-Authenticate"] == 'Basic realm="SendGrid Inbound Parse"'
    anonymous = stack.api_url + "/webhooks/sendgrid/inbound"
    assert (await post_email(stack, reply_to(ticket_id), anonymous, text="x")).status_code == 401
    assert customer_messages(await record(http, ticket_id)) == []


async def test_forged_foreign_and_expired_tokens_are_200_ignored(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    ticket_id = await opened(http)
    genuine = reply_to(ticket_id)
    token = genuine.split("+")[1].split("@")[0]
    forged = genuine.replace(token, token[:-2] + ("aa" if token[-2:] != "aa" else "bb"))
    survey_as_reply = f"support+{survey_token(ticket_id)}@{INBOUND_DOMAIN}"
    past = datetime.now(UTC) - timedelta(minutes=1)
    expired = f"support+{issue(CHANNEL.keys, Purpose.REPLY, ticket_id, past)}@{INBOUND_DOMAIN}"
    cases = {
        forged: "not valid",
        survey_as_reply: "not valid",
        expired: "has expired",
        f"support@{INBOUND_DOMAIN}": "no reply address of a ticket",
        "grace@example.com": "no reply address of a ticket",
    }
    for recipient, reason in cases.items():
        answer = await post_email(stack, recipient, text="please escalate")
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "ignored" and reason in answer.json()["reason"]
    assert customer_messages(await record(http, ticket_id)) == []


async def test_automatic_replies_are_ignored(stack: Stack, http: httpx.AsyncClient) -> None:
    ticket_id = await opened(http)
    answer = await post_email(
        stack, reply_to(ticket_id), text="I am away", extra_headers="Auto-Submitted: auto-replied\n"
    )
    assert answer.json()["status"] == "ignored" and "automatic" in answer.json()["reason"]


async def test_malformed_requests_are_refused_with_their_reason(stack: Stack) -> None:
    headers, body = sendgrid_form(reply_to("T-1"), text="hi")
    async with httpx.AsyncClient(timeout=40) as sendgrid:

        async def post(content: bytes, content_type: str) -> httpx.Response:
            return await sendgrid.post(
                inbound_url(stack), content=content, headers={"Content-Type": content_type}
            )

        not_form = await post(b'{"text": "hi"}', "application/json")
        assert not_form.status_code == 415 and "multipart/form-data" in not_form.json()["detail"]
        cut = await post(body[: len(body) // 2], headers["content-type"])
        assert cut.status_code == 400 and "closing boundary" in cut.json()["detail"]
        form = headers["content-type"]
        for broken in (
            body.replace(b'"envelope"', b'"envelopf"'),  # missing
            body.replace(b'{"to": ["', b'{"to": "'),  # not JSON
            body.replace(b'{"to": ["', b'{"to": [1, "'),  # not a list of addresses
        ):
            refused = await post(broken, form)
            assert refused.status_code == 422, refused.text
            assert [e["loc"] for e in refused.json()["detail"]] == [["body", "envelope"]]


async def test_bodies_over_the_inbound_limit_are_413(stack: Stack) -> None:
    """SendGrid's largest messages (30 MB) fit; more is refused before anything reads it."""
    limit = INBOUND_MAX_BYTES
    async with httpx.AsyncClient(timeout=40) as sendgrid:
        refused = await sendgrid.post(
            inbound_url(stack),
            content=bytes(limit + 1),
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )
    assert refused.status_code == 413
    assert refused.json()["detail"] == f"request body over {limit} bytes"
