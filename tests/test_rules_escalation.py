"""Escalation triggers, manual escalation and handoffs against the pure core.
(tests/test_escalation.py checks the same through a server, with the records written.)"""

import pytest

from contract.status import TimelineEvent
from procedure.effects import RecordHandoff
from tests.helpers import events, sent
from tests.procedure_driver import HOUR, MINUTE, POLICY, Ticket

FAILED = {"agent": "sam", "action": "Cleared cache", "succeeded": False}


def test_the_failed_attempt_limit_escalates_and_the_count_restarts_per_level():
    ticket = Ticket(priority="P4", category="password_resets")
    for _ in range(POLICY.failed_attempt_limit - 1):
        ticket.act("resolution_attempt", **FAILED)
    assert ticket.record.level == 1
    ticket.act("resolution_attempt", **FAILED)
    assert ticket.record.level == 2 and ticket.record.handoffs[-1].reason == "failed_attempt_limit"
    assert ticket.record.failed_attempts_at_level == 0
    ticket.act("resolution_attempt", **FAILED)
    assert ticket.record.level == 2


def test_a_successful_attempt_does_not_count_towards_the_limit():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.act("resolution_attempt", agent="sam", action="Sent a link", succeeded=True)
    ticket.act("resolution_attempt", **FAILED)
    assert ticket.record.level == 1 and len(ticket.record.attempts) == 2


def test_customer_requesting_escalation_moves_one_level_up():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.act("customer_message", message="Someone senior please", requests_escalation=True)
    assert (ticket.record.level, ticket.record.handoffs[-1].reason) == (2, "customer_request")


def test_a_critical_keyword_in_a_message_escalates_once_and_raises_the_priority():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.act("customer_message", message="Now the whole login page is broken")
    assert (ticket.record.priority, ticket.record.level) == ("P2", 2)
    assert ticket.record.handoffs[-1].reason == "critical_keyword:broken"
    ticket.act("customer_message", message="still broken")
    assert ticket.record.level == 2 and len(ticket.record.handoffs) == 1


def test_an_outage_keyword_takes_the_ticket_where_p1_demands_at_once():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.act("customer_message", message="Total outage here")
    assert (ticket.record.priority, ticket.record.level) == ("P1", 4)


def test_a_security_concern_in_a_message_goes_to_at_least_level_three():
    ticket = Ticket(priority="P4", category="account_access_problems")
    ticket.act("customer_message", message="I think my account was hacked")
    assert (ticket.record.level, ticket.record.handoffs[-1].reason) == (
        3,
        "security_concern:hacked",
    )


def test_manual_escalation_may_jump_levels_and_hands_off_with_the_engineering_template():
    ticket = Ticket(priority="P3", category="basic_billing_questions")
    ticket.act("resolution_attempt", agent="sam", action="Re-sent the invoice", succeeded=False)
    entry = ticket.act(
        "escalate", by="sam", reason="legal_or_compliance", note="Ask legal first", to_level=4
    )
    assert (entry.event, entry.details) == ("escalated", "L1 -> L4: Ask legal first")
    [handoff] = ticket.record.handoffs
    assert (handoff.from_level, handoff.to_level, handoff.by) == (1, 4, "sam")
    assert handoff.reason == "manual:legal_or_compliance"
    assert handoff.subject == "Escalation to Engineering - Basic billing questions - Ticket #T-1"
    assert "Customer: Ada Lovelace (ada@example.com)" in handoff.template
    assert "Technical Analysis: Not recorded. Attempts: Re-sent the invoice (failed, sam, L1)" in (
        handoff.template
    )
    assert "Proposed Solution: Ask legal first" in handoff.template
    assert (
        "Timeline: L4 response due by Mon 2 Mar 2026 05:00 America/New_York" in handoff.template
    )  # L4: 1 h
    assert "[" not in handoff.template


def test_each_handoff_is_recorded_once_and_both_sides_are_told():
    ticket = Ticket(priority="P2", category="api_integration_problems")
    ticket.act("escalate", by="sam", reason="beyond_expertise")
    [recorded] = [e.record for e in ticket.effects if isinstance(e, RecordHandoff)]
    assert recorded.handoff_id == f"T-1:{len(ticket.record.timeline)}:handoff"
    assert recorded.template == ticket.record.handoffs[0].template
    assert recorded.subject.startswith("Escalation to Level 3 - Api integration problems")
    team = ticket.messages("handoff", "team")
    assert [(m.channel, m.recipient) for m in team] == [
        ("email", POLICY.levels[3].contacts.email),
        ("dashboard", "L3 dashboard"),
    ]
    [notice] = ticket.messages("escalation_notice", "customer")
    assert "expect a response by Mon 2 Mar 2026 05:00 America/New_York" in notice.body


