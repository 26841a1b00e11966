"""Agents correct triage (set_priority, recategorize, assign) and the evidence the record keeps,
against the pure core. (test_end_to_end_cli.py, test_api.py and test_cli.py send the same actions
through Temporal.)"""

import pytest
from pydantic import ValidationError

from contract.signals import AssignInput, RecategorizeInput, SetPriorityInput
from contract.status import TimelineEvent
from procedure.effects import RecordEntry
from procedure.ui_details import current_details
from tests.helpers import events
from tests.procedure_driver import HOUR, MINUTE, OPENED_AT, POLICY, Ticket

REASON = "triage was wrong"


def test_a_priority_raised_to_p1_hands_the_ticket_to_level_four_in_one_handoff():
    ticket = Ticket(priority="P3", category="password_resets")
    entry = ticket.act("set_priority", by="lead", priority="P1", reason="whole company locked out")
    assert (entry.event, entry.actor, entry.reason, entry.details) == (
        TimelineEvent.PRIORITY_CHANGED,
        "lead",
        "whole company locked out",
        "P3 -> P1",
    )
    [handoff] = ticket.record.handoffs
    assert (handoff.from_level, handoff.to_level, handoff.by, handoff.reason) == (
        1,
        4,
        "lead",
        "priority_changed:P3->P1",
    )
    assert ticket.record.deadlines.response == OPENED_AT + 15 * MINUTE  # P1 at L4
    assert {m.channel for m in ticket.messages("handoff")} >= {"phone", "email", "dashboard"}


def test_every_correction_is_written_to_the_records_store_with_its_reason():
    ticket = Ticket(priority="P3", category="password_resets")
    ticket.act("set_priority", by="lead", priority="P2", reason="two teams blocked")
    ticket.act("recategorize", by="lead", category="account_access_problems", reason=REASON)
    ticket.act("assign", by="lead", agent="sam")
    recorded = [e.record for e in ticket.effects if isinstance(e, RecordEntry)]
    corrections = [(r.event, r.actor, r.reason, r.category) for r in recorded[-3:]]
    assert corrections == [
        ("priority_changed", "lead", "two teams blocked", "password_resets"),
        ("recategorized", "lead", REASON, "account_access_problems"),
        ("assigned", "lead", None, "account_access_problems"),
    ]


def test_a_lowered_priority_lengthens_the_response_window_and_nothing_breaches_retroactively():
    ticket = Ticket(priority="P2", category="api_integration_problems")  # L2: respond within 1 h
    ticket.act("acknowledge", agent="sam")
    ticket.wait(40 * MINUTE)
    ticket.act("set_priority", by="lead", priority="P4", reason="one test account only")
    # L2's 4 hours now bind, from the level's start, never earlier than before.
    assert ticket.record.deadlines.response == OPENED_AT + 4 * HOUR
    assert ticket.record.deadlines.escalation is None  # P4 asks no higher level
    ticket.wait(3 * HOUR)
    assert ticket.record.breaches == [] and ticket.record.level == 2


def test_a_raised_priority_starts_its_stricter_window_at_the_change():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.act("acknowledge", agent="sam")
    ticket.wait(5 * HOUR)  # P3's 4 hours from opening would already have passed
    ticket.act("set_priority", by="lead", priority="P3", reason="more users now")
    assert ticket.record.deadlines.response == ticket.now + 4 * HOUR
    assert ticket.record.deadlines.escalation == OPENED_AT + 24 * HOUR  # P3: L2 within 24 h
    assert ticket.record.breaches == [] and ticket.record.handoffs == []


def test_a_raised_priority_whose_target_level_is_overdue_escalates_there_at_once():
    ticket = Ticket(priority="P3", category="password_resets")
    ticket.act("acknowledge", agent="sam")
    ticket.wait(3 * HOUR)  # P2 must reach L3 within 2 hours of opening
    ticket.act("set_priority", by="lead", priority="P2", reason="payroll blocked")
    [handoff] = ticket.record.handoffs
    assert (handoff.from_level, handoff.to_level) == (1, 3)
    assert ticket.record.breaches == [] and ticket.record.deadlines.escalation is None
    ticket.wait(MINUTE)
    assert len(ticket.record.handoffs) == 1


def test_a_p1_lowered_by_an_agent_stops_its_realerts():
    ticket = Ticket(priority="P1", category="system_outages")
    ticket.wait(20 * MINUTE)  # the L4 response (15 min) is missed: re-alerts every 15 min
    assert ticket.record.deadlines.realert is not None
    realerts = events(ticket.record).count(TimelineEvent.REALERTED)
    ticket.act("set_priority", by="lead", priority="P3", reason="only the staging site")
    assert ticket.record.deadlines.realert is None
    # Instead, the new priority's response window runs from now (L4: 1 hour).
    assert ticket.record.deadlines.response == ticket.now + HOUR
    ticket.wait(50 * MINUTE)
    assert events(ticket.record).count(TimelineEvent.REALERTED) == realerts


def test_recategorizing_into_a_higher_levels_category_hands_the_ticket_over_once():
    ticket = Ticket(priority="P4", category="basic_billing_questions")
    entry = ticket.act("recategorize", by="lead", category="system_outages", reason=REASON)
    assert (entry.event, entry.details) == (
        TimelineEvent.RECATEGORIZED,
        "basic_billing_questions -> system_outages",
    )
    assert ticket.record.category == "system_outages"
    [handoff] = ticket.record.handoffs
    assert (handoff.to_level, handoff.reason) == (3, "recategorized:system_outages")


