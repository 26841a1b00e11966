"""Customer communication, waiting on the customer, resolution, surveys and reopening."""

from datetime import timedelta

from contract.tickets import TicketState
from tests.conftest import Service
from tests.helpers import about, events, eventually, sent, start, status

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


async def test_customer_gets_a_status_update_every_four_hours_while_unresolved(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    await handle.signal("acknowledge", {"agent": "sam"})
    await service.env.sleep(8 * HOUR + MINUTE)
    record = await eventually(handle, lambda r: len(sent(r, "status_update")) >= 2)
    updates = sent(record, "status_update", "customer")
    assert [round((u.at - record.opened_at) / MINUTE) for u in updates] == [4 * 60, 8 * 60]


async def test_waiting_on_the_customer_pauses_the_clocks_and_paused_time_does_not_count(
    service: Service,
):
    handle = await start(service, priority="P3", category="basic_billing_questions")
    await service.env.sleep(HOUR)
    await handle.signal(
        "respond", {"agent": "sam", "message": "Which invoice?", "awaiting_customer": True}
    )
    record = await eventually(handle, lambda r: r.state == TicketState.AWAITING_CUSTOMER)
    assert record.deadlines.escalation is None and record.deadlines.customer_update is None
    await service.env.sleep(30 * HOUR)  # the customer takes their time
    record = await status(handle)
    assert (record.level, sent(record, "status_update")) == (1, [])
    await handle.signal("customer_message", {"message": "The March one"})
    record = await eventually(handle, lambda r: r.paused_since is None)
    assert about(record.paused_total, 30 * HOUR)
    assert about(record.deadlines.escalation, record.opened_at + 24 * HOUR + 30 * HOUR)
    assert record.deadlines.customer_update == record.timeline[-1].at + 4 * HOUR


async def test_paused_time_survives_a_priority_change(service: Service):
    handle = await start(service, priority="P3", category="basic_billing_questions")
    await handle.signal(
        "respond", {"agent": "sam", "message": "Please confirm", "awaiting_customer": True}
    )
    await eventually(handle, lambda r: r.state == TicketState.AWAITING_CUSTOMER)
    await service.env.sleep(10 * HOUR)
    await handle.signal("customer_message", {"message": "Confirmed. Also billing is broken now"})
    record = await eventually(handle, lambda r: r.priority == "P2")
    assert about(record.paused_total, 10 * HOUR)
    # the keyword sent it one level up; P2's target (L3 within 2h) keeps the paused time out
    assert record.level == 2
    assert about(record.deadlines.escalation, record.opened_at + 2 * HOUR + 10 * HOUR)


async def test_each_customer_message_starts_a_next_reply_deadline(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    await handle.signal("respond", {"agent": "sam", "message": "Try the reset link"})
    await eventually(handle, lambda r: r.first_response_at is not None)
    await service.env.sleep(5 * HOUR)
    await handle.signal("customer_message", {"message": "The link expired"})
    record = await eventually(handle, lambda r: r.deadlines.response is not None)
    message_at = record.timeline[-1].at
    assert record.deadlines.response == message_at + 24 * HOUR
    await handle.signal("respond", {"agent": "sam", "message": "New link sent"})
    record = await eventually(handle, lambda r: r.deadlines.response is None)
    assert record.timeline[-1].reason == "response_met"


async def test_resolve_notifies_and_surveys_and_the_survey_closes_the_ticket(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    await handle.signal("resolve", {"by": "sam", "resolution": "Password reset"})
    record = await eventually(handle, lambda r: bool(sent(r, "survey")))
    assert record.state == TicketState.RESOLVED
    assert record.deadlines.close == record.resolved_at + timedelta(days=7)
    assert record.deadlines.acknowledgment is None and record.deadlines.customer_update is None
    assert [n.kind for n in record.notifications if n.audience == "customer"][-2:] == [
        "resolution",
        "survey",
    ]
    await handle.signal("survey_response", {"score": 4, "comment": "Quick, thanks"})
    outcome = await handle.result()
    assert outcome.state == TicketState.CLOSED and outcome.survey and outcome.survey.score == 4
    final = await status(handle)  # a closed ticket's whole record
    assert events(final)[-2:] == ["survey_answered", "closed"]


async def test_a_survey_score_out_of_range_is_rejected_naming_the_field(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    await handle.signal("resolve", {"by": "sam", "resolution": "Password reset"})
    await handle.signal("survey_response", {"score": 9})
    record = await eventually(handle, lambda r: bool(events(r, rejected=True)))
    assert record.timeline[-1].reason.startswith("score: Input should be less than or equal to 5")
    assert record.state == TicketState.RESOLVED


async def test_customer_reply_within_the_follow_up_window_reopens_at_the_same_level(
    service: Service,
):
    handle = await start(service, priority="P2", category="api_integration_problems")
    await handle.signal("resolve", {"by": "sam", "resolution": "Rotated the key"})
    await eventually(handle, lambda r: r.state == TicketState.RESOLVED)
    await service.env.sleep(timedelta(days=3))
    await handle.signal("customer_message", {"message": "It fails again"})
    record = await eventually(handle, lambda r: r.state == TicketState.OPEN)
    assert record.level == 2 and "reopened" in events(record)
    assert record.deadlines.acknowledgment == record.level_since + HOUR
    assert record.deadlines.close is None
    assert about(
        record.deadlines.escalation, record.level_since + 2 * HOUR
    )  # resolved time excluded


async def test_reopen_signal_restarts_the_level_clocks(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    await handle.signal("resolve", {"by": "sam", "resolution": "Done"})
    await handle.signal("reopen", {"by": "lee", "reason": "Customer called back"})
    record = await eventually(handle, lambda r: "reopened" in events(r))
    assert record.state == TicketState.OPEN and record.level == 1
    assert record.timeline[-1].actor == "lee"
    assert record.deadlines.response == record.level_since + 24 * HOUR


async def test_the_end_of_the_follow_up_window_closes_the_ticket(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    await handle.signal("resolve", {"by": "sam", "resolution": "Done"})
    outcome = await handle.result()  # the test server skips the seven days
    assert outcome.state == TicketState.CLOSED
    assert about(outcome.closed_at, outcome.resolved_at + timedelta(days=7))
    final = await status(handle)
    assert final.timeline[-1].reason == "follow_up_window_ended"
