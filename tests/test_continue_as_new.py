"""Continue-as-new: a long-lived ticket starts a fresh history and keeps every record.

The module runs its own dev server whose `suggestContinueAsNew` threshold is 20 events instead of
thousands, so a couple of dozen signals make the ticket continue as new (several times)."""

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from contract import search_attributes as sa
from contract.payloads import DATA_CONVERTER
from contract.status import ActionOutcome, TicketRecord
from contract.ticket_input import TicketInput
from starter.client.tickets import TicketHandle
from tests.conftest import VENV_BIN, Service, running_worker
from tests.databases import prepared_database
from tests.helpers import events, eventually, start, status

UPSERT = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
HISTORY_THRESHOLD = 20
ATTEMPTS = 15
CUSTOMER_MESSAGES = 3


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def can_service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(VENV_BIN / "temporal"),
        search_attributes=list(sa.ALL),
        dev_server_extra_args=[
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={HISTORY_THRESHOLD}",
        ],
    )
    try:
        directory = tmp_path_factory.mktemp("can-outbox")
        with prepared_database("sqlite", directory) as engine:
            async with running_worker(env, directory / "outbox", engine) as service:
                yield service
                await service.terminate_open_tickets()
    finally:
        await env.shutdown()


async def intake_done(handle: TicketHandle, timeout: float = 10.0) -> None:
    """Wait, without querying, until the ticket has opened (its first search-attribute upsert).

    A query that reaches the ticket while its first task runs the policy local activity can
    leave the live run with opened_at and every deadline a few milliseconds later than a replay
    of the same history computes (see the report on `workflow.now()` after a local activity);
    a replay (worker restart, continue-as-new after a rejected completion) then moves them.
    Waiting here keeps this test about continue-as-new, not about that race."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        history = await handle.fetch_history()
        if any(e.event_type == UPSERT for e in history.events):
            return
        assert asyncio.get_running_loop().time() < deadline, "the ticket never opened"
        await asyncio.sleep(0.05)


async def settle(service: Service, workflow_id: str, timeout: float = 10.0) -> str:
    """The current run id once the ticket is idle: no workflow task or activity pending, so it
    cannot continue as new again until the next signal."""
    handle = service.client.get_workflow_handle(workflow_id)
    deadline = asyncio.get_running_loop().time() + timeout
    previous = None
    while True:
        raw = (await handle.describe()).raw_description
        idle = not raw.HasField("pending_workflow_task") and not raw.pending_activities
        current = raw.workflow_execution_info.execution.run_id
        if idle and current == previous:
            return current
        assert asyncio.get_running_loop().time() < deadline, "the ticket never settled"
        previous = current if idle else None
        await asyncio.sleep(0.2)


async def run_chain(
    service: Service, workflow_id: str, first_run: str
) -> list[tuple[str, WorkflowHistory]]:
    """Every run's id and history, from the first run along its ContinuedAsNew links."""
    runs = []
    run_id = first_run
    while True:
        handle = service.client.get_workflow_handle(workflow_id, run_id=run_id)
        history = await handle.fetch_history()
        runs.append((run_id, history))
        last = history.events[-1]
        if last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            return runs
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id


def carried_record(history: WorkflowHistory) -> TicketRecord | None:
    """The record a run received from the run it continued, if it continued one."""
    started = history.events[0].workflow_execution_started_event_attributes
    [ticket] = DATA_CONVERTER.payload_converter.from_payloads(started.input.payloads, [TicketInput])
    return ticket.continued.record if ticket.continued else None


