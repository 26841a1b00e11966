"""Workers as their own processes (`python worker.py`), live against the fake provider, so that
a test can kill one with SIGKILL in the middle of a delivery."""

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from policy.loader import DEFAULT_POLICY_FILE
from tests.fake_providers import FakeProviders
from tests.stack import ROOT

QUICK = {
    "http_timeout_seconds = 10": "http_timeout_seconds = 1",
    "attempt_timeout_seconds = 30": "attempt_timeout_seconds = 3",
}


def quick_policy(path: Path, changes: Mapping[str, str] | None = None) -> Path:
    """The shipped policy with a 3 s delivery attempt, so a dead worker's attempt ends soon, and
    these further exact text changes."""
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    for old, new in {**QUICK, **(changes or {})}.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


def worker_env(
    fake: FakeProviders,
    queue: str,
    data_dir: Path,
    address: str,
    *,
    policy: Path | None = None,
    via: str = "",
    email: bool = True,
    database_url: str | None = None,
) -> dict[str, str]:
    """A worker's environment: Twilio (and SendGrid, unless email=False) live against the fake,
    requests marked with `via`, records in database_url (default: DATA_DIR/records.db)."""
    settings = fake.settings(via=via)
    assert settings.sendgrid and settings.twilio
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TEMPORAL_API_KEY", "DATABASE_URL") and not k.startswith("SENDGRID_")
    }
    env.update(
        TEMPORAL_ADDRESS=address,
        TEMPORAL_NAMESPACE="default",
        TASK_QUEUE=queue,
        DATA_DIR=str(data_dir),
        ESCALATION_POLICY=str(policy or quick_policy(data_dir.parent / "policy.toml")),
        ESCALATION_TIME_SCALE="1",
        NO_PROXY="127.0.0.1,localhost",
        TWILIO_ACCOUNT_SID=settings.twilio.account_sid,
        TWILIO_AUTH_TOKEN=settings.twilio.auth_token,
        TWILIO_FROM_NUMBER=settings.twilio.from_number,
        TWILIO_API_BASE_URL=settings.twilio.base_url,
        API_PUBLIC_URL=str(settings.public_api_url),
    )
    if email:
        env.update(
            SENDGRID_API_KEY=settings.sendgrid.api_key,
            SENDGRID_FROM_EMAIL=settings.sendgrid.from_email,
            SENDGRID_API_HOST=settings.sendgrid.host,
        )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


async def worker_process(env: Mapping[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("w") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "worker.py"), env=dict(env), stdout=out, stderr=out
        )


async def wait_pollers(client: Client, queue: str, count: int, timeout: float = 60) -> None:
    """Until `count` workers poll the queue for workflow tasks."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    for _ in range(int(timeout / 0.1)):
        try:
            described = await client.workflow_service.describe_task_queue(request)
        except RPCError as err:
            # A dev server on busy cores sometimes cancels a describe call: ask again.
            if err.status not in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
                raise
        else:
            if len({poller.identity for poller in described.pollers}) >= count:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} workers polling {queue} within {timeout}s")
