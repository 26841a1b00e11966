"""Automatic and manual escalation, handoffs and rejected actions."""

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from contract.tickets import TicketState
from starter.client.tickets import act
from store.schema import handoffs
from tests.conftest import Service
from tests.helpers import events, eventually, sent, start, status, stored


async def test_manual_escalation_may_jump_levels_and_hands_off_with_the_template(service: Service):
    handle = await start(service, priority="P3", category="basic_billing_questions")
    await handle.signal(
        "resolution_attempt", {"agent": "sam", "action": "Re-sent the invoice", "succeeded": False}
    )
    await handle.signal(
        "escalate",
        {"by": "sam", "reason": "legal_or_compliance", "note": "Ask legal first", "to_level": 4},
    )
    record = await eventually(handle, lambda r: bool(sent(r, "handoff")))
    [handoff] = record.handoffs
    assert (handoff.from_level, handoff.to_level) == (1, 4)
    assert handoff.reason == "manual:legal_or_compliance" and handoff.by == "sam"
    assert handoff.subject == (
        f"Escalation to Engineering - Basic billing questions - Ticket #{record.ticket_id}"
    )
    assert "Customer: Ada Lovelace (ada@example.com)" in handoff.template
    assert "Re-sent the invoice (failed, sam, L1)" in handoff.template
    assert "Proposed Solution: Ask legal first" in handoff.template
    assert "Technical Analysis: Not recorded. Attempts: Re-sent the invoice" in handoff.template
    assert "[" not in handoff.template


async def test_each_handoff_is_recorded_and_both_sides_are_told(service: Service):
    handle = await start(service, priority="P2", category="api_integration_problems")
    await handle.signal("escalate", {"by": "sam", "reason": "beyond_expertise"})
    record = await eventually(
        handle,
        lambda r: bool(r.handoffs) and all(n.status != "pending" for n in r.notifications),
    )
    [row] = await stored(service.engine, handoffs, record.ticket_id)
    assert (row.from_level, row.to_level, row.by) == (2, 3, "sam")
    assert row.subject.startswith("Escalation to Level 3 - Api integration problems")
    assert row.template == record.handoffs[0].template
    team = sent(record, "handoff", "team")
    assert {n.channel for n in team} == {"email", "dashboard"}  # P2's channels
    assert team[0].recipient == service.policy.levels[3].contacts.email
    [notice] = sent(record, "escalation_notice", "customer")
    assert notice.recipient == "ada@example.com"
    assert record.deadlines.check_in == record.level_since + timedelta(hours=1) * 0.5
    # L3 is paged at once and acknowledges "immediately": within 15 minutes
    assert record.deadlines.acknowledgment == record.level_since + timedelta(minutes=15)


async def test_check_in_reminds_the_receiving_level_while_no_response(service: Service):
    handle = await start(service, priority="P3", category="performance_issues")
    await handle.signal("escalate", {"by": "sam", "reason": "beyond_expertise"})
    await eventually(handle, lambda r: r.level == 3)
    await service.env.sleep(timedelta(hours=1) + timedelta(minutes=1))
    record = await eventually(handle, lambda r: bool(sent(r, "check_in")))
    assert [n.channel for n in sent(record, "check_in")] == ["email"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"by": "sam", "reason": "other", "to_level": 9}, "to_level 9 out of range"),
        ({"by": "sam", "reason": "other", "to_level": 1}, "to_level 1 out of range"),
        ({"by": "sam", "reason": "bored"}, "reason: Input should be"),
    ],
)
async def test_escalations_that_do_not_apply_are_recorded_as_rejected(
    service: Service, payload: dict, reason: str
):
    handle = await start(service, priority="P4", category="password_resets")
    await handle.signal("escalate", payload)
    record = await eventually(handle, lambda r: bool(events(r, rejected=True)))
    [rejected] = [e for e in record.timeline if e.rejected]
    assert rejected.event == "escalate" and reason in (rejected.reason or "")
    assert record.level == 1 and record.state == TicketState.OPEN


