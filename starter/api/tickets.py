"""Routes for tickets and alerts; every one needs an API key (see starter/api/app.py)."""

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from contract import search_attributes as sa
from contract import workflow_id
from contract.signals import SIGNAL_INPUTS
from contract.status import ActionOutcome, TicketRecord
from contract.ticket_input import TicketInput, TicketSubmission
from contract.tickets import TICKET_ID_PATTERN, TicketState
from policy.models import HIGHEST_LEVEL, LOWEST_LEVEL, PriorityName
from starter.api.deps import ApiError, invalid, temporal
from starter.api.json_bodies import JsonBodyRoute
from starter.api.models import Alert, Alerts, Problem, TicketOpened, TicketSummary
from starter.client import tickets
from starter.client.follow_ups import (
    FOLLOWING_ACTIONS,
    FollowUp,
    NoFollowUp,
    closed_record,
    follow_up,
)
from starter.client.lifecycle import abnormal_end
from starter.client.queries import TicketFilter, build_query
from starter.client.validation import category_problem

# URL segment -> update name; the segments read as REST resources (`attempts`, `messages`).
ACTION_ROUTES: dict[str, str] = {
    "acknowledge": "acknowledge",
    "respond": "respond",
    "attempts": "resolution_attempt",
    "escalate": "escalate",
    "resolve": "resolve",
    "reopen": "reopen",
    "messages": "customer_message",
    "survey": "survey_response",
    "priority": "set_priority",
    "category": "recategorize",
    "assignee": "assign",
}
# Updates and queries need a worker; without one they would wait forever.
WORKER_TIMEOUT = 30.0
ALERT_TICKETS = 100

TicketId = Annotated[str, Path(pattern=TICKET_ID_PATTERN, description="e.g. T-1001")]
Temporal = Annotated[Client, Depends(temporal)]
NOT_FOUND = {404: {"model": Problem, "description": "no ticket with this id"}}
REFUSED = {409: {"model": Problem, "description": "the action does not apply; reason given"}}
NOT_JSON = {415: {"model": Problem, "description": "a body whose Content-Type is not JSON"}}

router = APIRouter(tags=["tickets"], route_class=JsonBodyRoute)
T = TypeVar("T")


async def within(awaitable: Awaitable[T], what: str) -> T:
    try:
        return await asyncio.wait_for(awaitable, timeout=WORKER_TIMEOUT)
    except TimeoutError:
        raise ApiError(504, f"{what}: no worker answered within {WORKER_TIMEOUT:g}s") from None


