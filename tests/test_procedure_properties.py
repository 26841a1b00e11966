"""Invariants of the procedure on random tickets: hypothesis drives random sequences of actions,
customer messages, delivery outcomes and clock advances through `decide`, and every decision is
checked as it is made (tests/test_rules_*.py hold the rules one example at a time)."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities.messages import DeliveryReceipt, OutgoingMessage
from contract.signals import SIGNAL_INPUTS, EscalationReason
from contract.status import TicketRecord, TimelineEvent
from contract.tickets import TicketState
from policy.models import TEMPLATE_PLACEHOLDERS, EscalationPolicy
from procedure import clocks, decide
from procedure.effects import Effect, Notify, RecordHandoff, SearchKnowledgeBase, SendDigest
from procedure.events import (
    DeadlineDue,
    Delivered,
    DeliveryFailed,
    DigestSent,
    Event,
    KnowledgeBaseSearched,
    Opened,
    action_event,
)
from tests.procedure_driver import OPENED_AT, POLICY, submission

E = TimelineEvent
DONE = (TicketState.RESOLVED, TicketState.CLOSED)
# A policy with shorter numbers, so that the random runs reach its limits more often.
TIGHT = POLICY.model_copy(
    update={
        "failed_attempt_limit": 1,
        "customer_update_every": timedelta(hours=1),
        "follow_up_window": timedelta(days=1),
    }
)
TEXTS = [
    "Question about invoices",
    "The export is broken",
    "Everything is down",
    "I think we were hacked",
    "How do I reset my password",
    "Thanks, that worked",
]
# Which timeline events may stop or move a running deadline other than its own firing.
MAY_STOP: dict[str, set[str]] = {
    "acknowledgment": {E.ACKNOWLEDGED, E.RESPONDED, E.ESCALATED, E.RESOLVED, E.CLOSED, E.BREACHED},
    "response": {
        *(E.RESPONDED, E.ESCALATED, E.RESOLVED, E.CLOSED, E.BREACHED),
        *(E.PRIORITY_RAISED, E.PRIORITY_CHANGED),
    },
    "escalation": {
        E.PAUSED,
        E.ESCALATED,
        E.RESOLVED,
        E.CLOSED,
        E.PRIORITY_RAISED,
        E.PRIORITY_CHANGED,
    },
    "realert": {E.ACKNOWLEDGED, E.RESPONDED, E.REALERTED, E.RESOLVED, E.CLOSED, E.PRIORITY_CHANGED},
    "customer_update": {E.PAUSED, E.RESPONDED, E.RESOLVED, E.CLOSED},
    "check_in": {E.RESPONDED, E.ESCALATED, E.RESOLVED, E.CLOSED},
    "close": {E.REOPENED, E.CLOSED},
    "customer_reminder": {E.RESUMED, E.RESOLVED, E.CLOSED},
    "no_reply": {E.RESUMED, E.RESOLVED, E.CLOSED},
}
# What a deadline falling due must leave in the timeline.
FIRED: dict[str, str] = {
    "acknowledgment": E.BREACHED,
    "response": E.BREACHED,
    "escalation": E.ESCALATED,
    "realert": E.REALERTED,
    "customer_update": E.STATUS_UPDATE,
    "check_in": E.CHECK_IN,
    "close": E.CLOSED,
    "customer_reminder": E.CUSTOMER_REMINDED,
    "no_reply": E.RESOLVED,
}


def _action(kind: str, **fields: Any) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    return st.fixed_dictionaries(fields).map(lambda values: (kind, values))


ACTIONS = st.one_of(
    _action("acknowledge", agent=st.just("sam")),
    _action(
        "respond",
        agent=st.just("sam"),
        message=st.sampled_from(TEXTS),
        awaiting_customer=st.booleans(),
    ),
    _action(
        "resolution_attempt", agent=st.just("sam"), action=st.just("tried"), succeeded=st.booleans()
    ),
    _action("customer_message", message=st.sampled_from(TEXTS), requests_escalation=st.booleans()),
    _action(
        "escalate",
        by=st.just("sam"),
        reason=st.sampled_from(list(EscalationReason)),
        to_level=st.none() | st.integers(0, 6),
    ),
    _action("resolve", by=st.just("sam"), resolution=st.just("Fixed")),
    _action("reopen", by=st.just("sam"), reason=st.just("Came back")),
    _action("survey_response", score=st.integers(1, 5)),
    _action(
        "set_priority",
        by=st.just("lead"),
        priority=st.sampled_from(["P1", "P2", "P3", "P4"]),
        reason=st.just("triage was wrong"),
    ),
    _action(
        "recategorize",
        by=st.just("lead"),
        category=st.sampled_from(POLICY.categories),
        reason=st.just("triage was wrong"),
    ),
    _action("assign", by=st.just("lead"), agent=st.sampled_from(["sam", "kim"])),
)
WAITS = st.one_of(st.integers(0, 90), st.integers(90, 3000)).map(lambda m: timedelta(minutes=m))
OUTCOMES = st.sampled_from(["sent", "outbox", "unknown", "throttled", "failed"])
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), WAITS),
        st.tuples(st.just("act"), ACTIONS),
        st.tuples(st.just("deliver"), st.tuples(st.integers(0, 50), OUTCOMES)),
        st.tuples(st.just("search"), st.none()),
        st.tuples(st.just("digest"), st.booleans()),
    ),
    max_size=40,
)
TICKETS = st.fixed_dictionaries(
    {
        "priority": st.sampled_from([None, "P1", "P2", "P3", "P4"]),
        "category": st.sampled_from([None, *POLICY.categories]),
        "subject": st.sampled_from(TEXTS),
    }
)


@dataclass
class Run:
    """A ticket driven through decide, every decision checked as it is made."""

    policy: EscalationPolicy
    now: datetime = OPENED_AT
    state: TicketRecord | None = None
    undelivered: list[OutgoingMessage] = field(default_factory=list)
    searches: list[SearchKnowledgeBase] = field(default_factory=list)
    digests: list[SendDigest] = field(default_factory=list)

    @property
    def ticket(self) -> TicketRecord:
        assert self.state is not None
        return self.state

    def decide(self, event: Event) -> None:
        before = self.state
        snapshot = before.model_dump() if before else None
        after, effects = decide(before, self.policy, event, self.now)
        assert (after, effects) == decide(before, self.policy, event, self.now), "deterministic"
        assert (before.model_dump() if before else None) == snapshot, "the input is unchanged"
        if before is not None:
            check_decision(self.policy, before, event, self.now, after, effects)
        self.state = after
        for effect in effects:
            if isinstance(effect, Notify):
                self.undelivered.append(effect.message)
            elif isinstance(effect, SearchKnowledgeBase):
                self.searches.append(effect)
            elif isinstance(effect, SendDigest):
                self.digests.append(effect)

    def wait(self, span: timedelta) -> None:
        """Time passes as the workflow's timer sees it: each deadline falls due at its instant."""
        until = self.now + span
        while (upcoming := clocks.next_deadline(self.ticket)) and upcoming[1] <= until:
            self.now = upcoming[1]
            for deadline in clocks.DEADLINE_ORDER:
                if clocks.is_due(self.ticket, deadline, self.now):
                    self.decide(DeadlineDue(deadline=deadline))
        self.now = until
        upcoming = clocks.next_deadline(self.ticket)
        assert upcoming is None or upcoming[1] > self.now, "a deadline was missed"

    def step(self, kind: str, value: Any) -> None:
        if kind == "wait":
            self.wait(value)
        elif kind == "act":
            name, fields = value
            self.decide(action_event(name, SIGNAL_INPUTS[name].model_validate(fields)))
        elif kind == "deliver" and self.undelivered:
            index, status = value
            message = self.undelivered.pop(index % len(self.undelivered))
            if status == "failed":
                self.decide(DeliveryFailed(message=message, error="400 refused"))
            else:
                receipt = DeliveryReceipt.model_validate({"status": status})
                self.decide(Delivered(message=message, receipt=receipt))
        elif kind == "search" and self.searches:
            search = self.searches.pop()
            self.decide(KnowledgeBaseSearched(seq=search.seq, matches=[]))
        elif kind == "digest" and self.digests:
            digest = self.digests.pop(0)
            receipt = DeliveryReceipt(status="sent") if value else None
            self.decide(DigestSent(request=digest.request, receipt=receipt))