async def test_escalating_a_resolved_or_closed_ticket_is_rejected_without_failing_it(
    service: Service,
):
    handle = await start(service, priority="P4", category="password_resets")
    await handle.signal("resolve", {"by": "sam", "resolution": "Reset link sent"})
    await handle.signal("escalate", {"by": "sam", "reason": "other"})
    record = await eventually(handle, lambda r: bool(events(r, rejected=True)))
    assert record.timeline[-1].reason == "ticket is resolved; reopen it first"
    assert (record.state, record.level) == (TicketState.RESOLVED, 1)
    await handle.signal("survey_response", {"score": 5})
    record = await handle.result()
    assert record.state == TicketState.CLOSED
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await act(service.client, record.ticket_id, "escalate", {"by": "sam", "reason": "other"})
    assert (await handle.result()).state == TicketState.CLOSED


async def test_update_returns_the_outcome_or_the_reason_for_rejection(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    await status(handle)
    ticket_id = handle.id.removeprefix("ticket-")
    outcome = await act(service.client, ticket_id, "escalate", {"by": "sam", "reason": "other"})
    assert (outcome.level, outcome.entry.event, outcome.state) == (2, "escalated", "open")
    with pytest.raises(WorkflowUpdateFailedError) as rejection:
        await act(service.client, ticket_id, "reopen", {"by": "sam", "reason": "why not"})
    assert "only a resolved ticket can be reopened" in str(rejection.value.cause)
    record = await status(handle)
    assert not events(record, rejected=True)  # a rejected update leaves no trace in history


async def test_customer_asking_for_escalation_moves_one_level_up(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    await handle.signal(
        "customer_message", {"message": "Please get me someone senior", "requests_escalation": True}
    )
    record = await eventually(handle, lambda r: r.level == 2)
    assert record.handoffs[-1].reason == "customer_request"


async def test_critical_keyword_in_a_customer_message_escalates_and_raises_priority(
    service: Service,
):
    handle = await start(service, priority="P4", category="password_resets")
    await handle.signal("customer_message", {"message": "Now the whole login page is broken"})
    record = await eventually(handle, lambda r: r.level > 1)
    assert record.priority == "P2"
    assert record.level == 2 and record.handoffs[-1].reason == "critical_keyword:broken"
    # the same keyword again is not news: no second escalation
    await handle.signal("customer_message", {"message": "still broken"})
    record = await eventually(handle, lambda r: events(r).count("customer_message") == 2)
    assert record.level == 2


async def test_security_concern_in_a_message_goes_to_at_least_level_three(service: Service):
    handle = await start(service, priority="P4", category="account_access_problems")
    await handle.signal("customer_message", {"message": "I think my account was hacked"})
    record = await eventually(handle, lambda r: r.level > 1)
    assert record.level == 3
    assert record.handoffs[-1].reason == "security_concern:hacked"


async def test_failed_attempt_limit_escalates_and_the_count_restarts_per_level(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    failed = {"agent": "sam", "action": "Cleared cache", "succeeded": False}
    await handle.signal("resolution_attempt", failed)
    record = await eventually(handle, lambda r: len(r.attempts) == 1)
    assert record.level == 1
    await handle.signal("resolution_attempt", failed)
    record = await eventually(handle, lambda r: r.level == 2)
    assert record.handoffs[-1].reason == "failed_attempt_limit"
    assert record.failed_attempts_at_level == 0
    await handle.signal("resolution_attempt", failed)
    record = await eventually(handle, lambda r: len(r.attempts) == 3)
    assert record.level == 2


async def test_a_signal_with_missing_fields_is_rejected_naming_the_field(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    await handle.signal("respond", {"agent": "sam"})
    record = await eventually(handle, lambda r: bool(events(r, rejected=True)))
    [entry] = [e for e in record.timeline if e.rejected]
    assert entry.event == "respond" and entry.reason.startswith("message: Field required")
