"""Which of a ticket's events its record keeps, so that a simulation can replay the ticket.

Kept, exactly as `procedure.decide` received them: the opening (with the digest of the policy
the ticket runs under), each action and unreadable signal (rejected ones too), the knowledge
base's answer, a provider's permanent refusal of a notification (fallbacks and an alert follow
from it, and no policy can recompute it), and each deadline the workflow handled, with the
instant the ticket's timer was set for. A simulation recomputes every deadline: these rows only
say when the workflow looked at its deadlines, which is a few milliseconds after they fell due
(the timer fires late) and sometimes after an action that came in between.

Not kept: delivery receipts and digests (`delivered`, `digest_sent`). They settle a
notification's status and change no decision, and the storm limit behind a digest spans
tickets. Nor do they move the clocks (procedure.decide): a deadline due when one arrives falls
due at its timer's firing, which is kept, never inside the receipt."""

from datetime import datetime

from activities.messages import InputRecord
from contract.status import TicketRecord
from procedure import clocks
from procedure.events import RECEIPTS, DeadlineDue, Event, Opened


def size(record: TicketRecord | None) -> int:
    return 0 if record is None else len(record.timeline) + len(record.notifications)


def position(before: TicketRecord | None, after: TicketRecord) -> int:
    """Orders and names a ticket's inputs, the same on every replay of the workflow: twice the
    record's size before the input, plus one when the input added to it. Every input adds an
    entry or a notification but a check-in falling due once the response clock has stopped,
    which then takes the slot before the next input."""
    grew = size(after) > size(before)
    return 2 * size(before) + grew


def recorded_input(
    before: TicketRecord | None,
    after: TicketRecord,
    policy_id: str,
    event: Event,
    now: datetime,
) -> InputRecord | None:
    """The record of the event that took the ticket from `before` to `after`, or None when
    the event is not kept."""
    if isinstance(event, RECEIPTS):
        return None
    timer = clocks.next_deadline(before) if before and isinstance(event, DeadlineDue) else None
    at = position(before, after)
    return InputRecord(
        input_id=f"{after.ticket_id}:{at}",
        ticket_id=after.ticket_id,
        position=at,
        at=now,
        kind=event.kind,
        event=event.model_dump_json(),
        due=timer[1] if timer else None,
        policy_id=policy_id if isinstance(event, Opened) else None,
    )
