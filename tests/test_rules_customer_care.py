"""Customer communication against the pure core: updates, next-reply deadlines, resolution,
survey, follow-up window, reopening. (tests/test_customer_care.py runs them on a server.)"""

from datetime import timedelta

from contract.tickets import TicketState
from tests.helpers import events, sent
from tests.procedure_driver import HOUR, MINUTE, Ticket


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


def test_a_closed_ticket_rejects_every_action():
    ticket = Ticket()
    ticket.act("resolve", by="sam", resolution="Done")
    ticket.act("survey_response", score=5)
    for kind, fields in [
        ("customer_message", {"message": "hi"}),
        ("reopen", {"by": "a", "reason": "b"}),
    ]:
        entry = ticket.act(kind, **fields)
        assert (entry.rejected, entry.reason) == (True, "ticket is closed")
