"""Two worker processes on one PostgreSQL database share a storm of P1 pages; the first to call
Twilio is killed with SIGKILL in that call, after Twilio took it. Every page and SMS the
workflows sent reaches Twilio exactly once, none is lost, and the storm limit holds across both
workers.

Email stays in the outbox here: SendGrid cannot be asked what it has, so a team email whose
worker died mid-call is sent again (docs/delivery.md); bench/kill_storm.py counts email too."""

import asyncio
import os
import signal
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine, select
from temporalio.testing import WorkflowEnvironment

from starter.client.tickets import open_ticket
from store.ledger import FOUND
from store.schema import notification_events
from tests.databases import prepared_database
from tests.fake_providers import FakeProviders, Seen
from tests.helpers import L4_PHONE, eventually, settled, ticket
from tests.worker_processes import quick_policy, wait_pollers, worker_env, worker_process

TICKETS = 16
CALLS, TEXTS = 4, 6  # the storm limit per recipient per window
P1_CHANNELS = 'channels = ["phone", "email", "dashboard"]'
STORM = {
    P1_CHANNELS: P1_CHANNELS.replace('"phone"', '"phone", "sms"'),
    "sms_per_window = 5": f"sms_per_window = {TEXTS}",
    "calls_per_window = 3": f"calls_per_window = {CALLS}",
}


def notification_of(seen: Seen) -> str:
    """The notification id in the status-callback URL the worker gave Twilio."""
    return parse_qs(urlsplit(seen.payload["StatusCallback"]).query)["notification_id"][0]


def found_at_twilio(engine: Engine) -> list[str]:
    with engine.connect() as db:
        return list(
            db.execute(
                select(notification_events.c.notification_id).where(
                    notification_events.c.detail == FOUND
                )
            ).scalars()
        )


async def test_two_workers_share_a_page_storm_and_one_killed_mid_call_loses_or_repeats_nothing(
    tmp_path: Path, fake: FakeProviders, dev_env: WorkflowEnvironment
):
    client = dev_env.client
    server = client.service_client.config.target_host
    queue = f"two-workers-{uuid.uuid4()}"
    policy = quick_policy(tmp_path / "policy.toml", STORM)
    with prepared_database("postgresql", tmp_path) as engine:
        url = engine.url.render_as_string(hide_password=False)
        workers = {
            name: await worker_process(
                worker_env(
                    fake,
                    queue,
                    tmp_path / name,  # each its own data folder, as on two machines
                    server,
                    policy=policy,
                    via=name,
                    email=False,
                    database_url=url,
                ),
                tmp_path / f"{name}.log",
            )
            for name in ("w1", "w2")
        }
        killed: list[str] = []

        def kill_the_first_caller(seen: Seen) -> None:
            if not killed:  # Twilio took it; its worker never hears
                killed.append(seen.via)
                os.kill(workers[seen.via].pid, signal.SIGKILL)

        fake.on_accept = kill_the_first_caller
        try:
            await wait_pollers(client, queue, 2)
            handles = await asyncio.gather(
                *(
                    open_ticket(
                        client, ticket(priority="P1", category="system_outages"), queue=queue
                    )
                    for _ in range(TICKETS)
                )
            )
            for _ in range(3000):
                if killed:
                    break
                await asyncio.sleep(0.02)
            doomed = workers[killed[0]]
            [survivor] = set(workers) - set(killed)
            assert await asyncio.wait_for(doomed.wait(), timeout=60) == -signal.SIGKILL
            records = [await eventually(h, settled, timeout=60) for h in handles]
            for handle in handles:
                await handle.terminate("test finished")
        finally:
            for process in workers.values():
                if process.returncode is None:
                    process.terminate()
                    await process.wait()

        sent = {
            n.notification_id: n
            for r in records
            for n in r.notifications
            if n.channel in ("phone", "sms") and n.status == "sent"
        }
        at_twilio = Counter(notification_of(seen) for seen in fake.accepted())
        assert at_twilio == Counter(set(sent))  # each exactly once; none lost, none extra
        assert {n.provider_id for n in sent.values()} == {s.provider_id for s in fake.accepted()}
        # the storm limit held across both workers
        statuses = Counter((n.channel, n.status) for r in records for n in r.notifications)
        assert statuses[("phone", "sent")] == len(fake.accepted("call", L4_PHONE)) == CALLS
        assert statuses[("sms", "sent")] == len(fake.accepted("sms", L4_PHONE)) == TEXTS
        assert statuses[("phone", "throttled")] == TICKETS - CALLS
        assert statuses[("sms", "throttled")] == TICKETS - TEXTS
        # One died with Twilio's answers on their way (more than one call may have been under
        # way); the other found each of those at Twilio and sent the rest.
        by_killed = {notification_of(s) for s in fake.accepted() if s.via == killed[0]}
        assert sorted(found_at_twilio(engine)) == sorted(by_killed)
        assert len(by_killed) < CALLS + TEXTS
        assert {s.via for s in fake.accepted()} == {killed[0], survivor}
