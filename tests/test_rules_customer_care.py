"""Customer communication against the pure core: updates, next-reply deadlines, resolution,
survey, follow-up window, reopening. (tests/test_customer_care.py runs them on a server.)"""

from datetime import timedelta

from contract.status import TimelineEvent
from contract.tickets import TicketState
from procedure.events import DeadlineDue
from tests.helpers import events, sent
from tests.procedure_driver import HOUR, MINUTE, POLICY, Ticket


def test_the_customer_gets_a_status_update_every_four_hours_while_unresolved():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.act("acknowledge", agent="sam")
    ticket.wait(8 * HOUR + MINUTE)
    updates = sent(ticket.record, "status_update", "customer")
    assert [u.at - ticket.record.opened_at for u in updates] == [4 * HOUR, 8 * HOUR]
    [first, _] = ticket.messages("status_update")
    assert "We will update you again within 4 hours" in first.body


def test_the_update_cadence_restarts_on_every_response():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.wait(3 * HOUR)
    ticket.act("respond", agent="sam", message="Try this")
    assert ticket.record.deadlines.customer_update == ticket.now + 4 * HOUR


def test_a_response_is_emailed_to_the_customer_with_the_agents_words():
    ticket = Ticket(priority="P4", category="password_resets")
    entry = ticket.act("respond", agent="sam", message="Try the reset link again")
    [email] = ticket.messages("response")
    assert (email.channel, email.audience) == ("email", "customer")
    assert email.recipient == ticket.record.customer.email
    assert "Try the reset link again" in email.body
    assert email.notification_id.startswith(f"T-1:{entry.seq}:response:")


def test_an_internal_response_is_a_note_the_customer_never_gets():
    ticket = Ticket(priority="P4", category="password_resets")
    entry = ticket.act("respond", agent="sam", message="Customer seems confused", internal=True)
    assert entry.details == "Customer seems confused"
    assert ticket.messages("response") == []
    assert ticket.record.first_response_at == ticket.now


def test_each_customer_message_starts_a_next_reply_deadline():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.act("respond", agent="sam", message="Try the reset link")
    ticket.wait(5 * HOUR)
    ticket.act("customer_message", message="The link expired")
    assert ticket.record.deadlines.response == ticket.now + 24 * HOUR
    assert ticket.act("respond", agent="sam", message="New link").reason == "response_met"


def test_a_ticket_resolved_before_the_knowledge_base_answered_gets_no_acknowledgment_after():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.act("resolve", by="sam", resolution="Password reset")
    ticket.search_done()
    kinds = [n.kind for n in ticket.record.notifications if n.audience == "customer"]
    assert kinds == ["resolution", "survey"]


def test_resolving_tells_the_customer_sends_the_survey_and_stops_every_clock():
    ticket = Ticket(priority="P4", category="password_resets")
    entry = ticket.act("resolve", by="sam", resolution="Password reset", article="password-reset")
    assert ticket.record.state == TicketState.RESOLVED
    assert ticket.record.deadlines.model_dump() == {
        "acknowledgment": None,
        "response": None,
        "customer_update": None,
        "escalation": None,
        "realert": None,
        "check_in": None,
        "close": ticket.now + timedelta(days=7),
        "customer_reminder": None,
        "no_reply": None,
        "call_retry": None,
    }
    customer = ticket.messages(audience="customer")
    assert [m.kind for m in customer] == ["resolution", "survey"]
    assert all(m.notification_id.startswith(f"T-1:{entry.seq}:") for m in customer)
    # The activity adds the survey link; it stops working when the follow-up window ends.
    assert customer[1].link_expires_at == ticket.record.deadlines.close


def test_the_survey_answer_closes_the_ticket():
    ticket = Ticket()
    ticket.act("resolve", by="sam", resolution="Done")
    entry = ticket.act("survey_response", score=4, comment="Quick, thanks")
    assert (entry.event, entry.reason) == ("survey_answered", "score 4")
    assert ticket.record.state == TicketState.CLOSED and ticket.record.survey
    assert ticket.record.survey.score == 4
    assert events(ticket.record)[-2:] == ["survey_answered", "closed"]


def test_a_survey_before_resolution_is_rejected():
    entry = Ticket().act("survey_response", score=5)
    assert (entry.rejected, entry.reason) == (True, "no survey pending (state open)")


def test_a_customer_reply_within_the_follow_up_window_reopens_at_the_same_level():
    ticket = Ticket(priority="P2", category="api_integration_problems")
    ticket.act("resolve", by="sam", resolution="Rotated the key")
    ticket.wait(timedelta(days=3))
    ticket.act("customer_message", message="It fails again")
    record = ticket.record
    assert (record.state, record.level, record.deadlines.close) == (TicketState.OPEN, 2, None)
    assert record.deadlines.acknowledgment == ticket.now + HOUR
    # the three days resolved do not count towards P2's two hours
    assert record.deadlines.escalation == ticket.now + 2 * HOUR
    assert [m.kind for m in ticket.messages("reopened")] == ["reopened", "reopened"]


def test_reopen_restarts_the_level_clocks():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.act("resolve", by="sam", resolution="Done")
    entry = ticket.act("reopen", by="lee", reason="Customer called back")
    assert (entry.event, entry.actor) == ("reopened", "lee")
    assert ticket.record.deadlines.response == ticket.now + 24 * HOUR


def test_the_end_of_the_follow_up_window_closes_the_ticket():
    ticket = Ticket()
    ticket.act("resolve", by="sam", resolution="Done")
    ticket.wait(timedelta(days=7))
    assert ticket.record.state == TicketState.CLOSED
    assert ticket.record.closed_at == ticket.now
    assert ticket.record.timeline[-1].reason == "follow_up_window_ended"


