"""Whatever a client sends (nothing, null, two arguments, Go's binary/null, an unknown encoding,
malformed JSON), a start fails at once naming why, a signal becomes a rejected timeline entry, an
update is rejected unwritten, and no workflow task ever fails: the ticket's clocks keep running."""

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from contract.signals import SIGNAL_INPUTS
from tests.conftest import Service, time_skipping_service
from tests.helpers import events, eventually, start, status
from tests.test_end_to_end_cli import temporal

T = TypeVar("T")
WEDGED = 20  # seconds: a start decided at once fails in well under one; a wedged one never does
TASK_FAILED = EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
UPDATE_ACCEPTED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED


def raw(encoding: bytes, data: bytes = b"") -> RawValue:
    return RawValue(Payload(metadata={"encoding": encoding}, data=data))


# Each shape: the arguments sent, and what the error must say.
SHAPES: dict[str, tuple[list[Any], str]] = {
    "missing": ([], "expected one JSON object, got nothing"),
    "json_null": ([None], "expected one JSON object, got null"),
    "two_arguments": ([{"agent": "a"}, {"agent": "b"}], "got 2 arguments"),
    "binary_null": ([raw(b"binary/null")], "expected one JSON object, got null"),
    "unknown_encoding": ([raw(b"application/x-custom", b"\x00\x01")], "application/x-custom"),
    "malformed_json": ([raw(b"json/plain", b'{"agent": ')], "Invalid JSON"),
    "invalid_utf8": ([raw(b"json/plain", b'{"agent": "\xff\xfe"}')], "invalid unicode"),
    "array": ([["agent"]], "got list"),
    "number": ([1e300], "got float"),
}


async def history_events(handle: WorkflowHandle) -> list[EventType.ValueType]:
    return [event.event_type async for event in handle.fetch_history_events()]


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_malformed_start_fails_the_ticket_at_once_naming_why(
    dev_service: Service, shape: str
):
    args, said = SHAPES[shape]
    handle = await dev_service.client.start_workflow(
        "TicketWorkflow",
        args=args,
        id=f"ticket-malformed-start-{shape}",
        task_queue=dev_service.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await asyncio.wait_for(handle.result(), timeout=WEDGED)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.non_retryable
    assert said in cause.message
    assert TASK_FAILED not in await history_events(handle)


async def test_a_malformed_signal_is_rejected_with_its_reason_and_the_clocks_keep_running(
    service: Service,
):
    handle = await start(service, priority="P4", category="password_resets")
    opened = (await status(handle)).opened_at
    sent = 0
    for name in SIGNAL_INPUTS:
        for args, _said in SHAPES.values():
            await handle.signal(name, args=args)
            sent += 1
    await handle.signal("no_such_action", {"agent": "sam"})
    record = await eventually(handle, lambda r: len(events(r, rejected=True)) == sent + 1)
    reasons = [entry.reason or "" for entry in record.timeline if entry.rejected]
    for _args, said in SHAPES.values():
        assert sum(said in reason for reason in reasons) >= len(SIGNAL_INPUTS)
    assert "unknown action 'no_such_action'" in reasons[-1]
    # The acknowledgment deadline still fires: the workflow task never failed.
    await service.env.sleep(timedelta(hours=2, minutes=1))
    record = await eventually(handle, lambda r: bool(r.breaches))
    assert record.breaches[0].due == opened + timedelta(hours=2)
    assert TASK_FAILED not in await history_events(handle)


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_malformed_update_is_rejected_before_it_is_written(
    dev_service: Service, shape: str
):
    args, said = SHAPES[shape]
    handle = await start(dev_service)
    await status(handle)
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update("acknowledge", args=args)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidInput"
    assert said in cause.message
    history = await history_events(handle)
    assert UPDATE_ACCEPTED not in history and TASK_FAILED not in history


async def test_the_temporal_cli_without_input_gets_a_named_error_not_a_wedged_ticket(
    dev_service: Service,
):
    handle = await start(dev_service)
    await status(handle)
    signalled = await temporal(dev_service, "workflow", "signal", "--name", "acknowledge",
                               "-w", handle.id)  # fmt: skip
    assert signalled.code == 0, signalled.err
    record = await eventually(handle, lambda r: bool(events(r, rejected=True)))
    assert "acknowledge: expected one JSON object, got nothing" in str(record.timeline[-1].reason)
    updated = await temporal(dev_service, "workflow", "update", "execute", "--name",
                             "acknowledge", "-w", handle.id)  # fmt: skip
    assert updated.code != 0 and "expected one JSON object, got nothing" in updated.err
    started = await temporal(dev_service, "workflow", "start", "--type", "TicketWorkflow",
                             "--task-queue", dev_service.task_queue, "-w",
                             "ticket-cli-no-input")  # fmt: skip
    assert started.code == 0, started.err
    failed = dev_service.client.get_workflow_handle("ticket-cli-no-input")
    with pytest.raises(WorkflowFailureError) as failure:
        await asyncio.wait_for(failed.result(), timeout=WEDGED)
    assert "input: expected one JSON object, got nothing" in str(failure.value.cause)
    assert (await status(handle)).state == "open"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=8,
)
ACTION_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "agent": st.text(max_size=5),
        "by": st.text(max_size=5),
        "message": st.text(max_size=5),
        "score": st.integers(-2, 8),
        "to_level": st.integers(-1, 6),
        "reason": st.sampled_from(["other", "nonsense", ""]),
        "succeeded": JSON,
    },
)
PAYLOAD = (
    JSON.map(lambda value: raw(b"json/plain", json.dumps(value).encode()))
    | ACTION_FIELDS.map(lambda value: raw(b"json/plain", json.dumps(value).encode()))
    | st.builds(raw, st.binary(max_size=12), st.binary(max_size=12))
)


