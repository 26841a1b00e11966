"""What a decision asks the world to do; the workflow carries it out (workflows/ticket.py).

Each effect holds the activity input it becomes, built from business facts, so that running it
twice (a retry, a replay) is recognised by its id downstream."""

from dataclasses import dataclass
from datetime import timedelta

from activities.messages import DigestRequest, EventRecord, HandoffRecord, KbQuery, OutgoingMessage
from contract.status import TimelineEntry


@dataclass(frozen=True)
class Notify:
    """Deliver one message on one channel (email, SMS, phone call or a dashboard alert)."""

    message: OutgoingMessage


@dataclass(frozen=True)
class RecordEntry:
    """Write a timeline entry to the system of record."""

    record: EventRecord


@dataclass(frozen=True)
class RecordHandoff:
    """Write a handoff, with its rendered template, to the system of record."""

    record: HandoffRecord


@dataclass(frozen=True)
class SearchKnowledgeBase:
    """Look for existing solutions; the result comes back as KnowledgeBaseSearched(seq)."""

    query: KbQuery
    seq: int


@dataclass(frozen=True)
class SendDigest:
    """Once the storm window has passed, email what the per-recipient limit held back."""

    request: DigestRequest
    after: timedelta


@dataclass(frozen=True)
class Reply:
    """The timeline entry an action wrote: what the caller of an update gets back."""

    entry: TimelineEntry


Effect = Notify | RecordEntry | RecordHandoff | SearchKnowledgeBase | SendDigest | Reply
