"""The baseline for lifecycle throughput: bare Temporal doing what a ticket lifecycle costs.

Per lifecycle it has what TicketWorkflow has (checked by the bench on every run): one local
activity at start, the same updates, one timer started and cancelled before each update, and
the same number of activities after each update, started in the background like the ticket's
(the bench counts them in a ticket's history and passes them in). No business logic, no search
attributes, no record: what is left is Temporal's own cost."""

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

CLOSING_ACTION = "survey_response"
MINIMAL_WORKFLOW = "MinimalLifecycleWorkflow"


class MinimalInput(BaseModel):
    activities_after: dict[str, int]  # per action ("open" for the start), as a ticket ran them


@activity.defn(name="minimal_ready")
async def minimal_ready() -> str:
    """Stands in for the ticket's local activity that loads its policy."""
    return "ready"


@activity.defn(name="minimal_effect")
def minimal_effect(name: str) -> str:
    """Stands in for a notification or handoff record: a plain `def`, run on the same executor."""
    return name


@workflow.defn(name=MINIMAL_WORKFLOW)
class MinimalLifecycleWorkflow:
    def __init__(self) -> None:
        self._ready = False
        self._closed = False
        self._wake = False
        self._in_flight = 0
        self._actions = 0
        self._activities_after: dict[str, int] = {}

    @workflow.run
    async def run(self, spec: MinimalInput) -> int:
        self._activities_after = spec.activities_after
        await workflow.execute_local_activity(
            minimal_ready, start_to_close_timeout=timedelta(seconds=10)
        )
        self._ready = True
        self._effects("open")
        while not self._closed:
            self._wake = False
            # One timer per wait, cancelled by the next action, like a ticket's next deadline.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._wake, timeout=timedelta(hours=1))
        await workflow.wait_condition(
            lambda: self._in_flight == 0 and workflow.all_handlers_finished()
        )
        return self._actions

    @workflow.query
    def status(self) -> dict[str, object]:
        if not self._ready:
            raise RuntimeError("still opening")
        return {"actions": self._actions, "closed": self._closed}

    @workflow.update(dynamic=True)
    async def act(self, name: str, _args: Sequence[RawValue]) -> dict[str, object]:
        self._actions += 1
        self._effects(name)
        self._closed = name == CLOSING_ACTION
        self._wake = True
        return {"action": name, "actions": self._actions}

    def _effects(self, name: str) -> None:
        for _ in range(self._activities_after.get(name, 0)):
            self._in_flight += 1
            task = asyncio.create_task(
                workflow.execute_activity(
                    minimal_effect, name, start_to_close_timeout=timedelta(seconds=30)
                )
            )
            task.add_done_callback(lambda _task: self._finished())

    def _finished(self) -> None:
        self._in_flight -= 1
