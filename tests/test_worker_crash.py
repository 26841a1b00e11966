"""A worker process killed after the provider accepted a page, before Temporal heard of it:
the restarted worker finds the ledger's `sent` and does not page again. On the dev server: the
time-skipping server does not hand a dead worker's tasks to a new one."""

import asyncio
import contextlib
import os
import sqlite3
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from starter.tickets import open_ticket
from tests.conftest import ROOT
from tests.fake_providers import SENDGRID_KEY, TWILIO_TOKEN, FakeProviders, Seen
from tests.helpers import CUSTOMER, L4_EMAIL, L4_PHONE, eventually, settled, ticket
from tests.stack import edited_policy, provider_env
from tests.tcp_proxy import FreezableProxy

# A 3 s delivery attempt, so a dead worker's attempt ends soon.
QUICK_DELIVERY = {
    "http_timeout_seconds = 10": "http_timeout_seconds = 1",
    "attempt_timeout_seconds = 30": "attempt_timeout_seconds = 3",
}


def worker_env(fake: FakeProviders, queue: str, data_dir: Path, address: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TEMPORAL_API_KEY"}
    env.update(
        TEMPORAL_ADDRESS=address,
        TEMPORAL_NAMESPACE="default",
        TASK_QUEUE=queue,
        DATA_DIR=str(data_dir),
        ESCALATION_POLICY=str(edited_policy(data_dir.parent / "policy.toml", QUICK_DELIVERY)),
        ESCALATION_TIME_SCALE="1",
        NO_PROXY="127.0.0.1,localhost",
        **provider_env(fake.settings()),
    )
    return env


async def worker_process(env: Mapping[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("w") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "worker.py"), env=dict(env), stdout=out, stderr=out
        )


async def ledger_status(path: Path, channel: str, timeout: float = 20) -> tuple[str, str]:
    """(notification_id, status) of the first ledger row of this channel once it is settled."""
    for _ in range(int(timeout / 0.02)):
        with contextlib.suppress(sqlite3.OperationalError):  # the worker creates it first
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                row = db.execute(
                    "SELECT notification_id, status FROM notifications WHERE channel = ?",
                    (channel,),
                ).fetchone()
            if row and row[1] != "pending":
                return row
        await asyncio.sleep(0.02)
    raise AssertionError(f"no settled {channel} row in the ledger within {timeout}s")


async def test_a_worker_killed_after_the_provider_accepted_does_not_send_again(
    tmp_path: Path, fake: FakeProviders, dev_env: WorkflowEnvironment
):
    client = dev_env.client
    server = client.service_client.config.target_host
    queue, data_dir = f"crash-{uuid.uuid4()}", tmp_path / "data"
    proxy = FreezableProxy(server)

    def freeze_on_call(seen: Seen) -> None:
        if seen.kind == "call":
            proxy.freeze()  # the worker's completion can no longer reach Temporal

    fake.on_accept = freeze_on_call
    first = await worker_process(
        worker_env(fake, queue, data_dir, proxy.address), tmp_path / "first.log"
    )
    opened = ticket(priority="P1", category="system_outages")
    handle = await open_ticket(client, opened, queue=queue)
    page_id, state = await ledger_status(data_dir / "ledger.sqlite3", "phone")
    assert state == "sent"  # accepted and recorded; Temporal still thinks it is running
    first.kill()
    await first.wait()
    proxy.close()

    second = await worker_process(
        worker_env(fake, queue, data_dir, server), tmp_path / "second.log"
    )
    try:
        # Past the attempt's 3 s start-to-close timeout: Temporal retries on the new worker.
        record = await eventually(handle, settled, timeout=30)
    finally:
        second.terminate()
        await second.wait()
    [page] = [n for n in record.notifications if n.channel == "phone"]
    [call] = fake.seen("call")
    assert (page.notification_id, page.status, page.provider_id) == (
        page_id,
        "sent",
        call.provider_id,
    )
    for kind, to in (("call", L4_PHONE), ("email", L4_EMAIL), ("email", CUSTOMER)):
        assert len(fake.accepted(kind, to)) == 1, (kind, to)
    started, restarted = ((tmp_path / name).read_text() for name in ("first.log", "second.log"))
    assert f"{page_id} already sent; provider not called again" in restarted
    assert "channels: email -> SendGrid, sms -> Twilio, phone -> Twilio" in started
    assert not any(secret in started + restarted for secret in (SENDGRID_KEY, TWILIO_TOKEN))
    await handle.terminate("test finished")
