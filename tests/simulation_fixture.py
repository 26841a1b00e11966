"""Hand-worked tickets for the simulation tests, recorded as the workflow records its inputs.

Shipped policy (L1 acknowledges within 2 h, L2 within 1 h, L3 pages at once; P4 responds within
24 h, L2 within 4 h, L3 within 2 h; customer updates every 4 h). Opened Monday 2026-03-02.

A  P4 password_resets (L1), opened 09:00: acknowledged 10:30, responded 11:00, resolved 12:00,
   survey 12:30.
B  P3 general_product_inquiries (L1), opened 09:00: acknowledged 09:45, responded 10:00,
   resolved 11:00, survey 11:30.
C  P4 password_resets (L1), opened 09:00: acknowledged 11:50, responded 12:30, resolved 13:30,
   survey 14:00. The workflow looked at its deadlines at 11:00, when L1's acknowledgment fell
   due (recorded, like every such look: a replay as recorded handles deadlines only then)."""

from datetime import UTC, datetime, timedelta

from activities.messages import InputRecord
from contract.ticket_input import TicketSubmission
from policy import EscalationPolicy, load_policy
from policy.versions import policy_digest
from procedure.events import (
    Acknowledge,
    DeadlineDue,
    Event,
    KnowledgeBaseSearched,
    Opened,
    Resolve,
    Respond,
    SurveyResponse,
)
from store.inputs import input_rows, policy_row
from store.records import RecordStore
from tests.helpers import CUSTOMER

# The hand-worked tickets count plain hours: every clock around the clock.
SHIPPED = load_policy(time_scale=1).around_the_clock()
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SINCE, UNTIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
REPLAYED_UNTIL = datetime(2026, 3, 20, tzinfo=UTC)
H, M = timedelta(hours=1), timedelta(minutes=1)


def handled(
    ack: timedelta, respond: timedelta, resolve: timedelta
) -> list[tuple[timedelta, Event]]:
    return [
        (ack, Acknowledge(agent="ana")),
        (respond, Respond(agent="ana", message="Here is what to do.")),
        (resolve, Resolve(by="ana", resolution="Done.")),
        (resolve + 30 * M, SurveyResponse(score=5)),
    ]


TICKETS: dict[str, tuple[str, str, list[tuple[timedelta, Event]]]] = {
    "A": ("P4", "password_resets", handled(90 * M, 2 * H, 3 * H)),
    "B": ("P3", "general_product_inquiries", handled(45 * M, 1 * H, 2 * H)),
    "C": (
        "P4",
        "password_resets",
        [(2 * H, DeadlineDue(deadline="acknowledgment")), *handled(170 * M, 210 * M, 270 * M)],
    ),
}


def submission(ticket_id: str, priority: str, category: str) -> TicketSubmission:
    return TicketSubmission.model_validate(
        {
            "ticket_id": ticket_id,
            "customer": {"name": "Ada Lovelace", "email": CUSTOMER},
            "subject": "Question",
            "description": "How do I change my password?",
            "priority": priority,
            "category": category,
        }
    )


def inputs(
    ticket: TicketSubmission, script: list[tuple[timedelta, Event]], policy: EscalationPolicy
) -> list[InputRecord]:
    """Opened at nine, the knowledge base's answer a second later, then the script's actions."""
    events: list[tuple[datetime, Event]] = [
        (NINE, Opened(ticket=ticket)),
        (NINE + timedelta(seconds=1), KnowledgeBaseSearched(seq=2, matches=[])),
        *((NINE + offset, event) for offset, event in script),
    ]
    ticket_id = ticket.ticket_id
    return [
        InputRecord(
            input_id=f"{ticket_id}:{position}",
            ticket_id=ticket_id,
            position=position,
            at=at,
            kind=event.kind,
            event=event.model_dump_json(),
            due=at if isinstance(event, DeadlineDue) else None,  # its timer fired on time
            policy_id=policy_digest(policy) if position == 0 else None,
        )
        for position, (at, event) in enumerate(events)
    ]


def record_fixture(store: RecordStore) -> None:
    for ticket_id, (priority, category, script) in TICKETS.items():
        ticket = submission(ticket_id, priority, category)
        rows = input_rows(inputs(ticket, script, SHIPPED))
        store.add_records([], [], rows, [policy_row(SHIPPED)])
