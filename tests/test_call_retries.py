"""An unanswered P1 page is called again per the policy, then SMS and email take over: the real
Twilio and SendGrid SDKs against the fake provider, on the time-skipping server. Twilio's status
callbacks reach the ticket as the API's webhook signals them (tests/test_delivery_webhooks.py
checks that webhook on the stack)."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine

from contract.signals import DELIVERY_REPORT, DeliveryReportInput
from contract.status import TicketRecord
from tests.conftest import time_skipping_service
from tests.fake_providers import FakeProviders
from tests.helpers import L4_EMAIL, L4_PHONE, eventually, settled, start
from tests.test_delivery import fast_policy

OUTCOMES = ("no-answer", "busy", "no-answer")


async def test_an_unanswered_p1_page_rings_again_twice_a_minute_apart_then_falls_back(
    tmp_path: Path, fake: FakeProviders, sqlite_engine: Engine
) -> None:
    policy = fast_policy()
    assert (policy.delivery.call_retries, policy.delivery.call_retry_after) == (
        2,
        timedelta(minutes=1),
    )
    async with time_skipping_service(tmp_path, sqlite_engine, fake.settings(), policy) as live:
        handle = await start(live, priority="P1", category=None)
        record = await eventually(handle, settled)
        [page] = [n for n in record.notifications if n.channel == "phone"]
        calls = [page.notification_id] + [f"{page.notification_id}:call:{n}" for n in (2, 3)]
        for number, (call_id, outcome) in enumerate(zip(calls, OUTCOMES, strict=True)):
            made = fake.accepted("call", to=L4_PHONE)
            assert len(made) == number + 1
            assert made[-1].payload["StatusCallback"].endswith(quote(call_id))
            report = DeliveryReportInput(notification_id=call_id, outcome=outcome, detail=outcome)
            await handle.signal(DELIVERY_REPORT, report)
            if number < 2:
                await eventually(handle, lambda r: r.deadlines.call_retry is not None)
                assert fake.accepted("sms") == []  # no fallback while calls are left
                await live.env.sleep(timedelta(minutes=1))
                await eventually(handle, lambda r, nid=calls[number + 1]: sent_ok(r, nid))
        record = await eventually(handle, lambda r: sent_ok(r, f"{calls[2]}:fallback:email"))
        await handle.terminate("test finished")

    assert len(fake.accepted("call", to=L4_PHONE)) == 3
    [sms] = fake.accepted("sms", to=L4_PHONE)
    assert "did not reach you (no-answer)" in sms.payload["Body"]
    assert len(fake.accepted("email", to=L4_EMAIL)) == 2  # the page's email, then the fallback
    phone = [(n.call, n.status, n.retry_at) for n in record.notifications if n.channel == "phone"]
    assert phone == [(1, "failed", None), (2, "failed", None), (3, "failed", None)]
    assert record.deadlines.call_retry is None
    reasons = [e.reason for e in record.timeline if e.event == "delivery_failed"]
    assert reasons == ["phone_no-answer", "phone_busy", "phone_failed"]


def sent_ok(record: TicketRecord, notification_id: str) -> bool:
    return any(
        n.notification_id == notification_id and n.status == "sent" for n in record.notifications
    )
