"""Bench tickets and the client side of a lifecycle, identical for TicketWorkflow and the baseline.

Actions go as updates (the CLI's default): each waits for its workflow task, as an agent's click
would, and never piles several actions into one task as back-to-back signals can."""

import asyncio
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError

from contract.ticket_input import TicketInput
from starter.client.tickets import NOT_READY_RETRY_SECONDS

# A P3 ticket at L1 (the cost lifecycle of the issue: P3 opened, acknowledged, one escalation,
# resolved, surveyed); the throughput lifecycle also responds.
COST_STEPS: list[tuple[str, dict[str, Any]]] = [
    ("acknowledge", {"agent": "bench-agent"}),
    ("escalate", {"by": "bench-agent", "reason": "beyond_expertise"}),
    ("resolve", {"by": "bench-l2", "resolution": "Cleared the stale cache entry."}),
    ("survey_response", {"score": 5}),
]
# The bench worker's follow-up window: a closed ticket's workflow ends, with its result, this long
# after the survey closed it (the shipped 7 days would keep every bench ticket open).
FOLLOW_UP_SECONDS = 5.0
LIFECYCLE_STEPS = [
    COST_STEPS[0],
    ("respond", {"agent": "bench-agent", "message": "Looking into it now."}),
    *COST_STEPS[1:],
]


def bench_ticket(ticket_id: str, priority: str = "P3") -> TicketInput:
    """An L1 billing question: L1's 2 h acknowledgment window is the deadline the bench breaches."""
    return TicketInput.model_validate(
        {
            "ticket_id": ticket_id,
            "customer": {"name": "Bench Customer", "email": "bench@example.com"},
            "subject": "Invoice download",
            "description": "Where can I download last month's invoice?",
            "priority": priority,
            "category": "basic_billing_questions",
        }
    )


async def start(
    client: Client, workflow_type: str, ticket: TicketInput, queue: str, arg: Any = None
) -> Any:
    """Start the ticket's workflow, with `arg` as its input if given (the baseline's)."""
    return await client.start_workflow(
        workflow_type, arg or ticket, id=f"ticket-{ticket.ticket_id}", task_queue=queue
    )


async def wait_ready(handle: WorkflowHandle[Any, Any], timeout: float = 60.0) -> None:
    """Both workflows answer `status` once their start-up local activity has run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            await handle.query("status")
            return
        except WorkflowQueryFailedError as err:
            if "opening" not in str(err) or loop.time() > deadline:
                raise
        except RPCError:
            if loop.time() > deadline:  # a busy worker may let a query time out: ask again
                raise
        # As often as the starter library retries an action on a ticket still opening: polling
        # faster costs both workers a query each time, and the slower to open pays more.
        await asyncio.sleep(NOT_READY_RETRY_SECONDS)


async def run_lifecycle(
    client: Client,
    workflow_type: str,
    ticket: TicketInput,
    queue: str,
    steps: list[tuple[str, dict[str, Any]]],
    arg: Any = None,
    until_ended: bool = False,
) -> WorkflowHandle[Any, Any]:
    """Open, wait until ready, each action as an update; with `until_ended`, then the workflow's
    result. A closed ticket's workflow ends only after the follow-up window (a reply may still
    reopen it): the cost lifecycle's worker shortens that window (`FOLLOW_UP_SECONDS`), and the
    throughput lifecycles end for their client with the closing update."""
    handle = await start(client, workflow_type, ticket, queue, arg)
    await wait_ready(handle)
    for name, payload in steps:
        await handle.execute_update(name, payload)
    if until_ended:
        await handle.result()
    return handle
