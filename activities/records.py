"""System-of-record writes: every timeline entry, every handoff with its rendered template, and
the inputs a simulation replays (with the policy a ticket opened under).

Idempotent by id, so activity retries and workflow replays never duplicate a row; while the
database is down the activity fails and Temporal retries it until the database is back."""

from temporalio import activity

from activities.messages import EventBatch
from store.inputs import input_rows
from store.records import RecordStore


class RecordActivities:
    def __init__(self, store: RecordStore) -> None:
        self._store = store

    @activity.defn(name="record_events")
    def record_events(self, batch: EventBatch) -> int:
        rows, policy_rows = input_rows(batch.inputs)
        return self._store.add_records(
            [event.model_dump() for event in batch.events],
            [handoff.model_dump() for handoff in batch.handoffs],
            rows,
            policy_rows,
        )
