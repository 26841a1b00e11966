"""Replay: the current TicketWorkflow code must reproduce the recorded histories exactly.

Every `tests/histories/*.json` is the full event history of a ticket that ran to completion on a
real dev server (written by `scripts/record_histories.py`). Replaying it runs today's workflow code
against those events; any change that makes the code issue different commands, or the same
commands in a different order (an added, removed or reordered activity, timer, upsert...), fails
with a nondeterminism error. Such a change would break every ticket still open when it deploys.

When this test fails, fix the workflow unless the change is deliberate. Nothing is released yet:
a deliberate change re-records the histories (`python scripts/record_histories.py --force`) and
says "histories re-recorded (pre-release)" in its commit. Once tickets run in production, guard it
with `workflow.patched("<change-id>")` instead, so that histories recorded before the change still
replay through the old branch, and record next to them (`--tag <change-id>`). Never re-record
just to make this test pass: the failure means tickets open at deploy time would break."""

import base64
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio import workflow
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    Interceptor,
    Replayer,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from activities.outbox import Outbox
from contract import workflow_id
from contract.payloads import DATA_CONVERTER
from contract.status import TicketOutcome, TicketRecord
from policy import load_policy
from policy.versions import VERSIONS
from procedure.effects import Effect, Notify
from starter.client.tickets import open_ticket, wait_for_status
from tests.helpers import eventually, ticket
from worker import build_worker
from workflows.ticket import TicketWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
# The policy versions the histories ran under, as scripts/record_histories.py kept them: the
# replays' policy store (a history keeps only the digest of its ticket's policy).
POLICIES = Path(__file__).parent / "histories" / "policies"


def recorded_policy(digest: str) -> str | None:
    path = POLICIES / f"{digest}.json"
    return path.read_text(encoding="utf-8") if path.exists() else None


VERSIONS.add_source("tests/histories/policies", recorded_policy)


def load(path: Path) -> WorkflowHistory:
    """The history, under the workflow id the ticket had (`ticket-<ticket_id>` of its input)."""
    text = path.read_text(encoding="utf-8")
    started = json.loads(text)["events"][0]["workflowExecutionStartedEventAttributes"]
    ticket: dict[str, Any] = json.loads(base64.b64decode(started["input"]["payloads"][0]["data"]))
    return WorkflowHistory.from_json(workflow_id(ticket["ticket_id"]), text)


def replayer(*workflows: type, interceptors: list[Interceptor] | None = None) -> Replayer:
    return Replayer(
        workflows=list(workflows or [TicketWorkflow]),
        data_converter=DATA_CONVERTER,
        interceptors=interceptors or [],
    )


def business_key(payload: Any) -> str | None:
    """The idempotency key a notification or handoff record carries (a decision's messages:
    theirs, in order)."""
    if "messages" in payload:
        return ",".join(message["notification_id"] for message in payload["messages"])
    return payload.get("notification_id") or payload.get("handoff_id")


class ScheduledActivities(Interceptor):
    """Collects (activity type, business key) of every activity the code schedules on replay.

    Temporal's own replay check compares only activity types and sequence numbers: two
    `send_notification` calls swapped (say the resolution and the survey email) replay cleanly,
    yet each delivery result would then be written to the other notification's entry. Comparing
    the business keys as well catches that, while changed wording of a message still passes."""

    def __init__(self) -> None:
        self.scheduled: list[tuple[str, str | None]] = []

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        input.unsafe_extern_functions["scheduled_activity"] = self._record
        return _Inbound

    def _record(self, activity: str, key: str | None) -> None:
        self.scheduled.append((activity, key))


class _Inbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))


class _Outbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        payload = input.args[0].model_dump() if input.args else {}
        workflow.extern_functions()["scheduled_activity"](input.activity, business_key(payload))
        return super().start_activity(input)


def recorded_activities(events: list[HistoryEvent]) -> list[tuple[str, str | None]]:
    scheduled = []
    for event in events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            attributes = event.activity_task_scheduled_event_attributes
            payload = json.loads(attributes.input.payloads[0].data)
            scheduled.append((attributes.activity_type.name, business_key(payload)))
    return scheduled