def test_a_ticket_closed_by_its_survey_reopens_on_a_reply_within_the_window_keeping_history():
    ticket = Ticket()
    ticket.act("resolve", by="sam", resolution="Done")
    ticket.act("survey_response", score=5)
    assert ticket.record.state == TicketState.CLOSED
    ticket.wait(timedelta(days=6))
    entry = ticket.act("customer_message", message="Thank you, one more question please")
    assert (entry.rejected, ticket.record.state) == (False, TicketState.OPEN)
    assert ticket.record.closed_at is None and ticket.record.ticket_id == "T-1"
    assert events(ticket.record)[-2:] == ["customer_message", "reopened"]
    assert ticket.record.survey and ticket.record.survey.score == 5  # history is kept
    ticket.act("resolve", by="sam", resolution="Fixed for good")
    assert ticket.act("survey_response", score=4).rejected is False


def test_reopen_on_a_closed_ticket_within_the_window_reopens_it():
    ticket = Ticket()
    ticket.act("resolve", by="sam", resolution="Done")
    ticket.act("survey_response", score=5)
    entry = ticket.act("reopen", by="lee", reason="Customer called")
    assert (entry.event, ticket.record.state) == ("reopened", TicketState.OPEN)


def test_a_closed_ticket_rejects_every_action_once_the_window_has_passed():
    ticket = Ticket()
    ticket.act("resolve", by="sam", resolution="Done")
    ticket.act("survey_response", score=5)
    ticket.wait(timedelta(days=7))
    assert ticket.record.deadlines.close is None
    for kind, fields in [
        ("customer_message", {"message": "hi"}),
        ("reopen", {"by": "a", "reason": "b"}),
    ]:
        entry = ticket.act(kind, **fields)
        assert (entry.rejected, entry.reason) == (True, "ticket is closed")


DAY = 24 * HOUR


def waiting_on_the_customer() -> Ticket:
    ticket = Ticket(priority="P2", category="api_integration_problems")  # clocks run 24x7
    ticket.act("respond", agent="sam", message="Which browser?", awaiting_customer=True)
    return ticket


def test_a_customer_who_does_not_reply_is_reminded_after_two_days():
    ticket = waiting_on_the_customer()
    asked = ticket.now
    ticket.wait(2 * DAY - MINUTE)
    assert not ticket.messages("reply_reminder")
    ticket.wait(MINUTE)
    [reminder] = ticket.messages("reply_reminder", "customer")
    # Closes 7 days after the reminder, in the customer's zone (the team's: they gave none).
    assert "Wed 11 Mar 2026 05:00 America/New_York" in reminder.body
    [entry] = [e for e in ticket.record.timeline if e.event == TimelineEvent.CUSTOMER_REMINDED]
    assert entry.at == asked + 2 * DAY


def test_still_no_reply_a_week_after_the_reminder_resolves_as_no_reply():
    ticket = waiting_on_the_customer()
    ticket.wait(9 * DAY)
    assert ticket.record.state == "resolved"
    [resolved] = [e for e in ticket.record.timeline if e.event == TimelineEvent.RESOLVED]
    assert (resolved.reason, resolved.actor) == ("no_reply", "system")
    assert resolved.details == "No reply from the customer for 9 days."
    assert ticket.messages("survey", "customer")


def test_a_customer_reply_stops_the_reminder_and_the_no_reply_resolution():
    ticket = waiting_on_the_customer()
    ticket.wait(DAY)
    ticket.act("customer_message", message="Firefox 120.")
    assert ticket.record.deadlines.customer_reminder is None
    assert ticket.record.deadlines.no_reply is None
    ticket.act("respond", agent="sam", message="Thanks, fixing it")
    ticket.wait(10 * DAY)
    assert not ticket.messages("reply_reminder")
    assert ticket.record.state != "resolved"


def answered(score: int, comment: str | None = None) -> Ticket:
    ticket = Ticket(priority="P3", category="performance_issues")
    ticket.act("resolve", by="sam", resolution="Index rebuilt")
    ticket.act("survey_response", score=score, comment=comment)
    return ticket


def test_a_low_score_alerts_the_dashboard_and_emails_the_levels_manager_with_the_comment():
    ticket = answered(2, "Took three days and nobody called back")
    [alert] = ticket.messages("low_satisfaction", "team")
    assert (alert.channel, alert.recipient) == ("dashboard", "L2 dashboard")
    [email] = ticket.messages("low_satisfaction_manager", "team")
    manager = POLICY.levels[2].manager
    assert manager and (email.channel, email.recipient) == ("email", manager.email)
    assert "Comment: Took three days and nobody called back" in email.body
    assert "low_satisfaction" in ticket.record.dashboard_alerts
    assert TimelineEvent.LOW_SATISFACTION in events(ticket.record)
    assert ticket.record.state == TicketState.CLOSED


def test_a_score_above_the_threshold_alerts_nobody():
    ticket = answered(3, "Fine")
    assert not ticket.messages("low_satisfaction") + ticket.messages("low_satisfaction_manager")
    assert TimelineEvent.LOW_SATISFACTION not in events(ticket.record)


def test_status_updates_missed_during_a_worker_outage_go_out_as_one():
    ticket = Ticket(priority="P2", category="api_integration_problems")
    ticket.act("acknowledge", agent="sam")
    ticket.act("respond", agent="sam", message="On it", awaiting_customer=False)
    ticket.now += 13 * HOUR  # no worker ran: the 4-hourly slots at +4h, +8h, +12h passed
    ticket.send(DeadlineDue(deadline="customer_update"))
    ticket.wait(timedelta(0))
    assert len(ticket.messages("status_update", "customer")) == 1
    assert ticket.record.deadlines.customer_update == ticket.record.opened_at + 16 * HOUR
