"""The SLA clocks against the pure core: acknowledgment and response deadlines, their breaches,
the priorities' escalation targets, the top level's re-alerts, waiting on the customer.
(tests/test_sla.py checks the timers on the time-skipping server.)"""

from datetime import timedelta

from contract.status import TimelineEvent
from procedure import decide
from procedure.events import DeadlineDue
from tests.helpers import events, sent
from tests.procedure_driver import HOUR, MINUTE, POLICY, Ticket


def test_a_missed_acknowledgment_breaches_alerts_the_dashboard_and_escalates_one_level():
    ticket = Ticket(priority="P4", category="password_resets")
    opened = ticket.now
    ticket.wait(2 * HOUR + MINUTE)
    [breach] = ticket.record.breaches
    assert (breach.metric, breach.level, breach.due, breach.at) == (
        "acknowledgment",
        1,
        opened + 2 * HOUR,
        opened + 2 * HOUR,
    )
    assert ticket.record.sla_breached and ticket.record.level == 2
    assert [m.channel for m in ticket.messages("sla_breach")] == ["dashboard"]
    [handoff] = ticket.record.handoffs
    assert (handoff.reason, handoff.triggered_at) == ("acknowledgment_sla_missed", breach.due)


def test_acknowledging_in_time_stops_the_acknowledgment_clock_only():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.wait(HOUR)
    entry = ticket.act("acknowledge", agent="sam")
    assert entry.reason == "acknowledgment_met"
    ticket.wait(2 * HOUR)
    assert (ticket.record.breaches, ticket.record.level) == ([], 1)
    assert ticket.record.deadlines.response == ticket.record.opened_at + 24 * HOUR


def test_a_missed_response_breaches_and_escalates():
    ticket = Ticket(priority="P2", category="api_integration_problems")
    ticket.act("acknowledge", agent="sam")
    ticket.wait(HOUR + MINUTE)
    assert [b.metric for b in ticket.record.breaches] == ["response"]
    assert (ticket.record.level, ticket.record.handoffs[0].reason) == (3, "response_sla_missed")


def test_respond_meets_the_response_deadline():
    ticket = Ticket(priority="P3", category="performance_issues")
    entry = ticket.act("respond", agent="sam", message="Looking into it")
    assert entry.reason == "response_met"
    assert (
        ticket.record.deadlines.response is None and ticket.record.deadlines.acknowledgment is None
    )
    assert ticket.record.first_response_at == ticket.now == ticket.record.first_acknowledged_at


def test_unrelated_actions_never_move_a_running_deadline():
    ticket = Ticket(priority="P4", category="password_resets")
    before = ticket.record.deadlines
    ticket.wait(30 * MINUTE)
    ticket.act("resolution_attempt", agent="sam", action="sent link", succeeded=True)
    assert ticket.record.deadlines == before


def test_p2_reaches_level_three_within_two_hours_of_opening():
    ticket = Ticket(priority="P2", category="password_resets")
    ticket.act("respond", agent="sam", message="On it")
    assert ticket.record.deadlines.escalation == ticket.record.opened_at + 2 * HOUR
    ticket.wait(2 * HOUR)
    assert ticket.record.level == 3
    [handoff] = ticket.record.handoffs
    assert (handoff.from_level, handoff.reason) == (1, "P2_unresolved_after_2 hours")
    assert ticket.record.breaches == []


def test_p3_reaches_level_two_within_a_day_of_opening():
    ticket = Ticket(priority="P3", category="basic_billing_questions")
    ticket.act("respond", agent="sam", message="Checking")
    ticket.wait(24 * HOUR - MINUTE)
    assert ticket.record.level == 1
    ticket.wait(MINUTE)
    assert (ticket.record.level, ticket.record.handoffs[-1].reason) == (
        2,
        "P3_unresolved_after_1 day",
    )


def test_p4_follows_the_standard_level_one_process_without_an_escalation_target():
    ticket = Ticket(priority="P4", category="password_resets")
    assert ticket.record.deadlines.escalation is None


def test_a_ticket_already_at_its_priority_target_runs_no_escalation_clock():
    assert Ticket(priority="P2", category="system_outages").record.deadlines.escalation is None


def test_a_re_alert_says_how_long_the_top_level_has_left_it_unacknowledged_and_who_is_paged():
    ticket = Ticket(priority="P1", category=None)
    ticket.wait(30 * MINUTE)
    reasons = [e.reason for e in ticket.record.timeline if e.event == TimelineEvent.REALERTED]
    assert reasons == [
        "still unacknowledged at Level 4 (Engineering Team) after 15 minutes - "
        "re-alerting the on-call and the manager",
        "still unacknowledged at Level 4 (Engineering Team) after 30 minutes - "
        "re-alerting the on-call and the manager",
    ]
    [first, *_] = ticket.messages("realert_manager")
    assert "Why: Still unacknowledged at Level 4 (Engineering Team) after 15 minutes" in first.body


def test_the_top_level_re_alerts_every_response_window_until_acknowledged():
    ticket = Ticket(priority="P1", category=None)
    ticket.wait(15 * MINUTE)
    assert [b.metric for b in ticket.record.breaches] == ["response"]
    assert events(ticket.record).count(TimelineEvent.REALERTED) == 1
    ticket.wait(30 * MINUTE)
    assert events(ticket.record).count(TimelineEvent.REALERTED) == 3
    assert {m.channel for m in ticket.messages("realert")} == {"phone", "email", "dashboard"}
    manager = POLICY.levels[4].manager
    assert (
        manager
        and [n.recipient for n in sent(ticket.record, "realert_manager")] == [manager.email] * 3
    )
    ticket.act("acknowledge", agent="eng-oncall")
    assert ticket.record.deadlines.realert is None
    ticket.wait(HOUR)
    assert events(ticket.record).count(TimelineEvent.REALERTED) == 3


