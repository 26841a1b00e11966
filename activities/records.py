"""System-of-record writes: every timeline entry and every handoff with its rendered template.

Idempotent by id, so activity retries and workflow replays never duplicate a row; while the
database is down the activity fails and Temporal retries it until the database is back."""

from datetime import datetime

from pydantic import BaseModel
from temporalio import activity

from activities.messages import HandoffRecord
from policy.models import PriorityName
from store.records import RecordStore


class EventRecord(BaseModel):
    """One timeline entry for the system of record; event_id is `<ticket_id>:<seq>`."""

    event_id: str
    ticket_id: str
    seq: int
    event: str
    at: datetime
    actor: str
    level: int
    priority: PriorityName
    category: str | None
    reason: str | None = None
    details: str | None = None
    rejected: bool = False
    score: int | None = None
    article: str | None = None


class EventBatch(BaseModel):
    """The entries and handoffs one workflow task wrote: one activity and one transaction."""

    events: list[EventRecord]
    handoffs: list[HandoffRecord] = []


class RecordActivities:
    def __init__(self, store: RecordStore) -> None:
        self._store = store

    @activity.defn(name="record_events")
    def record_events(self, batch: EventBatch) -> int:
        return self._store.add_records(
            [event.model_dump() for event in batch.events],
            [handoff.model_dump() for handoff in batch.handoffs],
        )
