"""Duplicates and losses when workers are killed with SIGKILL in the middle of a page storm.

    .venv/bin/python -m bench.kill_storm [--tickets 100] [--kills 4] [--workers 1|2]
        [--root DIR]   # the worker code to run (another checkout: measure before and after)

P1 tickets open at --rate; each pages L4 by call and SMS, emails L4 and the customer (storm
limits raised so every page goes out). Real `worker.py` processes talk to the local fake
SendGrid/Twilio (tests/fake_providers.py) and the embedded dev server. Each kill lands inside a
provider call: the fake kills the worker that sent the k-th accepted request before answering
it, and the bench starts that worker again (same data folder, as a restarted container). With
--workers 2 both workers have their own data folder and share a fresh PostgreSQL schema
(TEST_DATABASE_URL, default the local server), as two machines do.

Counts per (ticket, channel, audience), from what the fake accepted: wanted (the workflows'
notifications that went to a provider), sent (reached it at least once), lost, duplicated."""

import argparse
import asyncio
import itertools
import os
import re
import signal
import sys
import tempfile
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import unquote

from temporalio.client import Client
from temporalio.service import RPCError

from bench.server import dev_server, target_of
from contract.status import TicketOutcome, TicketRecord
from contract.ticket_input import TicketInput
from starter.client.tickets import open_ticket, wait_for_status
from tests.databases import empty_database
from tests.fake_providers import FakeProviders, Seen
from tests.worker_processes import quick_policy, wait_pollers, worker_env

Key = tuple[str, str, str]  # ticket, channel, audience
PROVIDER_CHANNELS = ("email", "sms", "phone")
TWIML_NOTIFICATION = re.compile(r"notification_id=([^\"&]+)")
SMS_TICKET = re.compile(r"Ticket #(\S+)")


def storm_policy(path: Path, tickets: int) -> Path:
    """Quick attempts (3 s); P1 pages by SMS too; no storm limit in the way."""
    p1 = 'channels = ["phone", "email", "dashboard"]'
    return quick_policy(
        path,
        {
            p1: p1.replace('"phone"', '"phone", "sms"'),
            "sms_per_window = 5": f"sms_per_window = {tickets}",
            "calls_per_window = 3": f"calls_per_window = {tickets}",
        },
    )


def key_of(seen: Seen) -> Key:
    """Which notification a provider request carried: the same on every version of the worker."""
    if seen.kind == "email":
        personalization = seen.payload["personalizations"][0]
        args = seen.payload.get("custom_args") or personalization.get("custom_args")
        parts = args["notification_id"].split(":")
        return parts[0], "email", parts[5]
    if seen.kind == "call":
        match = TWIML_NOTIFICATION.search(seen.payload["Twiml"])
        assert match, "calls carry the notification id when API_PUBLIC_URL is set"
        return unquote(match.group(1)).split(":")[0], "phone", "team"
    match = SMS_TICKET.search(seen.payload["Body"])
    assert match, "SMS name their ticket"
    return match.group(1), "sms", "team"


class Workers:
    """Worker processes of one checkout; kill one by name from any thread, restart it here."""

    def __init__(self, root: Path, envs: dict[str, dict[str, str]], logs: Path) -> None:
        self._root, self._envs, self._logs = root, envs, logs
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self.restarts: asyncio.Queue[str] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._starts = Counter[str]()

    async def start(self, name: str) -> None:
        self._starts[name] += 1
        log = self._logs / f"{name}-{self._starts[name]}.log"
        with log.open("w") as out:
            self.processes[name] = await asyncio.create_subprocess_exec(
                sys.executable,
                "worker.py",
                cwd=self._root,
                env=self._envs[name],
                stdout=out,
                stderr=out,
            )

    def kill(self, name: str) -> None:
        """From the fake's thread, before it answers: the request was accepted."""
        if self.processes[name].returncode is not None:
            return  # a request of an already killed worker, accepted late
        os.kill(self.processes[name].pid, signal.SIGKILL)
        self._loop.call_soon_threadsafe(self.restarts.put_nowait, name)

    async def restart_killed(self) -> None:
        while True:
            name = await self.restarts.get()
            await self.processes[name].wait()
            await self.start(name)

    async def stop(self) -> None:
        for process in self.processes.values():
            if process.returncode is None:
                process.terminate()
                await process.wait()


async def open_storm(client: Client, queue: str, tickets: int, rate: float) -> list[str]:
    ids = []
    for _ in range(tickets):
        ticket = TicketInput.model_validate(
            {
                "ticket_id": f"K-{uuid.uuid4().hex[:10]}",
                "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
                "subject": "Checkout is down for all users",
                "description": "Every payment fails since 10:02.",
                "priority": "P1",
                "category": "system_outages",
            }
        )
        await open_ticket(client, ticket, queue=queue)
        ids.append(ticket.ticket_id)
        await asyncio.sleep(1 / rate)
    return ids


