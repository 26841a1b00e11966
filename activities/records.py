"""System-of-record writes: every timeline entry, every handoff with its rendered template, and
the inputs a simulation replays, with the policy version a ticket opened under.

Idempotent by id, so activity retries and workflow replays never duplicate a row; while the
database is down the activity fails and Temporal retries it until the database is back."""

from temporalio import activity

from activities.messages import EventBatch
from policy.versions import VERSIONS
from store.inputs import input_rows, policy_row
from store.records import RecordStore


class RecordActivities:
    def __init__(self, store: RecordStore) -> None:
        self._store = store

    @activity.defn(name="record_events")
    def record_events(self, batch: EventBatch) -> int:
        # An opening names its policy by digest: the version, from this worker's registry,
        # becomes durable in the opening's own transaction (a replay elsewhere reads it there).
        opened_under = [VERSIONS.get(i.policy_id) for i in batch.inputs if i.policy_id]
        return self._store.add_records(
            [event.model_dump() for event in batch.events],
            [handoff.model_dump() for handoff in batch.handoffs],
            input_rows(batch.inputs),
            [policy_row(policy) for policy in opened_under],
        )