async def missing_or_ended(client: Client, ticket_id: str) -> ApiError:
    """404 for an id no ticket ever had, 409 for a ticket that has ended."""
    try:
        description = await tickets.ticket_handle(client, ticket_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return ApiError(404, f"no ticket {ticket_id}")
        raise
    status = description.status.name.lower() if description.status else "ended"
    return ApiError(409, f"ticket {ticket_id} has ended ({status})")


@router.post(
    "/tickets",
    status_code=201,
    responses={
        200: {"model": TicketOpened, "description": "the ticket already existed"},
        **NOT_JSON,
    },
)
async def open_ticket(
    submission: TicketSubmission, response: Response, client: Temporal
) -> TicketOpened:
    """Open a ticket; idempotent by ticket id: 201 for a new ticket, 200 for an existing one."""
    problem = category_problem(submission.category)
    if problem:
        raise invalid("body", problem)
    ticket = TicketInput.model_validate(submission.model_dump())
    handle = await tickets.open_ticket(client, ticket)
    created = tickets.was_started(handle) is not False
    response.status_code = 201 if created else 200
    return TicketOpened(ticket_id=ticket.ticket_id, workflow_id=handle.id, created=created)


@router.get("/tickets/{ticket_id}", responses={**NOT_FOUND, **REFUSED})
async def get_ticket(ticket_id: TicketId, client: Temporal) -> TicketRecord:
    """The ticket's whole record (the workflow's `status` query)."""
    handle = tickets.ticket_handle(client, ticket_id)
    try:
        ended = await abnormal_end(handle)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(404, f"no ticket {ticket_id}") from err
        raise
    if ended:
        raise ApiError(409, f"ticket {ticket_id} {ended}")
    return await within(tickets.wait_for_status(handle), "status")


@router.get("/tickets")
async def list_tickets(
    client: Temporal,
    priority: PriorityName | None = None,
    level: Annotated[int | None, Query(ge=LOWEST_LEVEL, le=HIGHEST_LEVEL)] = None,
    state: TicketState | None = None,
    category: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)] = None,
    assignee: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
    breached: bool | None = None,
    due_within_minutes: Annotated[
        int | None, Query(ge=1, le=60 * 24 * 30, description="a deadline falls due this soon")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[TicketSummary]:
    """Tickets by their search attributes, newest first."""
    extra = []
    if breached is False:
        extra.append(f"{sa.SLA_BREACHED.name} = false")
    if due_within_minutes:
        due = datetime.now(UTC) + timedelta(minutes=due_within_minutes)
        extra.append(f"{sa.NEXT_DEADLINE.name} <= '{due:%Y-%m-%dT%H:%M:%SZ}'")
    query = build_query(
        TicketFilter(
            priority=priority,
            level=level,
            state=state.value if state else None,
            category=category,
            assignee=assignee,
            breached=bool(breached),
            raw=" AND ".join(extra) or None,
        )
    )
    return [summary(execution) async for execution in client.list_workflows(query, limit=limit)]


def summary(execution: WorkflowExecution) -> TicketSummary:
    attrs = execution.typed_search_attributes
    state = attrs.get(sa.TICKET_STATE)
    return TicketSummary(
        ticket_id=execution.id.removeprefix(workflow_id("")),
        workflow_id=execution.id,
        execution_status=execution.status.name if execution.status else "UNKNOWN",
        priority=attrs.get(sa.TICKET_PRIORITY),
        level=attrs.get(sa.TICKET_LEVEL),
        state=TicketState(state) if state else None,
        sla_breached=attrs.get(sa.SLA_BREACHED),
        category=attrs.get(sa.TICKET_CATEGORY),
        assignee=attrs.get(sa.TICKET_ASSIGNEE),
        next_deadline=attrs.get(sa.NEXT_DEADLINE),
        started_at=execution.start_time,
    )


async def act(client: Client, ticket_id: str, action: str, payload: BaseModel) -> ActionOutcome:
    """The action as an update; a rejection becomes 422 (bad input) or 409 (does not apply)."""
    try:
        return await within(tickets.act_once_opened(client, ticket_id, action, payload), action)
    except WorkflowUpdateFailedError as err:
        raise rejected(err) from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise await missing_or_ended(client, ticket_id) from err
        raise


def rejected(err: WorkflowUpdateFailedError) -> ApiError:
    reason = tickets.rejection_reason(err)
    if tickets.rejection_type(err) == "InvalidInput":
        return invalid("body", reason)
    return ApiError(409, reason)


async def act_or_follow_up(
    client: Client, ticket_id: str, action: str, payload: BaseModel, response: Response
) -> ActionOutcome | FollowUp:
    """`customer_message` and `reopen` on a ticket past its reopen window go to a follow-up
    ticket (201 when this opened it) instead of a 409."""
    try:
        return await act(client, ticket_id, action, payload)
    except ApiError as err:
        ended = await closed_record(client, ticket_id) if err.status == 409 else None
        if ended is None:
            raise
    try:
        found = await within(follow_up(client, ended, action, payload), action)
    except WorkflowUpdateFailedError as err:
        raise rejected(err) from err
    except NoFollowUp as err:
        raise ApiError(409, str(err)) from err
    response.status_code = 201 if found.created else 200
    return found


def _action_route(segment: str, action: str) -> None:
    model = SIGNAL_INPUTS[action]
    responses: dict[int | str, dict[str, Any]] = {**NOT_FOUND, **REFUSED, **NOT_JSON}

    async def endpoint(
        ticket_id: TicketId,
        client: Temporal,
        payload: Annotated[model, Body()],  # type: ignore[valid-type]
    ) -> ActionOutcome:
        return await act(client, ticket_id, action, payload)

    async def following(
        ticket_id: TicketId,
        client: Temporal,
        payload: Annotated[model, Body()],  # type: ignore[valid-type]
        response: Response,
    ) -> ActionOutcome | FollowUp:
        return await act_or_follow_up(client, ticket_id, action, payload, response)

    if action in FOLLOWING_ACTIONS:
        responses[201] = {
            "model": FollowUp,
            "description": "the ticket was past its reopen window: a follow-up ticket related "
            "to it was opened with this message (200 with the same body when the follow-up "
            "was open already and took it)",
        }
    router.add_api_route(
        f"/tickets/{{ticket_id}}/{segment}",
        following if action in FOLLOWING_ACTIONS else endpoint,
        methods=["POST"],
        name=f"ticket_{segment}",
        summary=f"{action} (update `{action}` of the workflow)",
        responses=responses,
    )


for _segment, _action in ACTION_ROUTES.items():
    _action_route(_segment, _action)


@router.get("/alerts", tags=["alerts"])
async def list_alerts(client: Temporal) -> Alerts:
    """Dashboard alerts of running tickets whose SLA is breached, newest first."""
    query = build_query(TicketFilter(breached=True, raw="ExecutionStatus = 'Running'"))
    found: list[Alert] = []
    unavailable: list[str] = []
    async for execution in client.list_workflows(query, limit=ALERT_TICKETS):
        ticket_id = execution.id.removeprefix(workflow_id(""))
        try:
            record = await asyncio.wait_for(tickets.status(client, ticket_id), timeout=5)
        except (TimeoutError, RPCError, WorkflowQueryFailedError):  # reported, not lost
            unavailable.append(ticket_id)
            continue
        found += alerts_of(record)
    found.sort(key=lambda alert: alert.at, reverse=True)
    return Alerts(alerts=found, unavailable=unavailable)


def alerts_of(record: TicketRecord) -> list[Alert]:
    return [
        Alert(
            ticket_id=record.ticket_id,
            notification_id=n.notification_id,
            kind=n.kind,
            level=n.level,
            at=n.at,
            ticket_priority=record.priority,
            ticket_level=record.level,
        )
        for n in record.notifications
        if n.channel == "dashboard"
    ]
