"""Faithful: tickets driven end to end on the real dev server, then replayed from what the
records store kept of them, reproduce every decision the workflow made.

One worker with the shipped policy at an hour per second, every channel live against the local
fake providers. Three tickets: one left unanswered until it breaches its way up to L4 and is
re-alerted there; one with rejected and unreadable actions, a wait on the customer, failed
attempts, a request for escalation, a critical keyword, resolution, reopening and a survey; one
whose phone page and SMS fallback the provider refuses. Each replay (simulation.replay,
as recorded) must equal the record the workflow returned: timeline entries in order with their
instants, levels, breaches with their instants, handoffs, deadlines, and every notification
decided (delivery outcomes aside: receipts are not recorded, and digests follow from them)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from contract.status import TicketRecord
from contract.tickets import TicketState
from policy import EscalationPolicy, load_policy
from simulation.recorded import read
from simulation.replay import as_recorded
from starter.client.tickets import TicketHandle, act_once_opened
from store.inputs import load_recorded
from tests.conftest import Service, running_worker
from tests.databases import prepared_database
from tests.fake_providers import FakeProviders, twilio_error
from tests.helpers import L4_PHONE, events, eventually, start, status

HOUR = 1.0  # seconds: the policy runs at 3600 times its speed


def hour_a_second() -> EscalationPolicy:
    policy = load_policy(time_scale=3600)
    delivery = policy.delivery.model_copy(
        update={"retry_initial_seconds": 0.05, "retry_maximum_seconds": 0.2}
    )
    return policy.model_copy(update={"delivery": delivery})


@pytest_asyncio.fixture(loop_scope="session")
async def live_dev(
    dev_env: WorkflowEnvironment, tmp_path: Path, fake: FakeProviders
) -> AsyncIterator[Service]:
    with prepared_database("sqlite", tmp_path) as engine:
        providers = fake.settings()
        policy = hour_a_second()
        async with running_worker(dev_env, tmp_path / "out", engine, providers, policy) as live:
            yield live
            await live.terminate_open_tickets()


def decisions(record: TicketRecord) -> dict[str, Any]:
    """Everything the ticket decided; of its notifications, what was decided, not how the
    delivery went (a digest is the storm limit's, not a decision)."""
    decided = record.model_dump(exclude={"notifications"})
    decided["notifications"] = [
        n.model_dump(exclude={"status", "provider_id", "error"})
        for n in record.notifications
        if n.kind != "digest"
    ]
    return decided


def first_difference(replayed: dict[str, Any], recorded: dict[str, Any]) -> str | None:
    """Where the replay and the record part (the timeline first), for a readable failure."""
    for field in sorted(recorded, key=lambda name: name != "timeline"):
        mine, theirs = replayed[field], recorded[field]
        if mine == theirs:
            continue
        if isinstance(theirs, list):
            pairs = zip(mine, theirs, strict=False)  # a longer list differs where the other ends
            at = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(mine), len(theirs)))
            mine, theirs, field = mine[at : at + 1], theirs[at : at + 1], f"{field}[{at}]"
        return f"{field}: replayed {mine}, recorded {theirs}"
    return None


async def act(service: Service, handle: TicketHandle, name: str, **payload: Any) -> None:
    ticket_id = handle.id.removeprefix("ticket-")
    await act_once_opened(service.client, ticket_id, name, payload)


async def unanswered_until_l4(service: Service) -> TicketHandle:
    handle = await start(service, priority="P2", category="account_access_problems")
    await asyncio.sleep(5.5 * HOUR)  # breaches at L1, L2, L3 and L4, then L4 re-alerts
    await act(service, handle, "acknowledge", agent="lee")
    await act(service, handle, "respond", agent="lee", message="Restored access.")
    await act(service, handle, "resolve", by="lee", resolution="Access restored.")
    await act(service, handle, "survey_response", score=4)
    return handle


async def talked_through(service: Service) -> TicketHandle:
    handle = await start(service, priority="P3", category="general_product_inquiries")
    await act(service, handle, "acknowledge", agent="ana")
    await handle.signal("acknowledge", {"agent": "ana"})  # already acknowledged: rejected
    await handle.signal("no_such_action", {"agent": "ana"})  # unreadable: rejected
    await act(service, handle, "respond", agent="ana", message="Logs?", awaiting_customer=True)
    await asyncio.sleep(1.5 * HOUR)
    await act(service, handle, "customer_message", message="Here are the logs.")
    for _ in range(2):
        await act(service, handle, "resolution_attempt", agent="ana", action="x", succeeded=False)
    await act(
        service, handle, "customer_message", message="Please hurry.", requests_escalation=True
    )
    await act(service, handle, "acknowledge", agent="sam")
    await act(service, handle, "customer_message", message="Now it is an outage for all of us")
    await act(service, handle, "acknowledge", agent="kim")
    await act(service, handle, "respond", agent="kim", message="Fixed the config.")
    await act(service, handle, "resolve", by="kim", resolution="Config fixed.")
    await act(service, handle, "reopen", by="kim", reason="came back")
    await act(service, handle, "resolve", by="kim", resolution="Config fixed for good.")
    await act(service, handle, "survey_response", score=5, comment="Thanks")
    return handle


async def refused_page(service: Service, fake: FakeProviders) -> TicketHandle:
    invalid = twilio_error(400, 21211, "The 'To' number is not a valid phone number.")
    fake.script("call", invalid, to=L4_PHONE)
    fake.script("sms", invalid, to=L4_PHONE)
    handle = await start(service, priority="P1", category="system_outages")
    await eventually(handle, lambda r: "sms_delivery_failed" in r.dashboard_alerts)
    await act(service, handle, "acknowledge", agent="max")
    await act(service, handle, "resolve", by="max", resolution="Restarted the cluster.")
    await act(service, handle, "survey_response", score=3)
    return handle


async def test_replaying_what_was_recorded_reproduces_every_decision(
    live_dev: Service, fake: FakeProviders
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    refused = await refused_page(live_dev, fake)  # first: the faults are for the L4 phone
    handles = [
        refused,
        *await asyncio.gather(unanswered_until_l4(live_dev), talked_through(live_dev)),
    ]
    # A closed ticket's workflow ends once every record is written: the store is complete.
    results = []
    for handle in handles:
        await handle.result()
        results.append(await status(handle))  # the closed ticket's whole record
    stored, policies = load_recorded(live_dev.engine, since, datetime.now(UTC))
    replayed = {
        ticket.ticket_id: as_recorded(ticket, datetime.now(UTC)).record
        for ticket in read(stored, policies)
    }

    assert sorted(replayed) == sorted(result.ticket_id for result in results)
    for result in results:
        assert result.state == TicketState.CLOSED
        assert first_difference(decisions(replayed[result.ticket_id]), decisions(result)) is None

    # What the tickets went through, so that the equality above covers it.
    failed, breached, talked = results
    assert "delivery_failed" in events(failed)
    assert [n.status for n in failed.notifications if n.fallback_for] == ["failed", "sent"]
    assert len(breached.breaches) >= 4 and breached.level == 4
    assert "realerted" in events(breached)
    assert {"paused", "resumed", "priority_raised", "reopened"} <= set(events(talked))
    reasons = {h.reason for h in talked.handoffs}
    assert {"failed_attempt_limit", "customer_request"} <= reasons
    assert [e.event for e in talked.timeline if e.rejected] == ["acknowledge", "no_such_action"]
