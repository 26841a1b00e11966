"""Open tickets by level, a gauge the worker refreshes from the server's visibility store.

Counted, not tracked: a count is the same whichever worker asks, after any restart, with any
number of workers (each exports the same figure: aggregate with max, not sum). A gauge that
workflows moved as their level changed would live in one worker's memory, start again at zero
when it restarts, and split over the workers. The store takes a moment to see a change
(eventual consistency): fine for a gauge scraped every 15 s."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio.client import Client
from temporalio.common import MetricMeter
from temporalio.service import RPCError

from contract import WORKFLOW_TYPE
from contract import search_attributes as sa
from contract.tickets import TicketState

log = logging.getLogger(__name__)
OPEN_TICKETS = "escalation_open_tickets"
REFRESH_SECONDS = 15.0
# Resolved tickets run on through their follow-up window; they are not open any more.
NOT_OPEN = ", ".join(f"'{state.value}'" for state in (TicketState.RESOLVED, TicketState.CLOSED))


def open_at_level(queue: str, level: int) -> str:
    """The visibility query for the open tickets of one task queue (one deployment: a namespace
    may hold others) at one level; the server groups counts by status only, not by level."""
    return (
        f"WorkflowType = '{WORKFLOW_TYPE}' AND TaskQueue = '{queue}' "
        "AND ExecutionStatus = 'Running' "
        f"AND {sa.TICKET_LEVEL.name} = {level} AND {sa.TICKET_STATE.name} NOT IN ({NOT_OPEN})"
    )


async def refresh_open_tickets(
    client: Client, meter: MetricMeter, queue: str, levels: list[int]
) -> None:
    """Set the gauge for every level, one count each."""
    gauge = meter.create_gauge(OPEN_TICKETS, "Open tickets (not resolved or closed) by level.")
    for level in levels:
        found = await client.count_workflows(open_at_level(queue, level))
        gauge.set(found.count, {"level": str(level), "task_queue": queue})


async def keep_open_tickets_counted(
    client: Client, meter: MetricMeter, queue: str, levels: list[int]
) -> None:
    """Refresh the gauge every REFRESH_SECONDS until cancelled; a failed count keeps the last
    figures and is logged (the SDK's own request metrics show the server's trouble)."""
    while True:
        try:
            await refresh_open_tickets(client, meter, queue, levels)
        except RPCError as err:
            log.warning("metrics: cannot count open tickets: %s", err)
        await asyncio.sleep(REFRESH_SECONDS)


@asynccontextmanager
async def counting_open_tickets(
    client: Client, meter: MetricMeter, queue: str, levels: list[int]
) -> AsyncIterator[None]:
    """The gauge kept fresh while the block runs."""
    task = asyncio.create_task(keep_open_tickets_counted(client, meter, queue, levels))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