def test_recorded_histories_exist():
    assert {path.stem for path in HISTORIES} >= {
        "p4_password_reset",
        "p2_api_bug",
        "p3_keyword_raises_priority",
    }


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: path.stem)
async def test_current_code_replays_recorded_history(path: Path):
    history = load(path)
    activities = ScheduledActivities()
    result = await replayer(interceptors=[activities]).replay_workflow(history)  # raises on NDE
    assert result.replay_failure is None
    assert activities.scheduled == recorded_activities(list(history.events))
    completed = history.events[-1].workflow_execution_completed_event_attributes
    [outcome] = DATA_CONVERTER.payload_converter.from_payloads(
        completed.result.payloads, [TicketOutcome]
    )  # histories recorded before returned the whole record: a TicketOutcome reads it too
    assert outcome.state == "closed"


@workflow.defn(name="TicketWorkflow", sandboxed=False)
class CustomerToldFirst(TicketWorkflow):
    """A plausible refactor: on a handoff, tell the customer before the receiving level.

    Same activities of the same type, only the order of two deliveries differs: Temporal's
    replay check passes, the business keys do not."""

    def __init__(self) -> None:
        super().__init__()
        self._held: list[Notify] = []

    @workflow.run
    async def run(self, *args: Any) -> TicketRecord:
        return await super().run(*args)

    def _run(self, effect: Effect) -> None:
        """Runs the decision's effects, holding the level's handoff pages until the customer's
        notice has gone out."""
        if isinstance(effect, Notify) and effect.message.kind == "handoff":
            self._held.append(effect)
            return
        super()._run(effect)
        if isinstance(effect, Notify) and effect.message.audience == "customer":
            while self._held:
                super()._run(self._held.pop(0))


def history(name: str) -> WorkflowHistory:
    [path] = [path for path in HISTORIES if path.stem == name]
    return load(path)


async def replayed_keys(workflow_class: type, name: str) -> tuple[list[Any], list[Any]]:
    """What the code scheduled on replay and what the history recorded, as business keys."""
    recorded = history(name)
    activities = ScheduledActivities()
    await replayer(workflow_class, interceptors=[activities]).replay_workflow(recorded)
    return activities.scheduled, recorded_activities(list(recorded.events))


def one_by_one(scheduled: list[tuple[str, str | None]]) -> list[str]:
    """Every (activity, key) with a batch's keys apart, in a stable order."""
    return sorted(
        f"{activity} {key}" for activity, keys in scheduled for key in (keys or "").split(",")
    )


async def test_reordered_deliveries_fail_the_business_key_check():
    """The check is not vacuous: the reordered variant replays a ticket without escalations with
    the same keys, but not one whose history has a handoff, though Temporal accepts both."""
    scheduled, recorded = await replayed_keys(CustomerToldFirst, "p4_password_reset")
    assert scheduled == recorded
    # Deliveries go one activity per workflow task: the order within it is the key's.
    for name in ("p2_api_bug", "p3_keyword_raises_priority"):
        scheduled, recorded = await replayed_keys(CustomerToldFirst, name)
        assert one_by_one(scheduled) == one_by_one(recorded)  # the same messages, reordered
        assert scheduled != recorded


async def test_a_worker_restart_replays_every_ticket_to_the_same_record(
    dev_env: WorkflowEnvironment, tmp_path: Path, sqlite_engine: Engine
):
    """Queries during intake split the first workflow task; the restarted worker replays the
    history without that split and must still compute the same instants."""
    queue, policy = f"tq-{uuid.uuid4()}", load_policy(time_scale=1)
    outbox = Outbox(tmp_path / "outbox")
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with build_worker(dev_env.client, policy, queue, outbox, executor, sqlite_engine):
            handles = []
            for _ in range(10):
                fresh = ticket(priority="P2", category="api_integration_problems")
                handle = await open_ticket(dev_env.client, fresh, queue=queue)
                await wait_for_status(handle)
                handles.append(handle)
            # Deliveries settle first: a status still "pending" would differ for a good reason.
            live = [await eventually(handle, _delivered) for handle in handles]
        async with build_worker(dev_env.client, policy, queue, outbox, executor, sqlite_engine):
            replayed = [await wait_for_status(handle) for handle in handles]
            for handle in handles:
                await handle.terminate("test finished")
    for after, before in zip(replayed, live, strict=True):
        assert after.model_dump() == before.model_dump()


def _delivered(record: TicketRecord) -> bool:
    return all(n.status != "pending" for n in record.notifications)