def written(before: TicketRecord, after: TicketRecord) -> set[str]:
    return {e.event for e in after.timeline[len(before.timeline) :] if not e.rejected}


def check_decision(
    policy: EscalationPolicy,
    before: TicketRecord,
    event: Event,
    now: datetime,
    after: TicketRecord,
    effects: list[Effect],
) -> None:
    check_levels(policy, before, after)
    check_escalations_hand_off(before, after, effects)
    check_deadlines_end_accounted(before, event, now, after)
    check_notifications(before, after, effects)
    if after.paused_since is not None:
        assert after.deadlines.escalation is None and after.deadlines.customer_update is None


def check_levels(policy: EscalationPolicy, before: TicketRecord, after: TicketRecord) -> None:
    assert after.level in range(1, policy.top_level + 1)
    assert after.level >= before.level, "the level never drops"


def check_escalations_hand_off(
    before: TicketRecord, after: TicketRecord, effects: list[Effect]
) -> None:
    """Every escalation has exactly one handoff, recorded once, with its template filled in."""
    escalated = [
        e
        for e in after.timeline[len(before.timeline) :]
        if e.event == E.ESCALATED and not e.rejected
    ]
    handoffs = after.handoffs[len(before.handoffs) :]
    recorded = [e.record for e in effects if isinstance(e, RecordHandoff)]
    assert len(escalated) == len(handoffs) == len(recorded)
    for entry, handoff, record in zip(escalated, handoffs, recorded, strict=True):
        assert record.handoff_id == f"{after.ticket_id}:{entry.seq}:handoff"
        assert (record.template, record.to_level) == (handoff.template, handoff.to_level)
        assert handoff.from_level < handoff.to_level == entry.level
        assert entry.details and entry.details.startswith(
            f"L{handoff.from_level} -> L{handoff.to_level}"
        )
        text = handoff.subject + handoff.template
        assert not [p for p in TEMPLATE_PLACEHOLDERS if f"[{p}]" in text], text


