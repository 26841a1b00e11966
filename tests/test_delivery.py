"""Real delivery: the sendgrid and twilio SDKs talk HTTP to a local fake provider with faults."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest_asyncio
from sqlalchemy import Engine, select

from calendars.formatting import local_time
from contract import search_attributes as sa
from contract.status import TicketRecord
from policy import EscalationPolicy, load_policy
from store.schema import notification_events
from tests.conftest import Service, time_skipping_service
from tests.fake_providers import (
    SENDGRID_KEY,
    TWILIO_TOKEN,
    FakeProviders,
    Fault,
    Seen,
    sendgrid_error,
    twilio_error,
)
from tests.helpers import CUSTOMER, L4_EMAIL, L4_PHONE, eventually, sent, settled, start, status


def fast_policy(**delivery: Any) -> EscalationPolicy:
    """The shipped policy with test-sized retry backoffs and HTTP timeout."""
    policy = load_policy(time_scale=1)
    rules = policy.delivery.model_copy(
        update={
            "retry_initial_seconds": 0.05,
            "retry_maximum_seconds": 0.2,
            "http_timeout_seconds": 1.0,
            **delivery,
        }
    )
    return policy.model_copy(update={"delivery": rules})


@pytest_asyncio.fixture(loop_scope="session")
async def live(
    tmp_path: Path, fake: FakeProviders, sqlite_engine: Engine
) -> AsyncIterator[Service]:
    """A time-skipping server and a worker whose every channel is live against the fake."""
    async with time_skipping_service(
        tmp_path, sqlite_engine, fake.settings(), fast_policy()
    ) as service:
        yield service


async def test_p1_pages_l4_by_phone_emails_them_alerts_the_dashboard_and_emails_the_customer(
    live: Service, fake: FakeProviders
):
    handle = await start(
        live, priority="P1", category=None, subject="<b>Checkout</b> & payments fail"
    )
    record = await eventually(handle, settled)
    assert {(n.channel, n.audience, n.status) for n in record.notifications} == {
        ("phone", "team", "sent"),
        ("email", "team", "sent"),
        ("dashboard", "team", "sent"),
        ("email", "customer", "sent"),
    }
    [call] = fake.accepted("call")
    [page] = [n for n in record.notifications if n.channel == "phone"]
    assert (call.to, call.provider_id) == (L4_PHONE, page.provider_id)
    twiml = call.payload["Twiml"]
    assert (
        '<Gather action="https://support.example.com/webhooks/twilio/voice?notification_id='
        in twiml
    )
    assert 'numDigits="1"' in twiml and "Press 1 to acknowledge" in twiml
    assert "&lt;b&gt;Checkout&lt;/b&gt; &amp; payments fail" in twiml  # TwiML is XML-escaped
    assert f'notification_id={quote(page.notification_id)}"' in twiml
    # Twilio reports the call's outcome to the API, naming the notification
    assert call.payload["StatusCallback"] == (
        "https://support.example.com/webhooks/twilio/status?notification_id="
        + quote(page.notification_id)
    )

    [team_mail] = fake.accepted("email", to=L4_EMAIL)
    assert team_mail.payload["subject"].startswith("New P1 ticket at Level 4")
    [customer_mail] = fake.accepted("email", to=CUSTOMER)
    [ack] = sent(record, "acknowledgment", "customer")
    assert customer_mail.provider_id == ack.provider_id
    text, html = (part["value"] for part in customer_mail.payload["content"])
    assert "<b>Checkout</b> & payments fail" in text
    assert "&lt;b&gt;Checkout&lt;/b&gt; &amp; payments fail" in html and "<b>Checkout" not in html
    assert "Level" not in text and "L4" not in text  # no internal fields for the customer
    # The only custom arg is the opaque notification id: no personal data goes to SendGrid's
    # event store.
    args = customer_mail.payload.get("custom_args") or customer_mail.payload["personalizations"][
        0
    ].get("custom_args")
    assert args == {"notification_id": ack.notification_id}

    assert record.dashboard_alerts == ["new_ticket"]
    described = await handle.describe()
    assert described.typed_search_attributes.get(sa.DASHBOARD_ALERTS) == ["new_ticket"]
    assert all(live.ledger.status(n.notification_id) == "sent" for n in record.notifications)
    history = (await handle.fetch_history()).to_json()
    assert SENDGRID_KEY not in history and TWILIO_TOKEN not in history


async def test_a_handoff_emails_the_seed_template_and_tells_the_customer_the_new_timeline(
    live: Service, fake: FakeProviders
):
    handle = await start(live, priority="P3", category="api_integration_problems")
    await handle.signal("escalate", {"by": "sam", "reason": "beyond_expertise", "to_level": 3})
    record = await eventually(handle, lambda r: settled(r) and bool(sent(r, "escalation_notice")))
    subject = f"Escalation to Level 3 - Api integration problems - Ticket #{record.ticket_id}"
    [handoff] = [r for r in fake.accepted("email") if r.payload["subject"] == subject]
    assert handoff.to == "l3-oncall@support.example.com"
    text = handoff.payload["content"][0]["value"]
    fields = [line.split(":", 1)[0] for line in text.splitlines()]
    assert fields == [
        "Customer",
        "Technical Details",
        "Root Cause Analysis",
        "Attempted Solutions",
        "System Impact",
        "Recommended Actions",
    ]
    [notice] = [r for r in fake.accepted("email", CUSTOMER) if "escalated" in r.payload["subject"]]
    due = local_time(record.deadlines.response, "America/New_York", with_date=True)
    assert due in notice.payload["content"][0]["value"]
    assert "Level" not in notice.payload["content"][0]["value"]


async def test_429_waits_the_given_delay_and_sends_exactly_once(live: Service, fake: FakeProviders):
    fake.script(
        "email", sendgrid_error(429, "too many requests", **{"Retry-After": "1"}), to=CUSTOMER
    )
    fake.script("call", twilio_error(429, 20429, "Too Many Requests", **{"Retry-After": "1"}))
    handle = await start(live, priority="P1", category="system_outages")
    record = await eventually(handle, settled, timeout=15)
    for kind, to in (("email", CUSTOMER), ("call", L4_PHONE)):
        refused, accepted = fake.seen(kind, to)
        assert (refused.accepted, accepted.accepted) == (False, True)
        assert accepted.at - refused.at >= 1.0, f"{kind} retried before Retry-After"
        assert len(fake.accepted(kind, to)) == 1
    assert all(n.status == "sent" for n in record.notifications)


async def test_three_500s_then_success_pages_once(live: Service, fake: FakeProviders):
    fake.script("call", *[twilio_error(500, 20500, "Internal Server Error")] * 3)
    handle = await start(live, priority="P1", category="system_outages")
    record = await eventually(handle, settled, timeout=15)
    assert [r.accepted for r in fake.seen("call")] == [False, False, False, True]
    [page] = [n for n in record.notifications if n.channel == "phone"]
    assert (page.status, page.provider_id) == ("sent", fake.accepted("call")[0].provider_id)


async def test_an_ambiguous_500_on_a_customer_email_is_recorded_unknown_and_not_sent_again(
    live: Service, fake: FakeProviders
):
    fake.script("email", sendgrid_error(500, "internal error"), to=CUSTOMER)
    handle = await start(live, priority="P4", category="password_resets")
    record = await eventually(handle, settled)
    [ack] = sent(record, "acknowledgment", "customer")
    assert ack.status == "unknown" and "HTTP 500" in (ack.error or "")
    await asyncio.sleep(0.5)  # well past the test backoff: nothing else goes out
    assert len(fake.seen("email", CUSTOMER)) == 1
    assert live.ledger.status(ack.notification_id) == "unknown"


async def test_an_invalid_number_falls_back_to_email_and_raises_an_alert(
    live: Service, fake: FakeProviders
):
    invalid = twilio_error(400, 21211, "The 'To' number is not a valid phone number.")
    fake.script("call", invalid)
    fake.script("sms", invalid)
    handle = await start(live, priority="P1", category="system_outages")
    record = await eventually(
        handle, lambda r: settled(r) and "phone_delivery_failed" in r.dashboard_alerts
    )
    record = await eventually(handle, lambda r: settled(r) and len(r.notifications) >= 8)
    [page] = [n for n in record.notifications if n.channel == "phone"]
    assert page.status == "failed" and "21211" in (page.error or "")
    assert len(fake.seen("call")) == 1  # permanent: never retried
    fallbacks = [n for n in record.notifications if n.fallback_for == page.notification_id]
    assert {(n.channel, n.status) for n in fallbacks} == {("sms", "failed"), ("email", "sent")}
    # the original team email and the page's fallback email: same content, two notifications
    same = [
        r for r in fake.accepted("email", L4_EMAIL) if r.payload["subject"] == page_subject(record)
    ]
    [fallback_mail] = [n for n in fallbacks if n.channel == "email"]
    assert len(same) == 2 and fallback_mail.provider_id in {r.provider_id for r in same}
    assert record.dashboard_alerts[:1] == ["new_ticket"]
    assert {"phone_delivery_failed", "sms_delivery_failed"} <= set(record.dashboard_alerts)
    alerts = [n for n in record.notifications if n.kind == "phone_delivery_failed"]
    assert alerts and alerts[0].channel == "dashboard"
    described = await handle.describe()
    assert "phone_delivery_failed" in described.typed_search_attributes.get(sa.DASHBOARD_ALERTS)


def page_subject(record: TicketRecord) -> str:
    return f"New P1 ticket at Level 4 - Ticket #{record.ticket_id}"


async def test_a_provider_outage_delays_a_p1_but_loses_nothing(live: Service, fake: FakeProviders):
    fake.down = True
    handle = await start(live, priority="P1", category="system_outages")
    # Both providers refuse everything for a while; each message is tried again and again.
    for _ in range(200):
        if all(len(fake.seen(kind)) >= 3 for kind in ("call", "email")):
            break
        await asyncio.sleep(0.05)
    record = await status(handle)
    assert all(n.status == "pending" for n in record.notifications if n.channel != "dashboard")
    fake.down = False
    record = await eventually(handle, settled, timeout=15)
    assert all(n.status == "sent" for n in record.notifications)
    assert len(fake.accepted("call", L4_PHONE)) == 1
    assert len(fake.accepted("email", L4_EMAIL)) == 1
    assert len(fake.accepted("email", CUSTOMER)) == 1


async def test_a_page_twilio_has_no_record_of_after_a_read_timeout_is_sent_again(
    live: Service, fake: FakeProviders
):
    fake.script("call", Fault(201, {"sid": "CAlate", "status": "queued"}, hang=1.5))
    handle = await start(live, priority="P1", category="system_outages")
    record = await eventually(handle, settled, timeout=15)
    [page] = [n for n in record.notifications if n.channel == "phone"]
    [call] = fake.accepted("call")
    assert (page.status, page.provider_id) == ("sent", call.provider_id)
    assert len(fake.seen("call")) == 2  # asked first, then sent once more
    assert [(lookup.kind, lookup.to) for lookup in fake.lookups] == [("call", L4_PHONE)]


async def test_a_page_twilio_took_but_answered_too_late_is_found_there_and_not_sent_again(
    live: Service, fake: FakeProviders
):
    fake.script("call", Fault(201, {"sid": "CAlate", "status": "queued"}, hang=1.5, accept=True))
    handle = await start(live, priority="P1", category="system_outages")
    record = await eventually(handle, settled, timeout=15)
    [page] = [n for n in record.notifications if n.channel == "phone"]
    [call] = fake.seen("call")
    assert (page.status, page.provider_id) == ("sent", call.provider_id)
    assert live.ledger.status(page.notification_id) == "sent"


async def test_a_lookup_that_fails_is_asked_again_never_answered_by_a_blind_resend(
    live: Service, fake: FakeProviders
):
    fake.script("call", replace(twilio_error(500, 20500, "Internal Server Error"), accept=True))
    fake.script("lookup", twilio_error(503, 20503, "Service Unavailable"))
    handle = await start(live, priority="P1", category="system_outages")
    record = await eventually(handle, settled, timeout=15)
    [page] = [n for n in record.notifications if n.channel == "phone"]
    [call] = fake.seen("call")
    assert (page.status, page.provider_id) == ("sent", call.provider_id)
    assert len(fake.lookups) == 2
    with live.engine.connect() as db:
        details = db.execute(
            select(notification_events.c.detail).where(
                notification_events.c.notification_id == page.notification_id
            )
        ).scalars()
        assert "lookup: twilio HTTP 503: code 20503: Service Unavailable" in list(details)


async def test_a_lookup_twilio_refuses_sends_the_page_again_a_duplicate_beats_a_miss(
    live: Service, fake: FakeProviders
):
    fake.script("call", replace(twilio_error(500, 20500, "Internal Server Error"), accept=True))
    fake.script("lookup", twilio_error(403, 20003, "Permission denied"))  # a send-only key
    handle = await start(live, priority="P1", category="system_outages")
    record = await eventually(handle, settled, timeout=15)
    [page] = [n for n in record.notifications if n.channel == "phone"]
    _, again = fake.accepted("call")
    assert (page.status, page.provider_id) == ("sent", again.provider_id)


async def test_a_team_email_with_an_unknown_outcome_is_sent_again_as_sendgrid_cannot_be_asked(
    live: Service, fake: FakeProviders
):
    fake.script("email", replace(sendgrid_error(500, "internal error"), accept=True), to=L4_EMAIL)
    handle = await start(live, priority="P1", category="system_outages")
    record = await eventually(handle, settled, timeout=15)
    [team_mail] = [n for n in record.notifications if (n.channel, n.audience) == ("email", "team")]
    assert team_mail.status == "sent"
    assert len(fake.accepted("email", L4_EMAIL)) == 2  # a duplicate email beats a missed one
    assert fake.lookups == []


async def test_a_storm_of_twenty_p1s_stays_within_the_call_limit_and_sends_one_digest(
    tmp_path: Path, fake: FakeProviders, sqlite_engine: Engine
):
    policy = fast_policy(throttle_window=timedelta(minutes=2))
    async with time_skipping_service(tmp_path, sqlite_engine, fake.settings(), policy) as service:
        handles = [
            await start(service, priority="P1", category="system_outages") for _ in range(20)
        ]
        records = [await eventually(h, settled, timeout=20) for h in handles]
        pages = [n for r in records for n in r.notifications if n.channel == "phone"]
        assert sorted(n.status for n in pages).count("sent") == 3
        assert sorted(n.status for n in pages).count("throttled") == 17
        assert len(fake.accepted("call", L4_PHONE)) == 3
        await service.env.sleep(timedelta(minutes=2, seconds=5))
        await digest_emails(fake, wait_for=1)
        await asyncio.sleep(0.5)  # the other held tickets' digest activities find nothing left
        [digest] = await digest_emails(fake)
        assert "17 notification(s)" in digest.payload["subject"]
        body = digest.payload["content"][0]["value"]
        held = {n.notification_id.split(":")[0] for n in pages if n.status == "throttled"}
        assert len(held) == 17 and all(f"#{ticket}:" in body for ticket in held)
        assert len(fake.accepted("call", L4_PHONE)) == 3
        records = [await status(h) for h in handles]
        [digest_entry] = [n for r in records for n in sent(r, "digest")]  # recorded by its sender
        assert (digest_entry.status, digest_entry.provider_id) == ("sent", digest.provider_id)
        throttled = [n for r in records for n in r.notifications if n.status == "throttled"]
        assert len(throttled) == 17 and all("held back" in (n.error or "") for n in throttled)


async def test_sms_fallbacks_in_a_storm_stay_within_the_sms_limit(
    tmp_path: Path, fake: FakeProviders, sqlite_engine: Engine
):
    # calls are not limited here: every call fails, and every failure falls back to an SMS
    policy = fast_policy(throttle_window=timedelta(minutes=2), calls_per_window=100)
    fake.script("call", *[twilio_error(400, 13224, "Invalid phone number for calls")] * 8)
    async with time_skipping_service(tmp_path, sqlite_engine, fake.settings(), policy) as service:
        handles = [await start(service, priority="P1", category="system_outages") for _ in range(8)]
        records = [
            await eventually(h, lambda r: settled(r) and len(r.notifications) >= 7, timeout=20)
            for h in handles
        ]
        texts = [n for r in records for n in r.notifications if n.channel == "sms"]
        assert sorted(n.status for n in texts) == ["sent"] * 5 + ["throttled"] * 3
        assert len(fake.accepted("sms", L4_PHONE)) == 5
        await service.env.sleep(timedelta(minutes=2, seconds=5))
        [digest] = await digest_emails(fake, wait_for=1)
        assert "3 notification(s)" in digest.payload["subject"]
        assert digest.payload["content"][0]["value"].count("- sms for ticket #") == 3


async def digest_emails(fake: FakeProviders, wait_for: int = 0) -> list[Seen]:
    for _ in range(100):
        found = [r for r in fake.accepted("email", L4_EMAIL) if "Digest" in r.payload["subject"]]
        if len(found) >= wait_for:
            return found
        await asyncio.sleep(0.05)
    return found


async def test_a_decisions_records_and_messages_go_out_in_one_activity(
    live: Service, fake: FakeProviders
):
    """A P1's opening records its entries, pages L4 by phone, emails them and alerts the
    dashboard: one activity, one completion, one workflow task for all (each message still
    once-only by the ledger)."""
    handle = await start(live, priority="P1", category="system_outages")
    record = await eventually(handle, settled, timeout=15)
    batches = []
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            scheduled = event.activity_task_scheduled_event_attributes
            assert scheduled.activity_type.name != "send_notification"  # none had to wait
            if scheduled.activity_type.name == "record_and_send":
                batches.append(json.loads(scheduled.input.payloads[0].data))
    opening = batches[0]
    assert [e["event"] for e in opening["events"]][:1] == ["opened"]
    assert sorted(m["channel"] for m in opening["messages"]) == ["dashboard", "email", "phone"]
    assert sum(len(batch["messages"]) for batch in batches) == len(record.notifications)
    assert all(n.status == "sent" for n in record.notifications)
