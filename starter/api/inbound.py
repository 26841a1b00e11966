"""`POST /webhooks/sendgrid/inbound`: a customer's reply by email becomes `customer_message`.

SendGrid Inbound Parse posts every email received at CHANNEL_INBOUND_DOMAIN, authenticated by
the HTTP Basic credentials written into the URL it was given (docs/customer-channel.md). The
ticket comes from the token in the reply address. An email that is not a reply to a live ticket
is answered 200 and logged: SendGrid retries any other answer for three days."""

import hashlib
import hmac
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from annotated_types import MaxLen
from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from channel.escalation_request import requests_escalation
from channel.links import reply_tokens
from channel.replies import latest_reply
from channel.settings import ChannelSettings
from channel.tokens import Claim, Purpose, TokenExpired, TokenInvalid, verify
from contract.signals import CustomerMessageInput
from contract.status import ActionOutcome
from starter.api.deps import ApiError, invalid, settings, temporal
from starter.api.models import Problem
from starter.api.sendgrid_inbound import (
    Attachment,
    InboundEmail,
    InboundMalformed,
    NotMultipart,
    parse_inbound,
)
from starter.api.tickets import missing_or_ended, within
from starter.client import tickets
from starter.client.follow_ups import FollowUp, NoFollowUp, closed_record, follow_up

PATH = "/webhooks/sendgrid/inbound"
REALM = "SendGrid Inbound Parse"
BASIC = HTTPBasic(
    auto_error=False,
    realm=REALM,
    scheme_name="SendGridInboundBasic",
    description="SENDGRID_INBOUND_USER and SENDGRID_INBOUND_PASSWORD, written into the URL "
    "SendGrid posts to: https://<user>:<password>@<host>/webhooks/sendgrid/inbound",
)
MESSAGE_CHARS = next(
    m.max_length
    for m in CustomerMessageInput.model_fields["message"].metadata
    if isinstance(m, MaxLen)
)
CUT = "…"

log = logging.getLogger("starter.channel")
router = APIRouter(tags=["customer channel"])


class InboundResult(BaseModel):
    """What became of the email: `accepted` (the ticket recorded it) or `ignored` (why)."""

    status: Literal["accepted", "ignored"]
    reason: str | None = Field(default=None, description="why the email changed nothing")
    ticket_id: str | None = None
    requests_escalation: bool = False
    attachments: list[Attachment] = Field(
        default_factory=list, description="what was attached: kept as metadata only"
    )
    outcome: ActionOutcome | None = Field(
        default=None, description="the ticket after its `customer_message` update"
    )
    follow_up: FollowUp | None = Field(
        default=None,
        description="the ticket was past its reopen window: the follow-up ticket that took the "
        "reply (its `ticket_id`), related to it",
    )


def inbound_channel(
    request: Request, credentials: Annotated[HTTPBasicCredentials | None, Security(BASIC)]
) -> ChannelSettings:
    """The channel, for a request that carries SendGrid's credentials."""
    api = settings(request)
    channel = api.channel
    if channel is None or channel.inbound_domain is None or not api.inbound_password:
        raise ApiError(
            503,
            "customer replies are off: CHANNEL_SECRET, CHANNEL_INBOUND_DOMAIN and "
            "SENDGRID_INBOUND_PASSWORD must all be set",
        )
    # Both compared in full, so the time taken does not tell which one was wrong.
    given = credentials or HTTPBasicCredentials(username="", password="")
    user_ok = hmac.compare_digest(given.username.encode(), api.inbound_user.encode())
    password_ok = hmac.compare_digest(given.password.encode(), api.inbound_password.encode())
    if not (user_ok and password_ok):
        raise ApiError(
            401,
            "missing or wrong HTTP Basic credentials (SendGrid's, from its Inbound Parse URL)",
            headers={"WWW-Authenticate": f'Basic realm="{REALM}"'},
        )
    return channel


def _ignored(reason: str, ticket_id: str | None = None) -> InboundResult:
    return InboundResult(status="ignored", reason=reason, ticket_id=ticket_id)


def ticket_of(channel: ChannelSettings, email: InboundEmail) -> Claim | str:
    """The ticket the email answers, or why it answers none."""
    assert channel.inbound_domain is not None  # inbound_channel checked it
    tokens = reply_tokens(email.recipients, channel.inbound_domain)
    if not tokens:
        return "no reply address of a ticket among the recipients"
    reasons = []
    for token in tokens:
        try:
            return verify(channel.keys, Purpose.REPLY, token, datetime.now(UTC))
        except TokenExpired as err:
            reasons.append(f"the reply address of ticket {err.ticket_id} has expired")
        except TokenInvalid:
            reasons.append("the reply address's token is not valid (forged or damaged)")
    return "; ".join(reasons)


def message_text(reply: str, attachments: list[Attachment]) -> str:
    """What the ticket records: the reply, then what was attached (never its content)."""
    parts = [reply] if reply else []
    if attachments:
        listed = "; ".join(f"{a.name} ({a.type}, {a.size} bytes)" for a in attachments)
        parts.append(f"Attachments (not kept): {listed}")
    text = "\n\n".join(parts)
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - len(CUT)] + CUT


def update_id(email: InboundEmail) -> str:
    """The same email posted twice (SendGrid's retries, a replay) is one update: same id."""
    identity = email.message_id or f"{email.sender}\n{email.subject}\n{email.text}"
    return "inbound-" + hashlib.sha256(identity.encode("utf-8", "replace")).hexdigest()[:32]