def check_deadlines_end_accounted(
    before: TicketRecord, event: Event, now: datetime, after: TicketRecord
) -> None:
    """A running deadline ends met, breached or cancelled by a recorded decision: never
    silently dropped or moved."""
    events = written(before, after)
    new_breaches = after.breaches[len(before.breaches) :]
    for name in clocks.DEADLINE_ORDER:
        due = getattr(before.deadlines, name)
        if due is None or getattr(after.deadlines, name) == due:
            continue
        if isinstance(event, DeadlineDue) and event.deadline == name:
            assert due <= now
            moot_check_in = name == "check_in" and before.deadlines.response is None
            already_closed = name == "close" and before.state == TicketState.CLOSED
            assert FIRED[name] in events or moot_check_in or already_closed, (name, events)
            if name in ("acknowledgment", "response"):
                assert [(b.metric, b.due) for b in new_breaches][:1] == [(name, due)]
        else:
            assert events & MAY_STOP[name], (name, due, event, events)
    for breach in after.breaches:
        assert breach.due <= breach.at


def check_notifications(before: TicketRecord, after: TicketRecord, effects: list[Effect]) -> None:
    ids = [n.notification_id for n in after.notifications]
    assert len(ids) == len(set(ids)), "notification ids are unique"
    messages = [e.message for e in effects if isinstance(e, Notify)]
    assert {m.notification_id for m in messages} <= set(ids)
    if before.state in DONE and after.state in DONE:
        pages = [
            m
            for m in messages
            if m.audience == "team"
            and m.channel != "dashboard"
            and m.kind != "low_satisfaction_manager"
        ]
        assert not pages, "a resolved ticket pages nobody (a low score emails the manager)"


def paused_spans(record: TicketRecord) -> Iterator[timedelta]:
    """Waits on the customer and time resolved before a reopening, read from the timeline."""
    started: dict[str, datetime] = {}
    for entry in record.timeline:
        if entry.event in (E.PAUSED, E.RESOLVED) and not entry.rejected:
            started[entry.event] = entry.at
        elif entry.event == E.RESUMED and E.PAUSED in started:
            yield entry.at - started.pop(E.PAUSED)
        elif entry.event == E.REOPENED and E.RESOLVED in started:
            yield entry.at - started.pop(E.RESOLVED)


def check_run(policy: EscalationPolicy, record: TicketRecord) -> None:
    assert record.paused_total == sum(paused_spans(record), timedelta(0))
    rule = policy.priorities[record.priority]
    if record.deadlines.escalation is not None:
        assert record.deadlines.escalation == (
            record.opened_at + rule.escalate_within + record.paused_total
        ), "paused time is excluded from the priority's escalation target"
    updates = [n.at for n in record.notifications if n.kind == "status_update"]
    for previous, current in zip([record.opened_at, *updates], updates, strict=False):
        assert current - previous >= policy.customer_update_every, "updates follow the cadence"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=st.sampled_from([POLICY, TIGHT]), ticket=TICKETS, steps=STEPS)
def test_every_decision_keeps_the_procedures_invariants(
    policy: EscalationPolicy, ticket: dict[str, Any], steps: list[tuple[str, Any]]
) -> None:
    run = Run(policy)
    run.decide(Opened(ticket=submission(**ticket)))
    for kind, value in steps:
        run.step(kind, value)
    check_run(policy, run.ticket)