def test_waiting_on_the_customer_pauses_the_escalation_target_and_the_updates():
    ticket = Ticket(priority="P3", category="basic_billing_questions")
    ticket.wait(HOUR)
    ticket.act("respond", agent="sam", message="Which invoice?", awaiting_customer=True)
    assert ticket.record.state == "awaiting_customer"
    deadlines = ticket.record.deadlines
    assert deadlines.escalation is None and deadlines.customer_update is None
    ticket.wait(30 * HOUR)
    assert (ticket.record.level, sent(ticket.record, "status_update")) == (1, [])
    ticket.act("customer_message", message="The March one")
    assert ticket.record.paused_total == 30 * HOUR
    assert ticket.record.deadlines.escalation == ticket.record.opened_at + 54 * HOUR
    # the cadence keeps what it had left when the wait began: 4 h from the response
    assert ticket.record.deadlines.customer_update == ticket.now + 4 * HOUR


def test_paused_time_survives_a_priority_change():
    ticket = Ticket(priority="P3", category="basic_billing_questions")
    ticket.act("respond", agent="sam", message="Please confirm", awaiting_customer=True)
    ticket.wait(10 * HOUR)
    ticket.act("customer_message", message="Confirmed. Also billing is broken now")
    assert (ticket.record.priority, ticket.record.level) == ("P2", 2)
    assert ticket.record.paused_total == 10 * HOUR
    assert ticket.record.deadlines.escalation == ticket.record.opened_at + 12 * HOUR


def test_a_more_urgent_priority_only_ever_shortens_the_running_response_deadline():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.wait(HOUR)
    ticket.act("customer_message", message="Now it is broken")  # P2, escalates to L2
    assert ticket.record.deadlines.response == ticket.now + HOUR  # P2's 1 h at L2


def test_a_deadline_moved_since_its_timer_was_set_is_not_due():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.act("acknowledge", agent="sam")
    record, effects = decide(
        ticket.record, POLICY, DeadlineDue(deadline="acknowledgment"), ticket.now + 3 * HOUR
    )
    assert (record, effects) == (ticket.record, [])
    early, effects = decide(
        ticket.record, POLICY, DeadlineDue(deadline="response"), ticket.now + HOUR
    )
    assert (early, effects) == (ticket.record, [])


def test_level_three_acknowledges_within_fifteen_minutes_or_breaches_and_escalates():
    ticket = Ticket(priority="P2", category="system_outages")
    opened = ticket.now
    assert ticket.record.deadlines.acknowledgment == opened + 15 * MINUTE
    ticket.wait(15 * MINUTE)
    [breach] = ticket.record.breaches
    assert (breach.metric, breach.level, breach.due) == ("acknowledgment", 3, opened + 15 * MINUTE)
    assert ticket.record.level == 4
    assert ticket.record.handoffs[0].reason == "acknowledgment_sla_missed"


def test_level_three_acknowledging_in_time_keeps_the_ticket():
    ticket = Ticket(priority="P2", category="system_outages")
    ticket.wait(14 * MINUTE)
    assert ticket.act("acknowledge", agent="lee").reason == "acknowledgment_met"
    ticket.wait(30 * MINUTE)
    assert (ticket.record.breaches, ticket.record.level) == ([], 3)


def test_level_four_runs_only_its_response_clock():
    ticket = Ticket(priority="P1", category=None)
    assert ticket.record.level == 4 and ticket.record.deadlines.acknowledgment is None
    assert ticket.record.deadlines.response == ticket.now + 15 * MINUTE


def test_an_acknowledgment_a_moment_before_its_due_instant_meets_it():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.now += 2 * HOUR - timedelta(microseconds=1)  # no timer has fired in between
    assert ticket.act("acknowledge", agent="sam").reason == "acknowledgment_met"
    assert ticket.record.breaches == []


def test_an_acknowledgment_at_its_due_instant_is_late_even_before_the_timer_fires():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.now += 2 * HOUR  # the timer and the acknowledgment land in the same workflow task
    entry = ticket.act("acknowledge", agent="sam")
    [breach] = ticket.record.breaches
    assert (breach.metric, breach.due) == ("acknowledgment", ticket.now)
    assert ticket.record.level == 2 and entry.level == 2  # judged after the breach escalated


def test_a_response_after_its_due_instant_in_the_same_task_is_a_breach_then_a_reply():
    ticket = Ticket(priority="P2", category="api_integration_problems")
    ticket.act("acknowledge", agent="sam")
    ticket.now += HOUR + MINUTE
    ticket.act("respond", agent="sam", message="Looking")
    assert [b.metric for b in ticket.record.breaches] == ["response"]
    assert ticket.record.breaches[0].at == ticket.record.opened_at + HOUR


def test_re_alerts_missed_during_a_worker_outage_go_out_as_one():
    ticket = Ticket(priority="P1", category=None)
    ticket.now += HOUR  # the response was due at +15m; slots at +30m, +45m passed unseen
    ticket.send(DeadlineDue(deadline="response"))
    ticket.wait(timedelta(0))
    assert events(ticket.record).count(TimelineEvent.REALERTED) == 1
    assert ticket.record.deadlines.realert == ticket.record.opened_at + HOUR + 15 * MINUTE
