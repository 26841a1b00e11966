"""The worker's Prometheus endpoint, as deployed: `python worker.py` with METRICS_ADDRESS on a
free port, against the dev server and the fake providers, scraped after a real breach."""

import asyncio
import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from metrics.deliveries import DEADLINE_TO_PROVIDER, DELIVERIES
from metrics.open_tickets import OPEN_TICKETS, REFRESH_SECONDS
from starter.client.tickets import TicketHandle, open_ticket
from tests.conftest import ROOT
from tests.fake_providers import FakeProviders
from tests.helpers import eventually, ticket
from tests.procedure_driver import HOUR, MINUTE, Ticket
from tests.stack import edited_policy, free_port, provider_env, spawn, stack_env, stop, wait_polling

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
# Long enough for the worker to be polling and the ticket open before L1's deadline passes.
L1_ACKNOWLEDGMENT = "3s"


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def samples(text: str) -> list[Sample]:
    """The samples of a Prometheus text exposition (comments skipped)."""
    found = []
    for line in text.splitlines():
        if match := SAMPLE.match(line):
            name, labels, value = match.groups()
            found.append(Sample(name, dict(LABEL.findall(labels or "")), float(value)))
    return found


def find(scraped: list[Sample], name: str, **labels: str) -> list[Sample]:
    return [s for s in scraped if s.name == name and labels.items() <= s.labels.items()]


@dataclass
class MetricsWorker:
    url: str
    queue: str
    process: subprocess.Popen[bytes]
    log: Path

    async def scrape(self) -> list[Sample]:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(self.url)
        response.raise_for_status()
        return samples(response.text)

    async def scrape_until(self, name: str, timeout: float, **labels: str) -> list[Sample]:
        """The scrape once a sample of `name` with these labels counts something."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            scraped = await self.scrape()
            if any(s.value > 0 for s in find(scraped, name, **labels)):
                return scraped
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no {name} {labels} within {timeout} s:\n{self.log_text()}")
            await asyncio.sleep(0.2)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def metrics_worker(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[MetricsWorker]:
    """A worker process with live (fake) providers, its metrics on a free port, on a queue of its
    own, whose L1 acknowledgment window is seconds: a P2 ticket breaches it at once."""
    address = dev_env.client.service_client.config.target_host
    port, queue = free_port(), f"metrics-{uuid.uuid4()}"
    tmp_path = tmp_path_factory.mktemp("metrics")
    env = stack_env(address, tmp_path / "data", free_port())
    fake = FakeProviders()
    env.update(
        provider_env(fake.settings()),
        TASK_QUEUE=queue,
        METRICS_ADDRESS=f"127.0.0.1:{port}",
        ESCALATION_POLICY=str(
            edited_policy(
                tmp_path / "policy.toml",
                {'acknowledge_within = "2h"': f'acknowledge_within = "{L1_ACKNOWLEDGMENT}"'},
            )
        ),
    )
    log = tmp_path / "worker.log"
    with fake.running():
        process = spawn(["worker.py"], env, log)
        try:
            await wait_polling(dev_env.client, queue, process, log)
            yield MetricsWorker(f"http://127.0.0.1:{port}/metrics", queue, process, log)
        finally:
            stop(process)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def breached(
    dev_env: WorkflowEnvironment, metrics_worker: MetricsWorker
) -> AsyncIterator[TicketHandle]:
    """A P2 billing question (L1, clocks 24x7) past its L1 acknowledgment deadline: breached
    and handed to L2."""
    handle = await open_ticket(dev_env.client, ticket(priority="P2"), queue=metrics_worker.queue)
    try:
        record = await eventually(handle, lambda r: r.level == 2, timeout=30)
        assert record.breaches, record.timeline
        yield handle
    finally:
        await handle.terminate("test finished")


async def test_a_breach_page_is_measured_from_its_deadline_by_kind(
    metrics_worker: MetricsWorker, breached: TicketHandle
):
    scraped = await metrics_worker.scrape_until(
        f"{DEADLINE_TO_PROVIDER}_count", 30, kind="breach", channel="dashboard"
    )
    buckets = find(scraped, f"{DEADLINE_TO_PROVIDER}_bucket", kind="breach")
    assert {"0.5", "1", "2", "+Inf"} <= {b.labels["le"] for b in buckets}
    # L2 is told of the handoff by email (the fake SendGrid accepted it) and on its dashboard.
    scraped = await metrics_worker.scrape_until(
        f"{DEADLINE_TO_PROVIDER}_count", 30, kind="handoff", channel="email"
    )
    [measured] = find(scraped, f"{DEADLINE_TO_PROVIDER}_count", kind="breach")
    assert measured.labels["activity_type"] == "record_and_send"  # the decision's activity
    assert measured.labels["task_queue"] == metrics_worker.queue


async def test_delivery_outcomes_are_counted_by_channel(
    metrics_worker: MetricsWorker, breached: TicketHandle
):
    scraped = await metrics_worker.scrape_until(DELIVERIES, 30, channel="dashboard", outcome="sent")
    assert find(scraped, DELIVERIES, channel="email", outcome="sent")
    # and the SDK's own metrics share the endpoint
    sdk = "temporal_activity_execution_latency_count"
    assert find(scraped, sdk, activity_type="record_and_send", task_queue=metrics_worker.queue)
    assert find(
        scraped, "temporal_workflow_task_execution_latency_count", workflow_type="TicketWorkflow"
    )


async def test_open_tickets_are_counted_by_level(
    metrics_worker: MetricsWorker, breached: TicketHandle
):
    scraped = await metrics_worker.scrape_until(OPEN_TICKETS, REFRESH_SECONDS * 3, level="2")
    by_level = {s.labels["level"]: s.value for s in find(scraped, OPEN_TICKETS)}
    assert by_level == {"1": 0, "2": 1, "3": 0, "4": 0}


def start_worker(address: str) -> subprocess.CompletedProcess[str]:
    """`python worker.py` with this METRICS_ADDRESS, against no server: it stops before dialling."""
    return subprocess.run(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env={**os.environ, "METRICS_ADDRESS": address, "TEMPORAL_ADDRESS": "127.0.0.1:1"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("address", ["9464", "127.0.0.1:metrics", "127.0.0.1:70000"])
def test_the_worker_stops_at_start_on_a_bad_metrics_address(address: str):
    result = start_worker(address)
    assert result.returncode != 0
    assert f"METRICS_ADDRESS {address!r} is not host:port" in result.stderr


def test_the_worker_stops_at_start_when_its_metrics_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        result = start_worker(address)
    assert result.returncode != 0
    assert f"METRICS_ADDRESS {address}: " in result.stderr
    assert "in use" in result.stderr


def test_pages_a_passed_deadline_sends_carry_its_due_instant():
    """The instant the histogram measures from: the breach's own `due`, on the breach alert and
    the handoff it causes; a message no deadline sent carries none."""
    t = Ticket(priority="P2")
    t.wait(HOUR + MINUTE)  # P2's response window
    [breach] = t.record.breaches
    assert (breach.level, breach.due) == (1, t.record.timeline[0].at + HOUR)
    [alert] = t.messages("sla_breach")
    assert alert.due == breach.due
    assert {m.due for m in t.messages("handoff")} == {breach.due}
    opened = t.messages("new_ticket")  # email and dashboard
    assert opened and all(m.due is None and "due" not in m.model_dump() for m in opened)
