"""Delivery webhooks against the stack (API and worker processes), signed as the providers sign
them with the real helpers: Twilio's status callbacks (RequestValidator) and SendGrid's Event
Webhook (ECDSA P-256, a key pair made for the tests). Valid, forged, replayed and malformed.

The stack's worker has no provider credentials (its messages go to the outbox), so the test
writes the ledger row a worker writes once the provider took the message."""

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Engine, select
from twilio.request_validator import RequestValidator

from activities.messages import OutgoingMessage
from store.database import create_store_engine
from store.ledger import ChannelRules, NotificationLedger
from store.schema import notification_events
from tests.sendgrid_signing import signed_headers
from tests.stack import TWILIO_TOKEN, Stack
from tests.test_voice_webhook import phone_page, ticket

STATUS = "/webhooks/twilio/status"
EVENTS = "/webhooks/sendgrid/events"


def store(stack: Stack) -> Engine:
    data = Path(stack.env["DATA_DIR"])
    return create_store_engine(stack.env.get("DATABASE_URL") or f"sqlite:///{data / 'records.db'}")


def sent_by_provider(engine: Engine, entry: dict[str, Any], ticket_id: str, sid: str) -> None:
    """The ledger row of a message the provider accepted (what the worker records)."""
    message = OutgoingMessage(
        notification_id=entry["notification_id"],
        ticket_id=ticket_id,
        channel=entry["channel"],
        audience=entry["audience"],
        recipient=entry["recipient"],
        kind=entry["kind"],
        level=entry["level"],
        priority="P1",
        subject="Production down",
        body="",
    )
    ledger = NotificationLedger(engine)
    assert ledger.claim(message, ChannelRules("keep")).send
    ledger.settle(message.notification_id, "sent", sid)


def events_of(engine: Engine, notification_id: str) -> list[str]:
    query = select(notification_events.c.status).where(
        notification_events.c.notification_id == notification_id
    )
    with engine.connect() as db:
        return list(db.execute(query.order_by(notification_events.c.event_id)).scalars())


async def status_callback(
    stack: Stack, notification_id: str, form: dict[str, str], token: str = TWILIO_TOKEN
) -> httpx.Response:
    url = f"{stack.api_url}{STATUS}?{urlencode({'notification_id': notification_id})}"
    signature = RequestValidator(token).compute_signature(url, form)
    async with httpx.AsyncClient(timeout=40) as http:
        return await http.post(url, data=form, headers={"X-Twilio-Signature": signature})


async def entries(stack: Stack, ticket_id: str, wanted: int) -> list[dict[str, Any]]:
    """The ticket's notifications once it has at least `wanted` (deliveries finish later)."""
    for _ in range(100):
        found = (await ticket(stack, ticket_id))["notifications"]
        if len(found) >= wanted:
            return found
        await asyncio.sleep(0.1)
    return found


async def notification(stack: Stack, ticket_id: str, notification_id: str) -> dict[str, Any]:
    notifications = (await ticket(stack, ticket_id))["notifications"]
    [found] = [n for n in notifications if n["notification_id"] == notification_id]
    return found


async def sent_page(stack: Stack, sid: str) -> tuple[str, str, Engine]:
    """A new P1 ticket whose phone page the provider took as `sid`."""
    ticket_id, page_id = await phone_page(stack)
    engine = store(stack)
    sent_by_provider(engine, await notification(stack, ticket_id, page_id), ticket_id, sid)
    return ticket_id, page_id, engine


