"""A worker process killed in the middle of a page, on the dev server (the time-skipping server
does not hand a dead worker's tasks to a new one):
- after the provider accepted it and the ledger recorded it, before Temporal heard of it: the
  restarted worker finds the ledger's `sent` and does not page again;
- after the provider accepted it, before the ledger recorded it: the restarted worker finds the
  call at Twilio and does not page again;
- before the provider got it: Twilio has no record, and the restarted worker pages once."""

import asyncio
import contextlib
import os
import signal
import sqlite3
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from contract.status import TicketRecord
from starter.client.tickets import open_ticket
from store.ledger import FOUND, NOT_FOUND
from tests.fake_providers import SENDGRID_KEY, TWILIO_TOKEN, FakeProviders, Fault, Seen
from tests.helpers import CUSTOMER, L4_EMAIL, L4_PHONE, eventually, settled, ticket
from tests.tcp_proxy import FreezableProxy
from tests.worker_processes import worker_env, worker_process


async def ledger_status(
    path: Path, channel: str, recipient: str | None = None, timeout: float = 20
) -> tuple[str, str]:
    """(notification_id, status) of the first ledger row of this channel (to this recipient)
    once it is settled."""
    query = "SELECT notification_id, status FROM notifications WHERE channel = ?"
    params: tuple[str, ...] = (channel,)
    if recipient is not None:
        query, params = query + " AND recipient = ?", (channel, recipient)
    for _ in range(int(timeout / 0.02)):
        with contextlib.suppress(sqlite3.OperationalError):  # the worker creates it first
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                row = db.execute(query, params).fetchone()
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
    page_id, state = await ledger_status(data_dir / "records.db", "phone")
    assert state == "sent"  # accepted and recorded; Temporal still thinks it is running
    # The page's email goes out in the same activity, after the call: settled too, so that the
    # kill falls after its acceptance (a kill during a send is the documented ambiguity).
    assert (await ledger_status(data_dir / "records.db", "email", L4_EMAIL))[1] == "sent"
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


def page_events(data_dir: Path, notification_id: str) -> list[tuple[str, str | None]]:
    """(status, detail) of each change of this notification in the worker's records database."""
    with contextlib.closing(
        sqlite3.connect(f"file:{data_dir / 'records.db'}?mode=ro", uri=True)
    ) as db:
        return db.execute(
            "SELECT status, detail FROM notification_events WHERE notification_id = ? "
            "ORDER BY event_id",
            (notification_id,),
        ).fetchall()


async def page_with_a_kill(
    tmp_path: Path, fake: FakeProviders, dev_env: WorkflowEnvironment, accepted: bool
) -> tuple[TicketRecord, Path]:
    """A P1 ticket whose page's worker is killed with SIGKILL in the Twilio call, after Twilio
    took the call (before its answer) or before; a second worker takes over. Returns the
    settled ticket and the workers' data folder."""
    client = dev_env.client
    server = client.service_client.config.target_host
    queue, data_dir = f"crash-{uuid.uuid4()}", tmp_path / "data"
    env = worker_env(fake, queue, data_dir, server)
    first = await worker_process(env, tmp_path / "first.log")

    def kill_on_call(seen: Seen) -> None:
        if seen.kind == "call" and first.returncode is None:
            os.kill(first.pid, signal.SIGKILL)  # before the fake answers

    if accepted:
        fake.on_accept = kill_on_call
    handle = await open_ticket(
        client, ticket(priority="P1", category="system_outages"), queue=queue
    )
    if not accepted:
        for _ in range(1500):
            if fake.seen("call"):
                break
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(first.wait(), timeout=30) == -signal.SIGKILL
    fake.on_accept = None
    second = await worker_process(env, tmp_path / "second.log")
    try:
        # Past the attempt's 3 s start-to-close timeout: Temporal retries on the new worker.
        record = await eventually(handle, settled, timeout=30)
        await handle.terminate("test finished")
    finally:
        second.terminate()
        await second.wait()
    return record, data_dir


async def test_a_worker_killed_after_twilio_took_a_page_finds_it_there_and_does_not_call_again(
    tmp_path: Path, fake: FakeProviders, dev_env: WorkflowEnvironment
):
    record, data_dir = await page_with_a_kill(tmp_path, fake, dev_env, accepted=True)
    [page] = [n for n in record.notifications if n.channel == "phone"]
    [call] = fake.seen("call")
    assert (page.status, page.provider_id) == ("sent", call.provider_id)
    assert [(lookup.kind, lookup.to) for lookup in fake.lookups] == [("call", L4_PHONE)]
    assert page_events(data_dir, page.notification_id)[-1] == ("sent", FOUND)
    assert f"found at the provider as {call.provider_id}" in (tmp_path / "second.log").read_text()


async def test_a_worker_killed_before_twilio_got_the_page_calls_once_after_asking(
    tmp_path: Path, fake: FakeProviders, dev_env: WorkflowEnvironment
):
    fake.script("call", Fault(201, {"sid": "CAnever", "status": "queued"}, hang=10))
    record, data_dir = await page_with_a_kill(tmp_path, fake, dev_env, accepted=False)
    [page] = [n for n in record.notifications if n.channel == "phone"]
    lost, call = fake.seen("call")
    assert (lost.accepted, call.accepted) == (False, True)
    assert (page.status, page.provider_id) == ("sent", call.provider_id)
    assert [(lookup.kind, lookup.to) for lookup in fake.lookups] == [("call", L4_PHONE)]
    assert [status for status, _ in page_events(data_dir, page.notification_id)] == [
        "pending",
        "checking",
        "pending",
        "sent",
    ]
    assert NOT_FOUND in {detail for _, detail in page_events(data_dir, page.notification_id)}
