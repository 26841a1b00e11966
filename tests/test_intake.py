"""Routing at intake, input validation and the customer's acknowledgment."""

from datetime import timedelta

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError

from calendars.formatting import local_time
from contract import search_attributes as sa
from contract.tickets import TicketState
from starter.client.tickets import open_ticket
from tests.conftest import Service
from tests.helpers import about, delivered, eventually, sent, start, status, ticket


async def test_p1_goes_to_engineering_at_once_and_pages_on_every_p1_channel(service: Service):
    handle = await start(service, priority="P1", category=None, subject="Checkout fails")
    record = await eventually(handle, lambda r: all(n.status != "pending" for n in r.notifications))
    assert record.level == 4
    assert record.deadlines.acknowledgment is None  # L4's acknowledgment is unstated: paged at once
    assert record.deadlines.response == record.opened_at + timedelta(minutes=15)
    team = {n.channel for n in sent(record, "new_ticket", "team")}
    assert team == {"phone", "email", "dashboard"}
    assert [n.recipient for n in sent(record, "new_ticket") if n.channel == "phone"] == [
        service.policy.levels[4].contacts.phone
    ]
    # no provider credentials in this worker: every channel but the dashboard lands in the outbox
    assert {(n.channel, n.status, n.error) for n in record.notifications} == {
        ("phone", "outbox", "not delivered: no credentials"),
        ("email", "outbox", "not delivered: no credentials"),
        ("dashboard", "sent", None),
    }
    assert record.dashboard_alerts == ["new_ticket"]


async def test_p4_password_reset_starts_at_level_one_with_its_windows(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    record = await status(handle)
    assert (record.level, record.state) == (1, TicketState.OPEN)
    assert record.deadlines.acknowledgment == record.opened_at + timedelta(hours=2)
    assert record.deadlines.response == record.opened_at + timedelta(hours=24)
    assert {n.channel for n in sent(record, "new_ticket")} == {"email"}


async def test_category_level_wins_over_a_lower_priority(service: Service):
    handle = await start(service, priority="P4", category="technical_bugs_and_errors")
    record = await status(handle)
    assert record.level == 2
    # stricter of L2's 4h and P4's 24h
    assert record.deadlines.response == record.opened_at + timedelta(hours=4)


async def test_without_priority_one_is_assessed_from_the_content(service: Service):
    handle = await start(
        service,
        priority=None,
        category=None,
        subject="We have data loss after the import",
        description="Rows disappeared from our account.",
    )
    record = await status(handle)
    assert (record.priority, record.priority_source, record.level) == ("P1", "assessed", 4)


async def test_without_priority_or_category_a_plain_question_is_p4_at_level_one(service: Service):
    handle = await start(
        service,
        priority=None,
        category=None,
        subject="Question about exports",
        description="How do I export my contacts?",
    )
    record = await status(handle)
    assert (record.priority, record.level) == ("P4", 1)


async def test_critical_keyword_raises_the_callers_priority_and_reroutes(service: Service):
    handle = await start(
        service, priority="P4", category=None, subject="Dashboard is down since noon"
    )
    record = await status(handle)
    assert (record.priority, record.level) == ("P1", 4)
    raised = [e for e in record.timeline if e.event == "priority_raised"]
    assert raised and raised[0].reason == "critical_keyword:down"


async def test_keywords_match_whole_words_only(service: Service):
    handle = await start(
        service, priority="P4", category=None, subject="How to download the breakdown report"
    )
    record = await status(handle)
    assert (record.priority, record.level) == ("P4", 1)


async def test_security_concern_routes_to_at_least_level_three(service: Service):
    handle = await start(
        service, priority="P4", category=None, subject="Possible phishing email using our brand"
    )
    record = await status(handle)
    assert record.level == 3
    assert (
        "security concern (phishing)"
        in next(e for e in record.timeline if e.event == "routed").reason
    )


async def test_customer_is_acknowledged_at_once_with_the_expected_response_time(service: Service):
    handle = await start(service, priority="P3", category="performance_issues")
    record = await eventually(handle, lambda r: delivered(r, "acknowledgment"))
    [ack] = sent(record, "acknowledgment", "customer")
    # at once, after the knowledge-base search (bounded at 10 s) that may add self-service links
    assert ack.recipient == "ada@example.com" and about(ack.at, record.opened_at)
    [row] = [
        r
        for r in service.outbox.read("notifications")
        if r["kind"] == "acknowledgment" and r["ticket_id"] == record.ticket_id
    ]
    # The customer gave no zone: the team's (the shipped calendar's New York).
    due = local_time(record.deadlines.response, "America/New_York", with_date=True)
    assert due in str(row["body"])


async def test_search_attributes_carry_no_personal_data(service: Service):
    handle = await start(service, priority="P2", category="api_integration_problems")
    await status(handle)
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.TICKET_PRIORITY) == "P2"
    assert attributes.get(sa.TICKET_LEVEL) == 2
    assert attributes.get(sa.TICKET_STATE) == "open"
    assert attributes.get(sa.SLA_BREACHED) is False
    values = " ".join(str(pair.value) for pair in attributes)
    assert "ada" not in values.lower() and "invoice" not in values.lower()


async def test_opening_the_same_ticket_twice_returns_the_running_one(service: Service):
    first = ticket()
    one = await open_ticket(service.client, first, queue=service.task_queue)
    two = await open_ticket(service.client, first, queue=service.task_queue)
    service.opened.append(one.id)
    assert one.id == two.id
    assert (await one.describe()).run_id == (await two.describe()).run_id


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"customer": {"name": "A", "email": "not-an-email"}}, "customer.email"),
        ({"priority": "P9"}, "priority"),
        ({"ticket_id": "has spaces"}, "ticket_id"),
        ({"subject": ""}, "subject"),
        ({"priorty": "P1"}, "priorty"),
    ],
)
async def test_invalid_input_from_any_client_fails_promptly_naming_the_field(
    service: Service, raw: dict, field: str
):
    body = ticket().model_dump(exclude_none=True) | raw
    handle = await service.client.start_workflow(
        "TicketWorkflow", body, id=f"ticket-bad-{field}-{id(raw)}", task_queue=service.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert field in cause.message


async def test_unknown_category_fails_naming_the_field(service: Service):
    handle = await service.client.start_workflow(
        "TicketWorkflow",
        ticket().model_dump(exclude_none=True) | {"category": "quantum_problems"},
        id="ticket-bad-category",
        task_queue=service.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert "category: 'quantum_problems' is not one of" in str(failure.value.cause)