async def test_an_unanswered_page_is_failed_in_the_ledger_and_rung_again_later_once(
    stack: Stack,
) -> None:
    ticket_id, page_id, engine = await sent_page(stack, "CA0001")
    form = {"CallSid": "CA0001", "CallStatus": "no-answer", "AccountSid": "AC1"}
    answer = await status_callback(stack, page_id, form)
    assert answer.json() == {"notification_id": page_id, "status": "failed"}, answer.text
    assert NotificationLedger(engine).status(page_id) == "failed"
    for _ in range(100):
        failed = await notification(stack, ticket_id, page_id)
        if failed["retry_at"]:
            break
        await asyncio.sleep(0.1)
    assert (failed["status"], failed["error"]) == ("failed", "phone no-answer: twilio no-answer")
    # The shipped policy calls again a minute later (tests/test_call_retries.py follows it up).
    after = (await ticket(stack, ticket_id))["notifications"]
    assert [n for n in after if n["fallback_for"]] == []
    assert (await ticket(stack, ticket_id))["deadlines"]["call_retry"] == failed["retry_at"]

    # Twilio repeats itself: the same callback, and a late "completed", change nothing.
    again = await status_callback(stack, page_id, form)
    late = await status_callback(stack, page_id, {**form, "CallStatus": "completed"})
    assert again.json()["status"] == late.json()["status"] == "ignored"
    assert events_of(engine, page_id) == ["pending", "sent", "failed"]
    assert len((await ticket(stack, ticket_id))["notifications"]) == len(after)


async def test_a_delivered_report_marks_it_and_progress_reports_are_ignored(stack: Stack) -> None:
    ticket_id, page_id, engine = await sent_page(stack, "SM0001")
    queued = await status_callback(
        stack, page_id, {"MessageSid": "SM0001", "MessageStatus": "sent"}
    )
    assert queued.json()["status"] == "ignored"
    delivered = await status_callback(
        stack, page_id, {"MessageSid": "SM0001", "MessageStatus": "delivered"}
    )
    assert delivered.json()["status"] == "delivered"
    assert NotificationLedger(engine).status(page_id) == "delivered"
    for _ in range(100):
        entry = await notification(stack, ticket_id, page_id)
        if entry["status"] == "delivered":
            break
        await asyncio.sleep(0.1)
    assert entry["status"] == "delivered"


async def test_a_forged_or_unsigned_status_callback_is_403_and_changes_nothing(
    stack: Stack,
) -> None:
    _ticket_id, page_id, engine = await sent_page(stack, "CA0002")
    form = {"CallSid": "CA0002", "CallStatus": "busy"}
    forged = await status_callback(stack, page_id, form, token="not-the-auth-token")
    url = f"{stack.api_url}{STATUS}?{urlencode({'notification_id': page_id})}"
    async with httpx.AsyncClient(timeout=40) as http:
        unsigned = await http.post(url, data=form)
        # Signed for another notification, replayed against this one.
        other = f"{stack.api_url}{STATUS}?{urlencode({'notification_id': 'T-1:1:x:L1:sms:team'})}"
        moved = await http.post(
            url,
            data=form,
            headers={
                "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(other, form)
            },
        )
    assert [r.status_code for r in (forged, unsigned, moved)] == [403, 403, 403]
    assert NotificationLedger(engine).status(page_id) == "sent"
    assert events_of(engine, page_id) == ["pending", "sent"]


async def test_a_malformed_status_callback_is_refused_or_ignored(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=40) as http:
        no_id = await http.post(f"{stack.api_url}{STATUS}", data={"CallStatus": "busy"})
    assert no_id.status_code == 422
    unknown = await status_callback(stack, "T-none:1:x:L1:phone:team", {"CallStatus": "busy"})
    assert unknown.json()["status"] == "ignored"
    no_status = await status_callback(stack, "T-none:1:x:L1:phone:team", {"CallSid": "CA9"})
    assert no_status.json()["status"] == "ignored"


async def customer_email(stack: Stack) -> tuple[str, str, Engine]:
    """A P1 ticket's acknowledgment email to the customer, sent by SendGrid (in the ledger)."""
    ticket_id, _page = await phone_page(stack)
    found = await entries(stack, ticket_id, 1)
    for _ in range(100):
        emails = [n for n in found if (n["channel"], n["audience"]) == ("email", "customer")]
        if emails:
            break
        await asyncio.sleep(0.1)
        found = (await ticket(stack, ticket_id))["notifications"]
    engine = store(stack)
    sent_by_provider(engine, emails[0], ticket_id, "sg-0001")
    return ticket_id, emails[0]["notification_id"], engine


