"""`GET /survey/{token}` shows the satisfaction survey; `POST` sends `survey_response`.

For customers, from the link in the survey email: no API key, the signed token is the
credential. Every answer is an HTML page, errors included (docs/customer-channel.md)."""

import asyncio
import hashlib
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from channel.tokens import Purpose, TokenExpired, TokenInvalid, verify
from contract.signals import SurveyResponseInput
from contract.status import TicketRecord
from contract.tickets import TicketState
from starter.api.deps import settings, temporal
from starter.api.survey_pages import (
    COMMENT_CHARS,
    SCORES,
    Refusal,
    form_page,
    refusal_page,
    thanks_page,
)
from starter.api.tickets import WORKER_TIMEOUT
from starter.client import tickets

log = logging.getLogger("starter.channel")
router = APIRouter(tags=["customer channel"])

Temporal = Annotated[Client, Depends(temporal)]
SCORE_VALUES = {str(value): value for value, _ in SCORES}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


REFUSED = {
    # Refused before the route runs, by the body limit every route has: JSON, as everywhere.
    413: {
        "description": "request body over 256 KiB",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
    404: _html("the link is not valid (forged, damaged) or its ticket does not exist"),
    409: _html("already answered, or the ticket was reopened and has nothing to rate yet"),
    410: _html("the link has expired or the ticket has closed"),
    503: _html("the survey is off (no CHANNEL_SECRET) or Temporal does not answer"),
}


def ticket_of(request: Request, token: str) -> str | Refusal:
    channel = settings(request).channel
    if channel is None:
        return Refusal.UNAVAILABLE
    try:
        return verify(channel.keys, Purpose.SURVEY, token, datetime.now(UTC)).ticket_id
    except TokenExpired:
        return Refusal.EXPIRED
    except TokenInvalid:
        return Refusal.INVALID


async def survey_state(client: Client, ticket_id: str) -> TicketRecord | Refusal:
    """The ticket's record while it awaits its survey, or why it does not."""
    handle = tickets.ticket_handle(client, ticket_id)
    try:
        running = (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return Refusal.INVALID
        raise
    try:
        record = await asyncio.wait_for(tickets.wait_for_status(handle), WORKER_TIMEOUT)
    except (WorkflowQueryFailedError, RPCError):
        if running:
            raise
        return Refusal.CLOSED  # an ended ticket that cannot be read any more
    if record.survey is not None:
        return Refusal.ANSWERED
    if record.state == TicketState.RESOLVED and running:
        return record
    if record.state == TicketState.CLOSED or not running:
        return Refusal.CLOSED
    return Refusal.NOT_RESOLVED


def read_answer(form: FormData) -> tuple[int | None, str, dict[str, str]]:
    """The score, the comment as typed and what is wrong with them (field -> message)."""
    errors = {}
    score = SCORE_VALUES.get(str(form.get("score", "")))
    if score is None:
        errors["score"] = "Choose a rating from 1 to 5."
    raw_comment = form.get("comment", "")
    comment = raw_comment.strip() if isinstance(raw_comment, str) else ""
    if len(comment) > COMMENT_CHARS:
        errors["comment"] = f"The comment is {len(comment)} characters; at most {COMMENT_CHARS}."
    return score, comment, errors


async def _shown(client: Client, ticket_id: str, **form: Any) -> HTMLResponse:
    state = await survey_state(client, ticket_id)
    if isinstance(state, Refusal):
        return refusal_page(state)
    return form_page(state.ticket_id, state.subject, **form)


async def _guarded(ticket_id: str, page: Awaitable[HTMLResponse]) -> HTMLResponse:
    """The page, or the "try again later" page when Temporal or the workers do not answer."""
    try:
        return await page
    except (RPCError, WorkflowQueryFailedError, TimeoutError) as err:
        log.warning("survey of ticket %s unavailable: %s", ticket_id, err)
        return refusal_page(Refusal.UNAVAILABLE)


@router.get(
    "/survey/{token}",
    response_class=HTMLResponse,
    responses={**REFUSED, 200: _html("the survey form")},
)
async def survey_form(token: str, request: Request, client: Temporal) -> HTMLResponse:
    """The survey page: a rating from 1 to 5 and a comment; works without JavaScript."""
    ticket_id = ticket_of(request, token)
    if isinstance(ticket_id, Refusal):
        return refusal_page(ticket_id)
    return await _guarded(ticket_id, _shown(client, ticket_id))


@router.post(
    "/survey/{token}",
    response_class=HTMLResponse,
    responses={
        **REFUSED,
        200: _html("thank-you page: the rating was recorded and the ticket closed"),
        422: _html("the form again, with what was entered and what to correct"),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["score"],
                        "properties": {
                            "score": {"type": "integer", "minimum": 1, "maximum": 5},
                            "comment": {"type": "string", "maxLength": COMMENT_CHARS},
                        },
                    }
                }
            },
        }
    },
)
async def answer_survey(token: str, request: Request, client: Temporal) -> HTMLResponse:
    """Send the rating (`survey_response`); the ticket closes. Answering twice is refused."""
    ticket_id = ticket_of(request, token)
    if isinstance(ticket_id, Refusal):
        return refusal_page(ticket_id)
    try:
        form = await request.form()
    except HTTPException:  # a multipart body the parser refuses: no answer in it
        form = FormData()
    return await _guarded(ticket_id, _answer(client, ticket_id, token, form))


async def _answer(client: Client, ticket_id: str, token: str, form: FormData) -> HTMLResponse:
    score, comment, errors = read_answer(form)
    if score is None or errors:
        return await _shown(client, ticket_id, score=score, comment=comment, errors=errors)
    answer = SurveyResponseInput(score=score, comment=comment or None)
    # The same form sent twice (a double click, a reload) is one update while the ticket runs;
    # another answer is a new one, refused as the ticket has closed.
    sent = f"{token}\n{score}\n{comment}".encode()
    update_id = "survey-" + hashlib.sha256(sent).hexdigest()[:32]
    try:
        await asyncio.wait_for(
            tickets.act_once_opened(client, ticket_id, "survey_response", answer, update_id),
            WORKER_TIMEOUT,
        )
    except (WorkflowUpdateFailedError, RPCError) as err:
        if isinstance(err, RPCError) and err.status != RPCStatusCode.NOT_FOUND:
            raise
        state = await survey_state(client, ticket_id)
        return refusal_page(state if isinstance(state, Refusal) else Refusal.UNAVAILABLE)
    log.info("survey answered: ticket=%s score=%d", ticket_id, score)
    return thanks_page(score)
