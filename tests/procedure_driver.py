"""Drive one ticket through the pure core (procedure.decide) in tests: no server, no clock.

A `Ticket` holds the state, the instant and every effect so far. `wait` lets time run (deadlines
fall due at their instants, as the workflow's timers fire them), `act` sends an action, and the
other methods report what an activity returned, as the workflow's shell would."""

from datetime import UTC, datetime, timedelta
from typing import Any

from activities.messages import DeliveryReceipt, OutgoingMessage
from contract.signals import SIGNAL_INPUTS
from contract.status import TicketRecord, TimelineEntry
from contract.ticket_input import TicketSubmission
from policy import EscalationPolicy, load_policy
from procedure import advance, decide
from procedure.effects import Effect, Notify, Reply, SearchKnowledgeBase
from procedure.events import (
    Delivered,
    DeliveryFailed,
    Event,
    KnowledgeBaseSearched,
    Opened,
    action_event,
)
from tests.helpers import CUSTOMER

POLICY = load_policy(time_scale=1)
OPENED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def submission(**overrides: Any) -> TicketSubmission:
    fields: dict[str, Any] = {
        "ticket_id": "T-1",
        "customer": {"name": "Ada Lovelace", "email": CUSTOMER, "phone": "+15551234567"},
        "subject": "Question about invoices",
        "description": "Where can I download last month's invoice?",
        "priority": "P4",
        "category": "basic_billing_questions",
    }
    return TicketSubmission.model_validate(fields | overrides)


class Ticket:
    def __init__(self, policy: EscalationPolicy = POLICY, **overrides: Any) -> None:
        self.policy = policy
        self.now = OPENED_AT
        self.effects: list[Effect] = []
        self.record: TicketRecord = self._decide(None, Opened(ticket=submission(**overrides)))

    def _decide(self, state: TicketRecord | None, event: Event) -> TicketRecord:
        record, effects = decide(state, self.policy, event, self.now)
        self.effects += effects
        return record

    def send(self, event: Event) -> list[Effect]:
        """Decide one event at the current instant; the effects it returned."""
        before = len(self.effects)
        self.record = self._decide(self.record, event)
        return self.effects[before:]

    def act(self, kind: str, **fields: Any) -> TimelineEntry:
        """An action as a signal sends it; the entry it wrote (rejected or not)."""
        payload = SIGNAL_INPUTS[kind].model_validate(fields)
        [reply] = [e for e in self.send(action_event(kind, payload)) if isinstance(e, Reply)]
        return reply.entry

    def wait(self, span: timedelta) -> None:
        """Let span pass; every deadline due meanwhile falls due at its own instant."""
        until = self.now + span
        self.record, effects = advance(self.record, self.policy, until)
        self.effects += effects
        self.now = until

    def search_done(self, *matches: Any) -> list[Effect]:
        [search] = [e for e in self.effects if isinstance(e, SearchKnowledgeBase)]
        return self.send(KnowledgeBaseSearched(seq=search.seq, matches=list(matches)))

    def messages(
        self, kind: str | None = None, audience: str | None = None
    ) -> list[OutgoingMessage]:
        """What the core asked to deliver, in order."""
        return [
            e.message
            for e in self.effects
            if isinstance(e, Notify)
            and (kind is None or e.message.kind == kind)
            and (audience is None or e.message.audience == audience)
        ]

    def deliver(self, message: OutgoingMessage, status: str = "sent") -> list[Effect]:
        receipt = DeliveryReceipt.model_validate({"status": status, "provider_id": "p-1"})
        return self.send(Delivered(message=message, receipt=receipt))

    def fail(self, message: OutgoingMessage, error: str = "400 invalid number") -> list[Effect]:
        return self.send(DeliveryFailed(message=message, error=error))