def sendgrid_event(notification_id: str, event: str, **more: Any) -> dict[str, Any]:
    return {
        "email": "grace@example.com",
        "timestamp": 1_700_000_000,
        "event": event,
        "sg_event_id": f"ev-{event}",
        "sg_message_id": "sg-0001.filter",
        "notification_id": notification_id,
        **more,
    }


async def post_events(stack: Stack, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=40) as http:
        return await http.post(f"{stack.api_url}{EVENTS}", content=body, headers=headers)


async def test_a_bounced_email_is_failed_and_the_dashboard_told_once(stack: Stack) -> None:
    ticket_id, email_id, engine = await customer_email(stack)
    body = json.dumps(
        [
            sendgrid_event(email_id, "processed"),
            sendgrid_event(email_id, "bounce", reason="550 5.1.1 no such user"),
        ]
    ).encode()
    answer = await post_events(stack, body, signed_headers(body))
    assert answer.status_code == 200, answer.text
    assert answer.json()["events"] == [{"notification_id": email_id, "status": "failed"}]
    assert NotificationLedger(engine).status(email_id) == "failed"
    for _ in range(100):
        record = await ticket(stack, ticket_id)
        alerts = [n for n in record["notifications"] if n["kind"] == "email_delivery_failed"]
        if alerts:
            break
        await asyncio.sleep(0.1)
    assert len(alerts) == 1
    failed = [e for e in record["timeline"] if e["reason"] == "email_failed"]
    assert failed and "550 5.1.1 no such user" in failed[0]["details"]

    # SendGrid sends the same batch again: ignored, recorded once.
    replayed = await post_events(stack, body, signed_headers(body))
    assert replayed.json()["events"] == [{"notification_id": email_id, "status": "ignored"}]
    assert events_of(engine, email_id) == ["pending", "sent", "failed"]


async def test_a_forged_or_unsigned_event_batch_is_403_and_changes_nothing(stack: Stack) -> None:
    _ticket_id, email_id, engine = await customer_email(stack)
    body = json.dumps([sendgrid_event(email_id, "bounce")]).encode()
    other_key = ec.generate_private_key(ec.SECP256R1())
    altered = body.replace(b"bounce", b"dropped")
    answers = [
        await post_events(stack, body, signed_headers(body, key=other_key)),
        await post_events(stack, body, {"Content-Type": "application/json"}),
        await post_events(stack, altered, signed_headers(body)),
        await post_events(
            stack,
            body,
            signed_headers(body, timestamp="1700000000")
            | {"X-Twilio-Email-Event-Webhook-Timestamp": "1700000001"},
        ),
    ]
    assert [a.status_code for a in answers] == [403, 403, 403, 403]
    assert NotificationLedger(engine).status(email_id) == "sent"
    assert events_of(engine, email_id) == ["pending", "sent"]


async def test_a_malformed_event_batch_is_400_and_unknown_events_are_skipped(
    stack: Stack,
) -> None:
    for body in (b"not json", b'{"event": "bounce"}', b"[1, 2]"):
        answer = await post_events(stack, body, signed_headers(body))
        assert answer.status_code == 400, body
    body = json.dumps(
        [
            {"event": "bounce", "email": "x@example.com"},  # no notification id: not ours
            sendgrid_event("T-none:1:x:L1:email:customer", "delivered"),
            sendgrid_event("T-none:1:x:L1:email:customer", "open"),
        ]
    ).encode()
    answer = await post_events(stack, body, signed_headers(body))
    assert answer.json()["events"] == [
        {"notification_id": "T-none:1:x:L1:email:customer", "status": "ignored"}
    ]
