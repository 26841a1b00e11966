"""Phone acknowledgment: Twilio's Gather callback, signed as Twilio signs it, acknowledges the
ticket for the paged level's on-call; bad signatures get 403 and retries act once."""

import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

from tests.stack import API_KEY, TWILIO_TOKEN, Stack

WEBHOOK = "/webhooks/twilio/voice"


async def phone_page(stack: Stack) -> tuple[str, str]:
    """A new P1 ticket (it pages L4 by phone at once): its id and the page's notification id."""
    ticket_id = f"VOICE-{uuid.uuid4().hex[:8]}"
    body = {
        "ticket_id": ticket_id,
        "customer": {"name": "Grace", "email": "grace@example.com"},
        "subject": "Production down",
        "description": "Every request fails.",
        "priority": "P1",
    }
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"X-API-Key": API_KEY}) as http:
        assert (await http.post("/tickets", json=body)).status_code == 201
        record = (await http.get(f"/tickets/{ticket_id}")).json()
    pages = [n for n in record["notifications"] if n["channel"] == "phone"]
    assert pages and pages[0]["level"] == 4, record["notifications"]
    return ticket_id, pages[0]["notification_id"]


async def callback(
    stack: Stack,
    notification_id: str,
    form: dict[str, str],
    token: str = TWILIO_TOKEN,
    **headers: Any,
) -> httpx.Response:
    url = f"{stack.api_url}{WEBHOOK}?{urlencode({'notification_id': notification_id})}"
    signature = RequestValidator(token).compute_signature(url, form)
    async with httpx.AsyncClient() as http:
        return await http.post(
            url, data=form, headers={"X-Twilio-Signature": signature, **headers}, timeout=40
        )


async def ticket(stack: Stack, ticket_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"X-API-Key": API_KEY}) as http:
        return (await http.get(f"/tickets/{ticket_id}")).json()


async def test_pressing_1_acknowledges_for_the_paged_on_call_once(stack: Stack) -> None:
    ticket_id, notification_id = await phone_page(stack)
    form = {"CallSid": "CA" + uuid.uuid4().hex, "Digits": "1"}
    retry_token = {"I-Twilio-Idempotency-Token": uuid.uuid4().hex}

    first = await callback(stack, notification_id, form, **retry_token)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/xml")
    assert "acknowledged" in first.text and "<Say>" in first.text
    retry = await callback(stack, notification_id, form, **retry_token)
    assert retry.status_code == 200 and retry.text == first.text

    record = await ticket(stack, ticket_id)
    assert record["state"] == "acknowledged"
    acks = [e for e in record["timeline"] if e["event"].startswith("acknowledge")]
    assert [(e["actor"], e["rejected"]) for e in acks] == [("L4 on-call (phone)", False)]


async def test_bad_signature_is_403_and_changes_nothing(stack: Stack) -> None:
    ticket_id, notification_id = await phone_page(stack)
    form = {"CallSid": "CA" + uuid.uuid4().hex, "Digits": "1"}
    forged = await callback(stack, notification_id, form, token="not-the-token")
    assert forged.status_code == 403
    # Signed for other form fields than those sent: also refused.
    url = f"{stack.api_url}{WEBHOOK}?notification_id={notification_id}"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, {**form, "Digits": "2"})
    async with httpx.AsyncClient() as http:
        tampered = await http.post(url, data=form, headers={"X-Twilio-Signature": signature})
    assert tampered.status_code == 403
    assert (await ticket(stack, ticket_id))["state"] == "open"


async def test_other_keys_and_foreign_ids_do_not_acknowledge(stack: Stack) -> None:
    ticket_id, notification_id = await phone_page(stack)
    other_key = await callback(stack, notification_id, {"CallSid": "CA1", "Digits": "2"})
    assert other_key.status_code == 200 and "Not acknowledged" in other_key.text
    assert (await ticket(stack, ticket_id))["state"] == "open"

    email_id = notification_id.replace(":phone:", ":email:")
    wrong = await callback(stack, email_id, {"CallSid": "CA2", "Digits": "1"})
    assert wrong.status_code == 422
    assert [error["loc"] for error in wrong.json()["detail"]] == [["query", "notification_id"]]
