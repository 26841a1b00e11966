"""Delivery webhooks: what Twilio and SendGrid learn after accepting a message.

`POST /webhooks/twilio/status` (Twilio's status callbacks, signed with the auth token) and
`POST /webhooks/sendgrid/events` (SendGrid's signed Event Webhook, ECDSA). An outcome ends the
notification in the ledger and is signalled to its ticket, whose policy falls back after a
failure. The ledger keeps the first final outcome: duplicates and late reports change nothing.
A request whose signature does not verify is refused with 403 before anything is read from it."""

import asyncio
import binascii
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from sendgrid.helpers.eventwebhook import EventWebhook
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from twilio.request_validator import RequestValidator

from contract.signals import DELIVERY_REPORT, DeliveryOutcome, DeliveryReportInput
from starter.api.deps import ApiError, settings, temporal
from starter.api.models import Problem
from starter.api.voice import signed_url
from starter.client import tickets
from store.database import create_store_engine
from store.ledger import NotificationLedger

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
# Twilio's final statuses of a message (MessageStatus) or call (CallStatus); the others (queued,
# sent, ringing, in-progress, ...) are on the way and change nothing. An answered call is
# `completed`: the page rang through.
TWILIO_OUTCOMES: dict[str, DeliveryOutcome] = {
    "delivered": "delivered",
    "completed": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "busy": "busy",
    "no-answer": "no-answer",
}
SENDGRID_OUTCOMES: tuple[DeliveryOutcome, ...] = ("delivered", "bounce", "dropped")


def ledger(request: Request) -> NotificationLedger:
    """The workers' ledger (the records store), opened on first use."""
    state = request.app.state
    if getattr(state, "ledger", None) is None:
        state.ledger = NotificationLedger(create_store_engine())
    return state.ledger


@router.post(
    "/webhooks/twilio/status",
    responses={
        403: {"model": Problem, "description": "X-Twilio-Signature does not match"},
        503: {"model": Problem, "description": "off (no TWILIO_AUTH_TOKEN), or Temporal down"},
    },
)
async def twilio_status(
    request: Request,
    client: Annotated[Client, Depends(temporal)],
    notifications: Annotated[NotificationLedger, Depends(ledger)],
    notification_id: Annotated[str, Query(min_length=1, max_length=255)],
    signature: Annotated[str, Header(alias="X-Twilio-Signature")] = "",
) -> dict[str, str]:
    """A message's or call's status callback (the StatusCallback URL each SMS and call has)."""
    token = settings(request).twilio_auth_token
    if not token:
        raise ApiError(503, "delivery callbacks are off: TWILIO_AUTH_TOKEN is not set")
    form = dict((await request.form()).multi_items())
    fields = {key: str(value) for key, value in form.items()}
    if not RequestValidator(token).validate(signed_url(request), fields, signature):
        raise ApiError(403, "X-Twilio-Signature does not match this request")
    status = fields.get("MessageStatus") or fields.get("CallStatus") or ""
    outcome = TWILIO_OUTCOMES.get(status)
    if outcome is None:
        return {"status": "ignored", "reason": f"status {status or 'missing'!r} is not final"}
    sid = fields.get("MessageSid") or fields.get("CallSid")
    detail = f"twilio {status}" + (
        f" (error {fields['ErrorCode']})" if "ErrorCode" in fields else ""
    )
    return await _report(client, notifications, notification_id, outcome, sid, detail)


@router.post(
    "/webhooks/sendgrid/events",
    responses={
        400: {"model": Problem, "description": "the body is not a JSON array of events"},
        403: {"model": Problem, "description": "the event signature does not verify"},
        503: {
            "model": Problem,
            "description": "off (no SENDGRID_EVENT_PUBLIC_KEY), or Temporal down",
        },
    },
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "array"}}}}},
)
async def sendgrid_events(
    request: Request,
    client: Annotated[Client, Depends(temporal)],
    notifications: Annotated[NotificationLedger, Depends(ledger)],
    signature: Annotated[str, Header(alias=SIGNATURE_HEADER)] = "",
    timestamp: Annotated[str, Header(alias=TIMESTAMP_HEADER)] = "",
) -> dict[str, Any]:
    """A batch of SendGrid events; each carries the notification id as a custom argument."""
    key = settings(request).sendgrid_event_public_key
    if not key:
        raise ApiError(503, "delivery events are off: SENDGRID_EVENT_PUBLIC_KEY is not set")
    raw = await request.body()
    if not _signed_by_sendgrid(key, raw, signature, timestamp):
        raise ApiError(403, "the event webhook signature does not verify")
    try:
        events = json.loads(raw)
    except ValueError:
        raise ApiError(400, "the body is not JSON") from None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise ApiError(400, "the body is not a JSON array of events")
    results = []
    for event in events:
        outcome, nid = event.get("event"), event.get("notification_id")
        if outcome not in SENDGRID_OUTCOMES or not isinstance(nid, str) or not nid:
            continue  # opens, clicks, deferrals, ... or an email sent by something else
        reason = event.get("reason") or event.get("type")
        detail = f"sendgrid {outcome}" + (f": {str(reason)[:500]}" if reason else "")
        provider_id = str(event.get("sg_message_id") or "")[:120] or None
        results.append(await _report(client, notifications, nid, outcome, provider_id, detail))
    return {"status": "ok", "events": results}


def _signed_by_sendgrid(key: str, raw: bytes, signature: str, timestamp: str) -> bool:
    """SendGrid's ECDSA signature over timestamp + the body exactly as received."""
    if not signature or not timestamp:
        return False
    try:
        payload = raw.decode("utf-8")  # the helper takes text; strict, so no byte is altered
        return EventWebhook(key).verify_signature(payload, signature, timestamp)
    except (UnicodeDecodeError, binascii.Error, ValueError):
        return False


async def _report(
    client: Client,
    notifications: NotificationLedger,
    notification_id: str,
    outcome: DeliveryOutcome,
    provider_id: str | None,
    detail: str,
) -> dict[str, str]:
    """To the ticket, then into the ledger: a report the ledger has as final goes nowhere; one
    that reaches the ticket twice (a duplicate racing, a retry after a failed write) is
    ignored there. A ticket that has ended keeps it in the ledger only."""
    ticket_id = await asyncio.to_thread(notifications.open_ticket_of, notification_id)
    if ticket_id is None:
        return {"notification_id": notification_id, "status": "ignored"}
    report = DeliveryReportInput(notification_id=notification_id, outcome=outcome, detail=detail)
    try:
        await tickets.ticket_handle(client, ticket_id).signal(DELIVERY_REPORT, report)
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise  # 503 (api.py): the provider retries
        log.info(
            "%s: ticket %s has ended; %s kept in the ledger", notification_id, ticket_id, outcome
        )
    status = "delivered" if outcome == "delivered" else "failed"
    await asyncio.to_thread(notifications.report, notification_id, status, provider_id, detail)
    log.info("%s %s (%s)", notification_id, outcome, detail)
    return {"notification_id": notification_id, "status": status}