@contextmanager
def loop_in_thread() -> Iterator[Callable[[Coroutine[Any, Any, T]], T]]:
    """An event loop of the test's own, so hypothesis (which runs examples synchronously) can
    drive a Temporal service example by example."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield lambda coro: asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()


async def throw(handle: WorkflowHandle, name: str, args: list[RawValue], as_update: bool) -> int:
    """One action as signal or update; how many signals the ticket must decide (0 or 1)."""
    if not as_update:
        await handle.signal(name, args=args)
        return 1
    try:
        await handle.execute_update(name, args=args)
    except WorkflowUpdateFailedError as err:
        assert isinstance(err.cause, ApplicationError) and err.cause.non_retryable
    return 0


async def deadline_fires(service: Service, handle: WorkflowHandle, signals: int) -> None:
    # Every signal was decided (applied or rejected, after "opened"): nothing lost or stuck.
    record = await eventually(
        handle, lambda r: sum(e.actor != "system" for e in r.timeline) >= signals + 1
    )
    due = min(d for _name, d in record.deadlines if d is not None)
    await service.env.sleep(due - await service.env.get_current_time() + timedelta(minutes=1))
    await eventually(handle, lambda r: r.timeline[-1].at >= due)
    assert TASK_FAILED not in await history_events(handle)


def test_arbitrary_payloads_never_wedge_a_ticket(tmp_path: Path, sqlite_engine: Engine) -> None:
    with loop_in_thread() as run:
        running = time_skipping_service(tmp_path, sqlite_engine)
        service = run(running.__aenter__())
        try:
            handle = run(start(service, priority="P3", category="api_integration_problems"))
            signals = 0

            @settings(
                max_examples=60,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(
                name=st.sampled_from([*SIGNAL_INPUTS, "unknown"]),
                args=st.lists(PAYLOAD, max_size=3),
                as_update=st.booleans(),
            )
            def fire(name: str, args: list[RawValue], as_update: bool) -> None:
                nonlocal signals
                signals += run(throw(handle, name, args, as_update))
                assert run(status(handle)).ticket_id

            fire()
            run(deadline_fires(service, handle, signals))
        finally:
            run(running.__aexit__(None, None, None))