def test_recategorizing_into_a_lower_levels_category_keeps_the_level():
    ticket = Ticket(priority="P2", category="api_integration_problems")
    ticket.act("recategorize", by="lead", category="password_resets", reason=REASON)
    assert (ticket.record.category, ticket.record.level) == ("password_resets", 2)
    assert ticket.record.handoffs == []


def test_assign_names_the_owner_in_the_status_the_timeline_and_the_ui():
    ticket = Ticket()
    assert "**Assignee:** unassigned" in current_details(ticket.record, POLICY)
    entry = ticket.act("assign", by="lead", agent="sam")
    assert (entry.event, entry.actor, entry.details) == (TimelineEvent.ASSIGNED, "lead", "sam")
    assert ticket.record.assignee == "sam"
    assert "**Assignee:** sam" in current_details(ticket.record, POLICY)
    assert ticket.act("assign", by="lead", agent="kim").details == "sam -> kim"


@pytest.mark.parametrize(
    ("kind", "fields", "reason"),
    [
        (
            "set_priority",
            {"priority": "P4", "reason": REASON},
            "priority: the ticket is already P4",
        ),
        ("recategorize", {"category": "nope", "reason": REASON}, "category: 'nope' is not one of"),
        (
            "recategorize",
            {"category": "basic_billing_questions", "reason": REASON},
            "category: the ticket is already basic_billing_questions",
        ),
        ("assign", {"agent": "lead"}, "agent: the ticket is already assigned to lead"),
    ],
)
def test_a_correction_that_changes_nothing_or_names_no_category_is_rejected_naming_the_field(
    kind: str, fields: dict[str, str], reason: str
):
    ticket = Ticket(priority="P4", category="basic_billing_questions")
    ticket.act("assign", by="lead", agent="lead")
    before = ticket.record
    entry = ticket.act(kind, by="lead", **fields)
    assert entry.rejected and entry.reason.startswith(reason)
    assert ticket.record.model_dump(exclude={"timeline"}) == before.model_dump(exclude={"timeline"})


@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (SetPriorityInput, {"by": "lead", "priority": "P5", "reason": REASON}, "priority"),
        (SetPriorityInput, {"by": "lead", "priority": "P2", "reason": "   "}, "reason"),
        (RecategorizeInput, {"by": "lead", "category": "system_outages", "reason": ""}, "reason"),
        (AssignInput, {"by": "lead", "agent": ""}, "agent"),
    ],
)
def test_bad_correction_input_is_refused_naming_the_field(
    model: type, fields: dict[str, str], field: str
):
    with pytest.raises(ValidationError) as refused:
        model.model_validate(fields)
    assert [error["loc"] for error in refused.value.errors()] == [(field,)]


def test_no_correction_applies_to_a_closed_ticket():
    ticket = Ticket()
    ticket.act("resolve", by="sam", resolution="Sent the invoice")
    ticket.act("survey_response", score=5)
    for kind, fields in [
        ("set_priority", {"priority": "P1", "reason": REASON}),
        ("recategorize", {"category": "system_outages", "reason": REASON}),
        ("assign", {"agent": "sam"}),
    ]:
        entry = ticket.act(kind, by="lead", **fields)
        assert entry.rejected and entry.reason == "ticket is closed"


def test_the_routed_evidence_is_in_the_status_the_new_ticket_page_and_the_ui():
    ticket = Ticket(
        priority=None,
        category=None,
        subject="Production down",
        description="Our production database is down for all users since 9:00.",
    )
    shown = [str(e) for e in ticket.record.evidence]
    assert 'outage "down"' in shown
    routed = next(e for e in ticket.record.timeline if e.event == TimelineEvent.ROUTED)
    assert {e.seq for e in ticket.record.evidence} == {routed.seq}
    for page in ticket.messages("new_ticket"):
        assert 'Why: outage "down"' in page.body, page.channel
    assert 'Why: outage "down"' in current_details(ticket.record, POLICY)


def test_a_caller_priority_without_evidence_says_so_on_the_page():
    ticket = Ticket(
        priority="P2",
        category="api_integration_problems",
        subject="Webhooks",
        description="Webhook setup for account 42.",
    )
    assert ticket.record.evidence == []
    for page in ticket.messages("new_ticket"):
        assert "Why: P2 set by the caller; no evidence in the text" in page.body


def test_a_keyword_escalation_from_a_message_says_which_words_on_the_handoff_page():
    ticket = Ticket(priority="P4", category="password_resets")
    message = ticket.act("customer_message", message="Now the whole login page is broken")
    added = [str(e) for e in ticket.record.evidence if e.seq == message.seq]
    assert added and 'failure "broken"' in added
    for page in ticket.messages("handoff"):
        assert page.body.startswith("Why: " + "; ".join(added) + "\n"), page.channel
    assert ticket.record.handoffs[-1].template.startswith("Why: " + "; ".join(added))


def test_a_plain_question_in_a_later_message_adds_no_evidence_and_no_why():
    ticket = Ticket(priority="P3", category="password_resets")
    before = list(ticket.record.evidence)
    ticket.act("customer_message", message="Any news? Thanks")
    assert ticket.record.evidence == before and ticket.record.handoffs == []
