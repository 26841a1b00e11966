"""An action that reaches the workflow in the same workflow task as the timer of the deadline it
answers, on the dev server: the pure rule (tests/test_rules_clocks.py: judged at its instant,
deadlines due by then fall due first) must hold in the shell too, and replay the same way.

No worker runs while the acknowledgment deadline's timer fires and the acknowledgment arrives,
so the next worker gets both in one task. The workflow judges the action at that task's time
(`workflow.now()`): the deadline has passed, so the breach and its escalation come first and the
acknowledgment is the next level's."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.outbox import Outbox
from contract.payloads import DATA_CONVERTER
from policy import load_policy
from starter.client.tickets import open_ticket
from tests.helpers import events, eventually, ticket
from worker import build_worker
from workflows.ticket import TicketWorkflow

S = timedelta(seconds=1)


def one_task_holds(history: WorkflowHistory, *kinds: EventType.ValueType) -> bool:
    """Each kind occurs, and no workflow task started between the first of them and the last."""
    positions = [
        next(i for i, e in enumerate(history.events) if e.event_type == kind) for kind in kinds
    ]
    between = history.events[min(positions) : max(positions)]
    return not any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED for e in between)


async def test_an_acknowledgment_in_the_same_task_as_its_deadline_is_late_and_replays(
    dev_env: WorkflowEnvironment, tmp_path: Path, sqlite_engine: Engine
) -> None:
    client = dev_env.client
    # Only L1's acknowledgment is short (2 s); every later window keeps its hours, so a second
    # worker starting slowly on busy cores cannot make a later deadline pass as well.
    policy = load_policy().around_the_clock()
    levels = policy.levels | {1: policy.levels[1].model_copy(update={"acknowledge_within": 2 * S})}
    policy = policy.model_copy(update={"levels": levels})
    queue = f"boundary-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        # No sticky cache: the second worker gets the task at once, not after a sticky timeout.
        def worker() -> Worker:
            outbox = Outbox(tmp_path)
            return build_worker(
                client, policy, queue, outbox, executor, sqlite_engine, max_cached_workflows=0
            )

        async with worker():
            handle = await open_ticket(
                client, ticket(priority="P4", category="password_resets"), queue=queue
            )
            # Intake done: the knowledge base answered and the customer was acknowledged.
            opened = await eventually(
                handle, lambda r: "acknowledgment" in {n.kind for n in r.notifications}
            )
        due = opened.deadlines.acknowledgment
        assert opened.level == 1 and due is not None
        await asyncio.sleep((due - datetime.now(UTC)).total_seconds() + 0.3)
        await handle.signal("acknowledge", {"agent": "sam"})
        async with worker():
            record = await eventually(handle, lambda r: "acknowledged" in events(r))
            history = await handle.fetch_history()
        await handle.terminate("test finished")

    assert one_task_holds(
        history,
        EventType.EVENT_TYPE_TIMER_FIRED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    )
    [breach] = record.breaches
    assert (breach.metric, breach.level, breach.due) == ("acknowledgment", 1, due)
    assert [(h.from_level, h.to_level) for h in record.handoffs] == [(1, 2)]
    [acknowledged] = [e for e in record.timeline if e.event == "acknowledged"]
    [breached] = [e for e in record.timeline if e.event == "breached"]
    assert acknowledged.level == 2 and acknowledged.seq > breached.seq
    assert not events(record, rejected=True)
    replayer = Replayer(workflows=[TicketWorkflow], data_converter=DATA_CONVERTER)
    assert (await replayer.replay_workflow(history)).replay_failure is None
