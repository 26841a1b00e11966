"""The real servers one chaos scenario runs on, and its hands on them.

A dev server of its own (`temporal server start-dev --db-filename`, so it can be killed and
started again on the same state), `python worker.py` processes as deployed (tests/stack.py), the
local fake SendGrid and Twilio (tests/fake_providers.py) behind a proxy that can refuse
connections, and a policy whose L3 reply window is seconds long: each ticket of a storm opens at
L3 (phone, email, dashboard, customer acknowledgment), misses that window and is escalated to L4
(phone, email, dashboard, customer notice): six provider messages, then nothing for half an
hour."""

import asyncio
import contextlib
import re
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from sqlalchemy import create_engine, inspect, text
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError
from temporalio.worker import Replayer

from bench.chaos.figures import (
    Figures,
    Window,
    account,
    deadline_lateness,
    recovery_to_last_delivery,
    wanted,
)
from bench.server import TEMPORAL_CLI
from contract.payloads import DATA_CONVERTER
from contract.status import TicketRecord
from contract.ticket_input import TicketInput
from starter.client.tickets import open_ticket, status
from temporal_setup.search_attributes import register_search_attributes
from tests.fake_providers import FakeProviders
from tests.stack import (
    edited_policy,
    free_port,
    provider_env,
    spawn,
    stack_env,
    stop,
    wait_polling,
)
from tests.tcp_proxy import FreezableProxy
from workflows.ticket import TicketWorkflow

QUEUE = "chaos"
PUBLIC_API_URL = "https://support.example.com"  # phone pages then carry their notification id
STARTUP = 60.0  # seconds a server gets to answer
# Workflow-task failures that are the server's bookkeeping, not a ticket failing.
BENIGN_TASK_FAILURES = {
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_UPDATE,
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
}


@dataclass(frozen=True)
class Size:
    tickets: int  # per storm
    opening: float  # seconds over which they open
    breach_after: float  # L3's reply window: each ticket breaches this long after it opened
    outage: float  # seconds a provider, records-store or server outage lasts
    kills: int  # worker kills in the kill storm
    # Seconds after it could that a deadline counts as stuck. Late is normal after a fault: the
    # tasks of tickets cached on a dead worker wait out the SDK's sticky timeout (10 s), then a
    # worker replays them and works off the backlog (25-45 s on 2 cores; the figures show it).
    margin: float = 60.0
    drain: float = 120.0  # seconds after the last fault for every ticket to settle

    @property
    def storm_ends(self) -> float:
        """Seconds from the first ticket opened to the last breach."""
        return self.breach_after + self.opening

    def policy(self) -> dict[str, str]:
        """The shipped policy's lines that the chaos policy changes."""
        return {
            'respond_within = "2h"': f'respond_within = "{self.breach_after:g}s"',  # L3's
            'channels = ["email", "dashboard"]': 'channels = ["phone", "email", "dashboard"]',
            # One storm pages the same on-call phone dozens of times: no storm limit here.
            "sms_per_window = 5": "sms_per_window = 100000",
            "calls_per_window = 3": "calls_per_window = 100000",
            # A dead worker's delivery attempt is tried again after 5 s, not 30 s.
            "http_timeout_seconds = 10": "http_timeout_seconds = 2",
            "attempt_timeout_seconds = 30": "attempt_timeout_seconds = 5",
        }


class ChildProcess:
    """A server or worker this scenario started: it may kill -9 it, and stops it at the end."""

    process: subprocess.Popen[bytes] | None

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop(self.process)


