"""The service as it runs in production, as processes: `python worker.py` and
`python -m starter api` (uvicorn) against the session's dev server; the chaos suite
(`bench/chaos/`) runs them the same way."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from activities.provider_settings import ProviderSettings
from policy.loader import DEFAULT_POLICY_FILE
from tests.sendgrid_signing import PUBLIC_KEY as SENDGRID_EVENT_KEY

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "test-key-0123456789"
TWILIO_TOKEN = "test-twilio-auth-token"
CHANNEL_SECRET = "test-channel-secret-0123456789abcdef"
INBOUND_DOMAIN = "reply.example.test"
INBOUND_USER = "sendgrid"
INBOUND_PASSWORD = "test-inbound-password"
STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    temporal_address: str
    api_url: str
    ui_url: str
    env: dict[str, str]  # what the processes (and the documented examples) run with


def stack_env(temporal_address: str, data_dir: Path, api_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "API_"))}
    env.update(
        TEMPORAL_ADDRESS=temporal_address,
        TEMPORAL_NAMESPACE="default",
        TASK_QUEUE="support-escalation",  # the documented queue: the docs' examples run as written
        DATA_DIR=str(data_dir),
        ESCALATION_TIME_SCALE="1",
        API_HOST="127.0.0.1",
        API_PORT=str(api_port),
        API_KEYS=API_KEY,
        API_PUBLIC_URL=f"http://127.0.0.1:{api_port}",  # survey links lead back to this API
        TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        CHANNEL_SECRET=CHANNEL_SECRET,
        CHANNEL_INBOUND_DOMAIN=INBOUND_DOMAIN,
        SENDGRID_INBOUND_USER=INBOUND_USER,
        SENDGRID_INBOUND_PASSWORD=INBOUND_PASSWORD,
        SENDGRID_EVENT_PUBLIC_KEY=SENDGRID_EVENT_KEY,
        NO_PROXY="127.0.0.1,localhost",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


def provider_env(settings: ProviderSettings) -> dict[str, str]:
    """The worker's SendGrid and Twilio variables for these settings (the local fake's)."""
    assert settings.sendgrid and settings.twilio
    return {
        "SENDGRID_API_KEY": settings.sendgrid.api_key,
        "SENDGRID_FROM_EMAIL": settings.sendgrid.from_email,
        "SENDGRID_API_HOST": settings.sendgrid.host,
        "TWILIO_ACCOUNT_SID": settings.twilio.account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio.auth_token,
        "TWILIO_FROM_NUMBER": settings.twilio.from_number,
        "TWILIO_API_BASE_URL": settings.twilio.base_url,
    }


def edited_policy(path: Path, replacements: dict[str, str]) -> Path:
    """The shipped policy file with these lines changed (each must occur exactly once), written
    to path: for ESCALATION_POLICY."""
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert text.count(old) == 1, f"{old!r} is not in the shipped policy exactly once"
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"API exited ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"API not healthy within {STARTUP_TIMEOUT}s:\n{log.read_text()}")


async def wait_polling(
    client: Client, queue: str, process: subprocess.Popen[bytes], log: Path
) -> None:
    """Until this worker process polls its queue (a poller with its pid in the SDK's default
    identity `pid@host`; a killed one stays listed for a while): commands sent before would find
    a ticket still opening when its first task and the commands' meet in one activation."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited ({process.returncode}):\n{log.read_text()}")
        pollers = (await client.workflow_service.describe_task_queue(request)).pollers
        if any(poller.identity.startswith(f"{process.pid}@") for poller in pollers):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"worker not polling within {STARTUP_TIMEOUT}s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
