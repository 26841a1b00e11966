"""One decision in progress: the ticket it may change, the policy, the instant, the effects so far.

Every rule takes a Turn. Rules change `turn.ticket` (a working copy, see `working_copy`) and append
effects. They replace an entry of the ticket's lists rather than edit it, so the working copy can
share its entries with the record the decision started from."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import get_origin

from activities.messages import EventRecord
from contract.status import TicketRecord, TimelineEntry
from contract.tickets import TicketState
from policy.models import EscalationPolicy
from procedure.effects import Effect, RecordEntry

# Who decides what no person decided: deadlines, triggers, deliveries.
SYSTEM = "system"
DONE = (TicketState.RESOLVED, TicketState.CLOSED)


@dataclass
class Turn:
    ticket: TicketRecord
    policy: EscalationPolicy
    now: datetime
    effects: list[Effect] = field(default_factory=list)
    # The deadline instant a decision answers, when a deadline fell due: its notifications carry
    # it so that the worker can measure deadline to page (metrics/deliveries.py).
    due: datetime | None = None


# The record's list fields: a working copy gets its own lists.
_LISTS = tuple(
    name for name, info in TicketRecord.model_fields.items() if get_origin(info.annotation) is list
)


def working_copy(record: TicketRecord) -> TicketRecord:
    """A record a decision may change while the caller's stays as it was: new lists and a new
    deadline set; the entries in the lists are shared (rules replace an entry, never edit one).

    What `model_copy(update=...)` would make, without revalidating or walking every field
    (every decision makes one: it was a tenth of `simulate`)."""
    copy = record.__copy__()
    values = copy.__dict__
    for name in _LISTS:
        values[name] = values[name].copy()
    values["deadlines"] = record.deadlines.__copy__()
    copy.__pydantic_fields_set__.update(_LISTS, ("deadlines",))
    return copy


def log(
    turn: Turn,
    event: str,
    actor: str,
    reason: str | None = None,
    details: str | None = None,
    rejected: bool = False,
    **facts: int | str | None,
) -> TimelineEntry:
    """A timeline entry, also written to the system of record with facts (score, article)."""
    t = turn.ticket
    entry = TimelineEntry(
        seq=len(t.timeline) + 1,
        at=turn.now,
        event=event,
        actor=actor,
        level=t.level,
        priority=t.priority,
        reason=reason,
        details=details,
        rejected=rejected,
    )
    t.timeline.append(entry)
    record = EventRecord(
        event_id=f"{t.ticket_id}:{entry.seq}",
        ticket_id=t.ticket_id,
        category=t.category,
        **vars(entry),  # the entry's fields, as validated (a dump would build them again)
        **facts,
    )
    turn.effects.append(RecordEntry(record))
    return entry