@dataclass
class DevServer(ChildProcess):
    """`temporal server start-dev` on a database file: kill -9 it and start it again on it."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> Client:
        """Start it (again) and return a client once it answers."""
        args = ["server", "start-dev", "--headless", "--ip", "127.0.0.1", "--log-level", "error"]
        args += ["--port", str(self.port), "--http-port", str(free_port())]
        args += ["--metrics-port", str(free_port())]
        args += ["--db-filename", str(self.directory / "temporal.db")]
        with (self.directory / "temporal.log").open("ab") as log:
            self.process = subprocess.Popen([str(TEMPORAL_CLI), *args], stdout=log, stderr=log)
        deadline = time.monotonic() + STARTUP
        while True:
            try:
                client = await Client.connect(self.address, data_converter=DATA_CONVERTER)
                await client.workflow_service.get_system_info(GetSystemInfoRequest())
                return client
            except (RuntimeError, RPCError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                await asyncio.sleep(0.2)


@dataclass
class WorkerProcess(ChildProcess):
    """`python worker.py` with its own DATA_DIR (its SQLite ledger, until the records store
    holds the ledger), one log per start."""

    name: str
    env: dict[str, str]
    logs: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def data_dir(self) -> Path:
        return Path(self.env["DATA_DIR"])

    async def start(self, client: Client, via: FreezableProxy | None = None) -> float:
        """Start it, talking to Temporal through `via` if given; the instant it polls."""
        self.starts += 1
        log = self.logs / f"{self.name}-{self.starts}.log"
        env = self.env | ({"TEMPORAL_ADDRESS": via.address} if via else {})
        self.process = spawn(["worker.py"], env, log)
        await wait_polling(client, QUEUE, self.process, log)
        return time.time()


class Harness:
    """One scenario's servers and what it did to them. Use as `async with Harness(...) as h`."""

    def __init__(self, name: str, directory: Path, size: Size) -> None:
        self.figures = Figures(name)
        self.directory = directory
        self.size = size
        self.fake = FakeProviders()
        self.provider = FreezableProxy(self.fake.url.removeprefix("http://"))
        self.server = DevServer(directory)
        self.client: Client | None = None
        self.workers: list[WorkerProcess] = []
        self.windows: list[Window] = []
        self.ticket_ids: list[str] = []
        self.opened_at = 0.0
        self.database_urls: list[str] = []  # PostgreSQL the workers use, read directly
        self._stack = contextlib.ExitStack()

    async def __aenter__(self) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._stack.enter_context(self.fake.running())
        self.client = await self.server.start()
        await register_search_attributes(self.client)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for worker in self.workers:
            worker.stop()
        self.server.stop()
        self.provider.close()
        self._stack.close()

    @property
    def temporal(self) -> Client:
        assert self.client is not None
        return self.client

    def worker(self, name: str, database_url: str | None = None) -> WorkerProcess:
        """A worker process (not started) on this scenario's server, fake provider and policy."""
        data_dir = self.directory / name
        data_dir.mkdir(parents=True, exist_ok=True)
        provider = f"http://{self.provider.address}"
        env = stack_env(self.server.address, data_dir, free_port())
        env.update(provider_env(self.fake.settings()))
        env.update(
            TASK_QUEUE=QUEUE,
            ESCALATION_POLICY=str(
                edited_policy(self.directory / "policy.toml", self.size.policy())
            ),
            SENDGRID_API_HOST=provider,
            TWILIO_API_BASE_URL=provider,
            API_PUBLIC_URL=PUBLIC_API_URL,
        )
        if database_url:
            env["DATABASE_URL"] = database_url
        worker = WorkerProcess(name, env, self.directory)
        self.workers.append(worker)
        return worker

    def fault(self, began: float, ended: float, stops_deadlines: bool) -> None:
        self.windows.append(Window(began, ended, stops_deadlines))

    def start_storm(self, tickets: int | None = None) -> "asyncio.Task[None]":
        """Open the storm's tickets (all of size.tickets by default) at a steady pace over
        `size.opening` seconds, from now on."""
        count = tickets or self.size.tickets
        self.ticket_ids = [f"CH-{i:04d}" for i in range(count)]
        self.opened_at = time.time()

        async def one(index: int, ticket_id: str) -> None:
            await asyncio.sleep(index * self.size.opening / count)
            await open_ticket(self.temporal, storm_ticket(ticket_id, index), queue=QUEUE)

        async def all_of_them() -> None:
            await asyncio.gather(*(one(i, t) for i, t in enumerate(self.ticket_ids)))

        return asyncio.create_task(all_of_them())

    async def at(self, seconds: float) -> None:
        """Until this many seconds after the storm's first ticket opened."""
        await asyncio.sleep(max(0.0, self.opened_at + seconds - time.time()))

    async def records(self) -> list[TicketRecord]:
        return list(await asyncio.gather(*(status(self.temporal, t) for t in self.ticket_ids)))

    async def settle(self, done: Callable[[TicketRecord], bool]) -> list[TicketRecord]:
        """The tickets' records once `done` holds for all, or after `size.drain` seconds."""
        deadline = time.time() + self.size.drain
        while True:
            with contextlib.suppress(RPCError, WorkflowQueryFailedError):
                records = await self.records()
                if all(done(record) for record in records) or time.time() > deadline:
                    return records
            if time.time() > deadline:
                raise RuntimeError("the tickets cannot be read: is the server up?")
            await asyncio.sleep(1.0)

    async def stuck(self, workflow_ids: Iterable[str]) -> list[str]:
        """Workflows whose task failed for a reason of their own, is retrying now, or would fail
        on its next replay (a worker restart, an eviction from the cache): its history no
        longer replays."""
        found = []
        replayer = Replayer(workflows=[TicketWorkflow], data_converter=DATA_CONVERTER)
        for wid in workflow_ids:
            handle = self.temporal.get_workflow_handle(wid)
            history = await handle.fetch_history()
            for event in history.events:
                failed = event.workflow_task_failed_event_attributes
                if (
                    event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
                    and failed.cause not in BENIGN_TASK_FAILURES
                ):
                    cause = WorkflowTaskFailedCause.Name(failed.cause)
                    found.append(f"{wid}: workflow task failed ({cause}): {failed.failure.message}")
                    break
            pending = (await handle.describe()).raw_description.pending_workflow_task
            if pending.attempt > 2:
                found.append(f"{wid}: workflow task retrying (attempt {pending.attempt})")
            replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
            if replayed.replay_failure is not None:
                # The core's message is buried in the failure's repr: "...message: "[TMPRL...".
                said = re.search(r'message: "([^"]+)"', str(replayed.replay_failure))
                why = said[1] if said else str(replayed.replay_failure)[:200]
                found.append(f"{wid}: its history does not replay: {why}")
        return found

    def ledger_attempts(self) -> dict[str, int]:
        """Attempts per notification id, from every ledger the workers wrote: each DATA_DIR's
        SQLite ledger (today) or the records store (once the ledger moves there)."""
        urls = list(self.database_urls)
        for worker in self.workers:
            for name in ("ledger.sqlite3", "records.db"):
                if (worker.data_dir / name).exists():
                    urls.append(f"sqlite:///{worker.data_dir / name}")
        attempts: dict[str, int] = {}
        for url in urls:
            engine = create_engine(url)
            try:
                if not inspect(engine).has_table("notifications"):
                    continue
                with engine.connect() as connection:
                    rows = connection.execute(
                        text("SELECT notification_id, attempts FROM notifications")
                    )
                    for nid, count in rows:
                        attempts[nid] = max(attempts.get(nid, 0), count)
            finally:
                engine.dispose()
        return attempts

    async def conclude(self, records: list[TicketRecord]) -> Figures:
        """Count what the scenario's tickets wanted, what reached the provider, and what stuck."""
        figures = self.figures
        accepted = self.fake.accepted()
        account(figures, records, accepted, self.ledger_attempts())
        if self.windows:
            figures.recovery_to_last_delivery = recovery_to_last_delivery(
                accepted, wanted(records), max(w.ended for w in self.windows)
            )
        deadline_lateness(figures, records, self.windows, time.time(), self.size.margin)
        figures.stuck += await self.stuck(f"ticket-{t}" for t in self.ticket_ids)
        return figures


def escalated_and_delivered(record: TicketRecord) -> bool:
    """A storm ticket is settled: it breached into L4 and every notification has an outcome."""
    return record.level == 4 and all(n.status != "pending" for n in record.notifications)


def storm_ticket(ticket_id: str, index: int) -> TicketInput:
    """A P2 at L3 (system outages) whose text raises nothing: it stays at L3 until it breaches."""
    return TicketInput.model_validate(
        {
            "ticket_id": ticket_id,
            "customer": {"name": f"Customer {index}", "email": f"customer{index}@example.com"},
            "subject": f"Checkout latency in region {index}",
            "description": "Checkout takes several seconds longer than usual.",
            "priority": "P2",
            "category": "system_outages",
        }
    )
