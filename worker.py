"""Worker: runs TicketWorkflow and its activities on the `support-escalation` task queue."""

import asyncio
import logging
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.notifications import NotificationActivities, NotificationSender, OutboxSender
from activities.outbox import Outbox
from activities.policy import PolicyActivities
from activities.records import RecordActivities
from contract import task_queue
from policy import EscalationPolicy, PolicyError, load_policy
from starter.connection import connect
from workflows.ticket import TicketWorkflow

log = logging.getLogger("worker")


def data_dir() -> Path:
    return Path(os.environ.get("DATA_DIR", ".data"))


def build_worker(
    client: Client,
    policy: EscalationPolicy,
    queue: str,
    outbox: Outbox,
    executor: ThreadPoolExecutor,
    sender: NotificationSender | None = None,
    **tuning: Any,
) -> Worker:
    """The worker with every workflow and activity of the service; tests build theirs here too.

    `sender` replaces the outbox as the delivery backend (the benchmark records hand-off times);
    `tuning` goes to `Worker` as is (max_cached_workflows, max_concurrent_workflow_tasks, ...)."""
    notifications = NotificationActivities(sender or OutboxSender(outbox))
    records = RecordActivities(outbox)
    return Worker(
        client,
        task_queue=queue,
        workflows=[TicketWorkflow],
        activities=[
            PolicyActivities(policy).current_policy,
            notifications.send_notification,
            records.record_handoff,
        ],
        activity_executor=executor,
        graceful_shutdown_timeout=timedelta(seconds=10),
        **tuning,
    )


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        policy = load_policy()
    except PolicyError as err:
        sys.exit(f"worker: cannot start: {err}")
    client = await connect()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with ThreadPoolExecutor(max_workers=32) as executor:
        worker = build_worker(client, policy, task_queue(), Outbox(data_dir() / "outbox"), executor)
        log.info(
            "worker: task queue %s, policy %r, channels: outbox only", task_queue(), policy.name
        )
        async with worker:
            await stop.wait()
            log.info("worker: stopping gracefully")


if __name__ == "__main__":
    asyncio.run(main())
