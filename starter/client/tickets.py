"""What other Python systems import: open a ticket, act on it, read its status."""

import asyncio
from functools import cache
from typing import Any

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from contract import WORKFLOW_TYPE, task_queue, workflow_id
from contract.signals import SIGNAL_INPUTS
from contract.status import ActionOutcome, TicketOutcome, TicketRecord
from contract.ticket_input import TicketInput
from policy import EscalationPolicy, PolicyError, load_policy
from procedure import routing, ui_details

TicketHandle = WorkflowHandle[Any, TicketOutcome]


async def open_ticket(
    client: Client, ticket: TicketInput, queue: str | None = None
) -> TicketHandle:
    """Start the ticket's workflow; an existing ticket with the same id is returned instead."""
    try:
        return await client.start_workflow(
            WORKFLOW_TYPE,
            ticket,
            id=workflow_id(ticket.ticket_id),
            task_queue=queue or task_queue(),
            result_type=TicketOutcome,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # A ticket whose input was rejected may be opened again with corrected input.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            static_summary=summary_line(ticket),
            static_details=ui_details.static_details(
                ticket.customer, ticket.category, ticket.description
            ),
        )
    except WorkflowAlreadyStartedError:
        return ticket_handle(client, ticket.ticket_id)


@cache
def local_policy() -> EscalationPolicy | None:
    """The policy file this checkout would give the worker; None when it cannot be read."""
    try:
        return load_policy()
    except PolicyError:
        return None  # the worker names the problem; the summary just lacks the routing


def summary_line(ticket: TicketInput) -> str:
    """`T-1001 · P2 · L3 · subject`, routed here with the workflow's own pure routing rules
    (same policy file, same functions), since the UI needs the line before the workflow runs."""
    policy = local_policy()
    if policy is None or (ticket.category and ticket.category not in policy.categories):
        return ui_details.static_summary(
            ticket.ticket_id, ticket.priority or "P?", "?", ticket.subject
        )
    text = routing.intake_text(ticket.subject, ticket.description)
    routed = routing.route(policy, text, ticket.priority, ticket.category)
    return ui_details.static_summary(
        ticket.ticket_id, routed.priority, routed.level, ticket.subject
    )


def was_started(handle: TicketHandle) -> bool | None:
    """True for a new ticket, False for an existing one, None when the SDK does not say.

    open_ticket uses USE_EXISTING, so the start response's `started` flag is the only race-free
    signal; the SDK keeps that response on a private attribute, hence the defensive getattr."""
    response = getattr(handle, "_start_workflow_response", None)
    if response is not None and hasattr(response, "started"):
        return bool(response.started)
    # open_ticket falls back to a plain handle (no run id) when the id belongs to a closed ticket.
    return False if handle.result_run_id is None else None


def ticket_handle(client: Client, ticket_id: str) -> TicketHandle:
    return client.get_workflow_handle(workflow_id(ticket_id), result_type=TicketOutcome)


def action_input(action: str, payload: dict[str, Any] | BaseModel) -> BaseModel:
    """Validate an action's input here, so a caller's mistake is named before it is sent."""
    if action not in SIGNAL_INPUTS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(SIGNAL_INPUTS)}")
    model = SIGNAL_INPUTS[action]
    return payload if isinstance(payload, model) else model.model_validate(payload)


async def signal(
    client: Client, ticket_id: str, action: str, payload: dict[str, Any] | BaseModel
) -> None:
    """Fire-and-forget: the ticket records the action, or its rejection, in its timeline."""
    await ticket_handle(client, ticket_id).signal(action, action_input(action, payload))


async def act(
    client: Client,
    ticket_id: str,
    action: str,
    payload: dict[str, Any] | BaseModel,
    update_id: str | None = None,
) -> ActionOutcome:
    """The same action as an update: returns the outcome or raises with the rejection reason.

    A second update with the same `update_id` is not applied again: it gets the first one's
    outcome (while the ticket's run lasts), so a caller's retries are safe."""
    return await ticket_handle(client, ticket_id).execute_update(
        action, action_input(action, payload), id=update_id, result_type=ActionOutcome
    )


NOT_READY_RETRY_SECONDS = 0.1  # a ticket's intake takes tens of milliseconds


async def act_once_opened(
    client: Client,
    ticket_id: str,
    action: str,
    payload: dict[str, Any] | BaseModel,
    update_id: str | None = None,
) -> ActionOutcome:
    """`act`; a ticket opened a moment ago rejects actions until intake finishes: retry."""
    while True:
        try:
            return await act(client, ticket_id, action, payload, update_id)
        except WorkflowUpdateFailedError as err:
            if rejection_type(err) != "TicketNotReady":
                raise
        await asyncio.sleep(NOT_READY_RETRY_SECONDS)


def rejection_reason(err: WorkflowUpdateFailedError) -> str:
    cause = err.cause
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause or err)


def rejection_type(err: WorkflowUpdateFailedError) -> str | None:
    """`InvalidInput`, `ActionNotApplicable` or None for a rejection without a type."""
    return err.cause.type if isinstance(err.cause, ApplicationError) else None


async def status(client: Client, ticket_id: str) -> TicketRecord:
    return await wait_for_status(ticket_handle(client, ticket_id))


async def wait_for_status(handle: TicketHandle, timeout: float = 10.0) -> TicketRecord:
    """The ticket's record; a ticket opened a moment ago gets until `timeout` to finish intake."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await handle.query("status", result_type=TicketRecord)
        except WorkflowQueryFailedError as err:
            if "still opening" not in str(err) or asyncio.get_running_loop().time() > deadline:
                raise
            if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                raise  # intake failed: the workflow's failure names the field
        await asyncio.sleep(0.05)
