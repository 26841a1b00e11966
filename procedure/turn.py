"""One decision in progress: the ticket it may change, the policy, the instant, the effects so far.

Every rule takes a Turn. Rules change `turn.ticket` (a working copy, see `working_copy`) and append
effects. They replace an entry of the ticket's lists rather than edit it, so the working copy can
share its entries with the record the decision started from."""

from dataclasses import dataclass, field
from datetime import datetime

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


def working_copy(record: TicketRecord) -> TicketRecord:
    """A record a decision may change while the caller's stays as it was: new lists and a new
    deadline set; the entries in the lists are shared (rules replace an entry, never edit one)."""
    lists = {
        name: list(value) for name, value in record.__dict__.items() if isinstance(value, list)
    }
    return record.model_copy(update={**lists, "deadlines": record.deadlines.model_copy()})


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
        **entry.model_dump(),
        **facts,
    )
    turn.effects.append(RecordEntry(record))
    return entry