async def deliver(client: Client, channel: ChannelSettings, email: InboundEmail) -> InboundResult:
    if email.automatic:
        return _ignored("an automatic reply (Auto-Submitted, Precedence or X-Autoreply)")
    claim = ticket_of(channel, email)
    if isinstance(claim, str):
        return _ignored(claim)
    reply = latest_reply(email.text, email.html)
    text = message_text(reply, email.attachments)
    if not text:
        return _ignored("the reply holds no text and no attachment", claim.ticket_id)
    payload = CustomerMessageInput(message=text, requests_escalation=requests_escalation(reply))
    try:
        outcome = await within(
            tickets.act_once_opened(
                client, claim.ticket_id, "customer_message", payload, update_id(email)
            ),
            "customer_message",
        )
    except WorkflowUpdateFailedError as err:
        reason = f"ticket {claim.ticket_id}: {tickets.rejection_reason(err)}"
        return _ignored(reason, claim.ticket_id)
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise  # Temporal unreachable: 503, and SendGrid retries later
        return await follow_up_or_ignore(client, claim.ticket_id, email, payload)
    return accepted(claim.ticket_id, email, payload, outcome=outcome)


def accepted(
    ticket_id: str, email: InboundEmail, payload: CustomerMessageInput, **result: Any
) -> InboundResult:
    return InboundResult(
        status="accepted",
        ticket_id=ticket_id,
        requests_escalation=payload.requests_escalation,
        attachments=email.attachments,
        **result,
    )


async def follow_up_or_ignore(
    client: Client, ticket_id: str, email: InboundEmail, payload: CustomerMessageInput
) -> InboundResult:
    """A reply after the ticket's reopen window opens a follow-up ticket with it; a reply to a
    ticket that ended any other way, or to none, is ignored."""
    ended = await closed_record(client, ticket_id)
    if ended is None:
        return _ignored(str((await missing_or_ended(client, ticket_id)).detail), ticket_id)
    try:
        found = await within(
            follow_up(client, ended, "customer_message", payload, update_id(email)),
            "customer_message",
        )
    except WorkflowUpdateFailedError as err:
        return _ignored(f"follow-up of {ticket_id}: {tickets.rejection_reason(err)}", ticket_id)
    except NoFollowUp as err:
        return _ignored(str(err), ticket_id)
    return accepted(ticket_id, email, payload, follow_up=found, outcome=found.outcome)


INBOUND_FORM = {
    "type": "object",
    "required": ["envelope"],
    "properties": {
        "envelope": {
            "type": "string",
            "description": 'JSON: {"to": [recipients], "from": sender}, as SMTP received it',
        },
        **{
            name: {"type": "string"}
            for name in (
                "headers",
                "text",
                "html",
                "from",
                "to",
                "cc",
                "subject",
                "dkim",
                "SPF",
                "spam_score",
                "spam_report",
                "sender_ip",
            )
        },
        "charsets": {"type": "string", "description": "JSON: each field's character set"},
        "attachments": {"type": "string", "description": "how many attachments follow"},
        "attachment-info": {
            "type": "string",
            "description": 'JSON: {"attachment1": {"filename", "type"}, ...}',
        },
    },
    "additionalProperties": {
        "type": "string",
        "format": "binary",
        "description": "attachment1, attachment2, …: files; only name, type and size are kept",
    },
}


@router.post(
    PATH,
    responses={
        200: {"description": "accepted, or ignored with the reason (logged): no retry wanted"},
        400: {"model": Problem, "description": "the body is not a readable multipart form"},
        401: {"model": Problem, "description": "missing or wrong HTTP Basic credentials"},
        415: {"model": Problem, "description": "the body is not multipart/form-data"},
        422: {
            "description": "a field SendGrid always sends is missing or unreadable (`loc`)",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
            },
        },
        503: {"model": Problem, "description": "replies are off, or Temporal is unreachable"},
        504: {"model": Problem, "description": "no worker answered: SendGrid retries later"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": INBOUND_FORM}},
        }
    },
)
async def sendgrid_inbound(
    request: Request,
    client: Annotated[Client, Depends(temporal)],
    channel: Annotated[ChannelSettings, Depends(inbound_channel)],
) -> InboundResult:
    """An email SendGrid Inbound Parse received; a reply to a ticket's Reply-To address becomes
    its `customer_message`, the quoted earlier messages cut off. Needs no API key."""
    try:
        email = parse_inbound(request.headers.get("content-type", ""), await request.body())
    except NotMultipart as err:
        raise ApiError(415, str(err)) from None
    except InboundMalformed as err:
        if err.field is None:
            raise ApiError(400, str(err)) from None
        raise invalid("body", f"{err.field}: {err}") from None
    result = await deliver(client, channel, email)
    if result.status == "accepted":
        log.info(
            "inbound email accepted: ticket=%s%s from=%s escalation=%s attachments=%d",
            result.ticket_id,
            f" (follow-up {result.follow_up.ticket_id})" if result.follow_up else "",
            email.sender,
            result.requests_escalation,
            len(email.attachments),
        )
    else:
        log.warning(
            "inbound email ignored: %s (from=%s message-id=%s)",
            result.reason,
            email.sender,
            email.message_id,
        )
    return result