async def settled_records(client: Client, ids: list[str], timeout: float) -> list[TicketRecord]:
    """Each ticket's status once no notification is pending (or at the timeout: stuck)."""
    deadline = asyncio.get_running_loop().time() + timeout
    records = []
    for ticket_id in ids:
        handle = client.get_workflow_handle(f"ticket-{ticket_id}", result_type=TicketOutcome)
        while True:
            try:
                record = await wait_for_status(handle)  # type: ignore[arg-type]
            except RPCError:  # asked of a killed worker's sticky queue: the next one answers
                continue
            done = all(n.status != "pending" for n in record.notifications)
            if done or asyncio.get_running_loop().time() > deadline:
                records.append(record)
                break
            await asyncio.sleep(0.2)
    return records


async def run(args: argparse.Namespace, workdir: Path, database_url: str | None) -> None:
    async with dev_server() as env:
        with FakeProviders().running() as fake:
            queue = f"kill-storm-{uuid.uuid4().hex[:8]}"
            policy = storm_policy(workdir / "policy.toml", args.tickets)
            names = [f"w{i + 1}" for i in range(args.workers)]
            envs = {
                name: worker_env(
                    fake,
                    queue,
                    workdir / name,
                    target_of(env),
                    policy=policy,
                    via=name,
                    database_url=database_url,
                )
                for name in names
            }
            workers = Workers(args.root, envs, workdir)
            for name in names:
                await workers.start(name)
            await wait_pollers(env.client, queue, len(names))
            # four provider messages per ticket: kill at evenly spaced accepted requests
            expected = 4 * args.tickets
            kill_at = {expected * (i + 1) // (args.kills + 1) for i in range(args.kills)}
            accepted = itertools.count(1)  # next() is atomic: the fake answers on many threads

            def kill_mid_call(seen: Seen) -> None:
                if next(accepted) in kill_at:
                    workers.kill(seen.via)

            fake.on_accept = kill_mid_call
            restarting = asyncio.create_task(workers.restart_killed())
            try:
                ids = await open_storm(env.client, queue, args.tickets, args.rate)
                records = await settled_records(env.client, ids, args.timeout)
            finally:
                restarting.cancel()
                await workers.stop()
            report(args, records, fake, len(kill_at))


def report(
    args: argparse.Namespace, records: list[TicketRecord], fake: FakeProviders, kills: int
) -> None:
    wanted = {
        (r.ticket_id, n.channel, n.audience)
        for r in records
        for n in r.notifications
        if n.channel in PROVIDER_CHANNELS and n.status not in ("throttled", "outbox")
    }
    stuck = sum(any(n.status == "pending" for n in r.notifications) for r in records)
    delivered = Counter(key_of(seen) for seen in fake.accepted())
    lost = Counter(f"{channel} {audience}" for _, channel, audience in wanted - set(delivered))
    duplicated = Counter[str]()
    for (_, channel, audience), count in delivered.items():
        duplicated[f"{channel} {audience}"] += count - 1
    print(
        f"kill storm: {args.root}, {args.workers} worker(s), {len(records)} tickets, "
        f"{kills} kills, stuck {stuck}"
    )
    print(
        f"notifications wanted {len(wanted)}, sent {len(wanted & set(delivered))}, "
        f"lost {lost.total()}{by_kind(lost)}, duplicated {duplicated.total()}{by_kind(duplicated)}"
    )


def by_kind(counts: Counter[str]) -> str:
    shown = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()) if n)
    return f" ({shown})" if shown else ""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--workers", type=int, choices=(1, 2), default=1)
    parser.add_argument("--rate", type=float, default=20, help="tickets opened per second")
    parser.add_argument("--timeout", type=float, default=180, help="seconds to settle")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--workdir", type=Path, help="an empty folder: keep logs and data there")
    args = parser.parse_args()
    with ExitStack() as stack:
        workdir = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        workdir.mkdir(parents=True, exist_ok=True)
        if any(workdir.iterdir()):  # an earlier run's ledger would hold back this run's pages
            parser.error(f"--workdir {workdir} is not empty")
        database_url = None
        if args.workers > 1:
            engine = stack.enter_context(empty_database("postgresql", workdir))
            database_url = engine.url.render_as_string(hide_password=False)
        asyncio.run(run(args, workdir, database_url))


if __name__ == "__main__":
    main()
