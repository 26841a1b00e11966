"""`POST /webhooks/twilio/voice`: the paged person pressed 1 on the phone page to acknowledge.

Authenticated by Twilio's signature (X-Twilio-Signature over the URL and the form fields), not
by an API key: Twilio cannot send one."""

from collections import OrderedDict
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from contract.notification_ids import NotificationId
from starter.api.deps import ApiError, invalid, settings, temporal
from starter.api.models import Problem
from starter.client import tickets

PAGES = ("phone", "sms")  # the channels that page a team's on-call
ACKNOWLEDGE_DIGIT = "1"
REMEMBERED_CALLBACKS = 10_000

router = APIRouter(tags=["webhooks"])


class SeenCallbacks:
    """Callbacks already handled, so a Twilio retry of one acts once; bounded, oldest forgotten.

    Per process: a retry reaching another replica is still harmless, since the ticket rejects a
    second acknowledgment at the same level without writing anything."""

    def __init__(self, size: int = REMEMBERED_CALLBACKS) -> None:
        self.size = size
        self._replies: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        return self._replies.get(key)

    def remember(self, key: str, reply: str) -> None:
        self._replies[key] = reply
        while len(self._replies) > self.size:
            self._replies.popitem(last=False)


SEEN = SeenCallbacks()


def twiml(text: str) -> str:
    response = VoiceResponse()
    response.say(text)
    return str(response)


def signed_url(request: Request) -> str:
    """The URL Twilio signed: the public address when the API sits behind a proxy."""
    public = settings(request).public_url
    if not public:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public}{request.url.path}{query}"


async def acknowledge(client: Client, ticket_id: str, level: int) -> str:
    """Acknowledge for the paged level's on-call; what the caller hears."""
    try:
        record = await tickets.status(client, ticket_id)
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        return f"Ticket {ticket_id} was not found. Nothing was acknowledged."
    if record.level != level:
        return f"Ticket {ticket_id} has moved to level {record.level}. Nothing was acknowledged."
    try:
        await tickets.act(client, ticket_id, "acknowledge", {"agent": f"L{level} on-call (phone)"})
    except WorkflowUpdateFailedError as err:
        return f"Not acknowledged: {tickets.rejection_reason(err)}."
    return f"Ticket {ticket_id} acknowledged. Thank you."


@router.post(
    "/webhooks/twilio/voice",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "TwiML the caller hears"},
        403: {"model": Problem, "description": "X-Twilio-Signature does not match"},
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {"Digits": {"type": "string"}, "CallSid": {"type": "string"}},
                    }
                }
            }
        }
    },
)
async def twilio_voice(
    request: Request,
    client: Annotated[Client, Depends(temporal)],
    notification_id: Annotated[str, Query(max_length=200)],
    signature: Annotated[str, Header(alias="X-Twilio-Signature")] = "",
    idempotency_token: Annotated[str, Header(alias="I-Twilio-Idempotency-Token")] = "",
) -> Response:
    """Gather callback of the phone page: `Digits=1` acknowledges the ticket."""
    token = settings(request).twilio_auth_token
    if not token:
        raise ApiError(503, "phone acknowledgment is off: TWILIO_AUTH_TOKEN is not set")
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    if not RequestValidator(token).validate(signed_url(request), form, signature):
        raise ApiError(403, "X-Twilio-Signature does not match this request")
    page = NotificationId.parse(notification_id)
    if page is None or page.channel not in PAGES or page.audience != "team":
        raise invalid("query", "notification_id: not the id of a phone or SMS page to a team")
    key = idempotency_token or f"{form.get('CallSid')}:{notification_id}:{form.get('Digits')}"
    reply = SEEN.get(key)
    if reply is None:
        if form.get("Digits") != ACKNOWLEDGE_DIGIT:
            reply = "Not acknowledged. Goodbye."
        else:
            reply = await acknowledge(client, page.ticket_id, page.level)
        SEEN.remember(key, reply)
    return Response(twiml(reply), media_type="application/xml")