def test_a_handoff_schedules_a_check_in_at_half_the_new_response_window():
    ticket = Ticket(priority="P3", category="performance_issues")
    ticket.act("escalate", by="sam", reason="beyond_expertise")
    assert ticket.record.deadlines.check_in == ticket.now + HOUR  # half of L3's 2 h
    ticket.act("acknowledge", agent="lee")  # within L3's 15 minutes, so L3 keeps it
    ticket.wait(HOUR)
    [check_in] = ticket.messages("check_in")
    assert (check_in.channel, check_in.recipient) == ("email", POLICY.levels[3].contacts.email)


def test_a_response_before_the_check_in_cancels_it():
    ticket = Ticket(priority="P3", category="performance_issues")
    ticket.act("escalate", by="sam", reason="beyond_expertise")
    ticket.act("respond", agent="lee", message="On it")
    ticket.wait(2 * HOUR)
    assert TimelineEvent.CHECK_IN not in events(ticket.record)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"to_level": 9},
            "to_level 9 out of range: must be above the current level 1 and at most 4",
        ),
        ({"to_level": 1}, "to_level 1 out of range"),
    ],
)
def test_escalations_out_of_range_are_recorded_as_rejected(fields: dict, reason: str):
    ticket = Ticket(priority="P4", category="password_resets")
    entry = ticket.act("escalate", by="sam", reason="other", **fields)
    assert entry.rejected and entry.event == "escalate" and reason in (entry.reason or "")
    assert ticket.record.level == 1 and ticket.record.handoffs == []


def test_nothing_escalates_above_the_top_level():
    ticket = Ticket(priority="P1", category=None)
    entry = ticket.act("escalate", by="sam", reason="other")
    assert entry.rejected and entry.reason == "already at level 4, the highest"
    ticket.act("customer_message", message="Please escalate", requests_escalation=True)
    assert ticket.record.level == 4 and ticket.record.handoffs == []


def test_actions_on_a_resolved_ticket_are_rejected_until_it_is_reopened():
    ticket = Ticket()
    ticket.act("resolve", by="sam", resolution="Reset link sent")
    entry = ticket.act("escalate", by="sam", reason="other")
    assert (entry.rejected, entry.reason) == (True, "ticket is resolved; reopen it first")
    assert ticket.act("acknowledge", agent="sam").rejected
    assert not ticket.act("reopen", by="sam", reason="Customer called").rejected
    assert not ticket.act("acknowledge", agent="sam").rejected


def test_acknowledging_twice_is_rejected():
    ticket = Ticket()
    ticket.act("acknowledge", agent="sam")
    entry = ticket.act("acknowledge", agent="lee")
    assert (entry.rejected, entry.reason, entry.actor) == (
        True,
        "already acknowledged at L1",
        "lee",
    )
    assert sent(ticket.record, "handoff") == []


def test_at_level_four_a_customer_request_is_recorded_and_the_manager_told():
    ticket = Ticket(priority="P1", category=None)
    ticket.act(
        "customer_message", message="I want to speak to your manager.", requests_escalation=True
    )
    [entry] = [e for e in ticket.record.timeline if e.event == "escalation_at_top"]
    assert entry.reason == "customer_request" and "speak to your manager" in (entry.details or "")
    [email] = ticket.messages("top_level_trigger", "team")
    manager = POLICY.levels[4].manager
    assert manager and email.recipient == manager.email
    assert ticket.record.level == 4 and ticket.record.handoffs == []


def test_at_level_four_the_failed_attempt_limit_is_recorded_and_the_manager_told():
    ticket = Ticket(priority="P1", category=None)
    ticket.act("resolution_attempt", agent="eng", action="Rolled back", succeeded=False)
    ticket.act("resolution_attempt", agent="eng", action="Restarted", succeeded=False)
    [entry] = [e for e in ticket.record.timeline if e.event == "escalation_at_top"]
    assert entry.reason == "failed_attempt_limit"
    assert (
        entry.details
        == "2 failed attempts at L4: Rolled back by eng: failed; Restarted by eng: failed"
    )
    assert len(ticket.messages("top_level_trigger", "team")) == 1


def test_a_priority_raised_past_its_target_makes_one_handoff_to_the_final_level():
    ticket = Ticket(priority="P3", category="password_resets")
    ticket.act("acknowledge", agent="sam")
    ticket.wait(3 * HOUR)
    ticket.act("customer_message", message="The export is broken again.")
    assert ticket.record.priority == "P2"  # P2 must reach L3 within 2 hours: passed an hour ago
    [handoff] = ticket.record.handoffs
    assert (handoff.from_level, handoff.to_level) == (1, 3)
    assert len(ticket.messages("escalation_notice", "customer")) == 1
    ticket.wait(MINUTE)
    assert len(ticket.record.handoffs) == 1
