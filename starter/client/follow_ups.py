"""A reply or reopen after a ticket's reopen window: it opens a follow-up ticket.

A closed ticket's workflow ends once its follow-up window has passed, and its id cannot be
reused. The customer's words must not be lost, so `customer_message` or `reopen` on such a ticket
opens `<id>-R1`, related to it (`related_to`), whose description is the message (or the reopen
reason). Later ones go to that follow-up while it runs, and to `<id>-R2` once it has ended too."""

from typing import Any

from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from contract.signals import CustomerMessageInput, ReopenInput
from contract.status import ActionOutcome, TicketRecord
from contract.ticket_input import TicketInput
from contract.tickets import TICKET_ID_CHARS
from starter.client import tickets

# The actions that follow a ticket up after its window; any other is refused (409) as before.
FOLLOWING_ACTIONS = ("customer_message", "reopen")
MAX_FOLLOW_UPS = 20


class FollowUp(BaseModel):
    """Where an action on a ticket past its reopen window went: a follow-up ticket."""

    related_to: str = Field(description="the ticket that had ended")
    ticket_id: str = Field(description="the follow-up ticket that took the message")
    workflow_id: str
    created: bool = Field(description="true: this action opened the follow-up ticket")
    outcome: ActionOutcome | None = Field(
        default=None,
        description="the follow-up after the action, when it was already open and took the "
        "action as an update",
    )


class NoFollowUp(RuntimeError):
    """Every follow-up id is taken by an ended ticket: the caller is told, nothing is lost."""


def follow_up_id(ticket_id: str, n: int) -> str:
    suffix = f"-R{n}"
    return ticket_id[: TICKET_ID_CHARS - len(suffix)] + suffix


async def closed_record(client: Client, ticket_id: str) -> TicketRecord | None:
    """The final record of a ticket that closed and outlived its reopen window (its workflow
    completed); None for a ticket that ended any other way (failed intake, terminated)."""
    handle = tickets.ticket_handle(client, ticket_id)
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if description.status != WorkflowExecutionStatus.COMPLETED:
        return None
    return await tickets.status(client, ticket_id)  # the result is only how it ended


def follow_up_input(ended: TicketRecord, action: str, payload: BaseModel, n: int) -> TicketInput:
    """The customer and category of the ended ticket; triage reads only the new words (a neutral
    subject, no priority), so "thanks, all fine" after a P1 outage pages nobody."""
    if isinstance(payload, CustomerMessageInput):
        description = payload.message
    else:
        assert isinstance(payload, ReopenInput), action
        description = f"{payload.reason}\n\n(Reopen requested by {payload.by}.)"
    return TicketInput(
        ticket_id=follow_up_id(ended.ticket_id, n),
        customer=ended.customer,
        subject=f"Follow-up to ticket {ended.ticket_id}",
        description=description,
        category=ended.category,
        related_to=ended.ticket_id,
    )


async def follow_up(
    client: Client,
    ended: TicketRecord,
    action: str,
    payload: dict[str, Any] | BaseModel,
    update_id: str | None = None,
) -> FollowUp:
    """Open the follow-up with this action's words, or give the action to the running one."""
    payload = tickets.action_input(action, payload)
    for n in range(1, MAX_FOLLOW_UPS + 1):
        ticket = follow_up_input(ended, action, payload, n)
        handle = await tickets.open_ticket(client, ticket)
        found = FollowUp(
            related_to=ended.ticket_id,
            ticket_id=ticket.ticket_id,
            workflow_id=handle.id,
            created=tickets.was_started(handle) is not False,
        )
        if found.created:
            return found
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            continue  # that follow-up has ended as well: the next one
        record = await tickets.wait_for_status(handle)
        if record.description == ticket.description:
            return found  # these very words opened it: a caller's retry
        found.outcome = await tickets.act_once_opened(
            client, ticket.ticket_id, action, payload, update_id
        )
        return found
    raise NoFollowUp(f"ticket {ended.ticket_id} has {MAX_FOLLOW_UPS} ended follow-ups already")