async def test_ticket_continues_as_new_and_keeps_every_record(can_service: Service):
    handle = await start(
        can_service,
        priority="P2",
        category="api_integration_problems",
        subject="Webhooks arrive late",
        description="Order webhooks reach us minutes after the order.",
    )
    await intake_done(handle)
    await handle.signal("acknowledge", {"agent": "sam"})
    baseline = await eventually(
        handle,
        lambda r: r.state == "acknowledged" and all(n.status != "pending" for n in r.notifications),
    )
    assert (baseline.priority, baseline.level) == ("P2", 2)

    # Actions that leave every running clock alone: the deadlines must survive as instants.
    for number in range(ATTEMPTS):
        await handle.signal(
            "resolution_attempt",
            {"agent": "sam", "action": f"replayed webhook batch {number}", "succeeded": True},
        )
        if number % 5 == 4:
            await handle.signal(
                "customer_message", {"message": f"Still late, batch {number} took minutes"}
            )
    expected = len(baseline.timeline) + ATTEMPTS + CUSTOMER_MESSAGES
    await eventually(handle, lambda r: len(r.timeline) == expected)

    current_run = await settle(can_service, handle.id)
    record = await status(handle)
    first_run = handle.first_execution_run_id
    assert first_run is not None
    runs = await run_chain(can_service, handle.id, first_run)
    assert len(runs) >= 2, "the ticket never continued as new"
    assert runs[-1][0] == current_run != first_run
    info = (await handle.describe()).raw_description.workflow_execution_info
    assert (info.first_run_id, info.execution.run_id) == (first_run, current_run)
    for (previous_id, _), (_, history) in itertools.pairwise(runs):
        started = history.events[0].workflow_execution_started_event_attributes
        assert started.continued_execution_run_id == previous_id
    # Each run received the whole record so far: its timeline extends the previous one's.
    carried = [carried_record(history) for _, history in runs]
    assert carried[0] is None and all(carried[1:])
    sizes = [len(c.timeline) for c in carried[1:] if c]
    assert sizes == sorted(sizes) and sizes[0] >= len(baseline.timeline)
    for previous in carried[1:]:
        assert previous is not None
        assert previous.timeline == record.timeline[: len(previous.timeline)]
        assert previous.attempts == record.attempts[: len(previous.attempts)]
        assert previous.deadlines == baseline.deadlines

    assert len(record.timeline) == expected
    assert [entry.seq for entry in record.timeline] == list(range(1, expected + 1))
    assert record.timeline[: len(baseline.timeline)] == baseline.timeline
    assert events(record).count("resolution_attempt") == ATTEMPTS
    assert events(record).count("customer_message") == CUSTOMER_MESSAGES
    assert events(record, rejected=True) == []
    assert [a.action for a in record.attempts] == [
        f"replayed webhook batch {n}" for n in range(ATTEMPTS)
    ]
    assert record.deadlines == baseline.deadlines
    assert (record.priority, record.level, record.state) == ("P2", 2, "acknowledged")
    assert (record.opened_at, record.level_since) == (baseline.opened_at, baseline.level_since)
    assert record.notifications == baseline.notifications  # delivery results carried, not reset
    assert record.handoffs == [] and record.breaches == []
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.TICKET_PRIORITY) == "P2" and attributes.get(sa.TICKET_LEVEL) == 2

    # The continued ticket still takes signals and updates and closes with its whole timeline.
    outcome = await handle.execute_update(
        "resolve", {"by": "sam", "resolution": "Webhook queue drained"}, result_type=ActionOutcome
    )
    assert (outcome.state, outcome.entry.seq) == ("resolved", expected + 1)
    await handle.signal("survey_response", {"score": 4})
    # Closed by the survey; the run goes on through the reopen window.
    final: TicketRecord = await eventually(handle, lambda r: r.state == "closed")
    assert final.state == "closed" and final.survey is not None and final.survey.score == 4
    assert events(final)[-3:] == ["resolved", "survey_answered", "closed"]
    assert final.timeline[:expected] == record.timeline
    assert [entry.seq for entry in final.timeline] == list(range(1, expected + 4))
    assert {n.kind for n in final.notifications[len(baseline.notifications) :]} == {
        "resolution",
        "survey",
    }
