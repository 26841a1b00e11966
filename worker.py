"""Worker: runs TicketWorkflow and its activities on the `support-escalation` task queue."""

import asyncio
import compileall
import contextlib
import functools
import gc
import inspect
import logging
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.customer_links import CustomerLinks
from activities.decisions import DecisionActivities
from activities.delivery import ChannelSender, NotificationDelivery, provider_channels
from activities.knowledge_base import KnowledgeBaseActivities
from activities.notifications import NotificationActivities
from activities.outbox import Outbox
from activities.policy import PolicyActivities
from activities.provider_settings import ProviderSettings, SettingsError
from activities.review import ReviewActivities, review_recipients
from channel.settings import ChannelSettings, ChannelSettingsError
from channel.settings import describe as describe_channel
from contract import task_queue
from metrics.exporter import MetricsSettingsError, metrics_address, prometheus_runtime
from metrics.open_tickets import counting_open_tickets
from policy import EscalationPolicy, PolicyError, load_policy
from policy.versions import VERSIONS
from store.database import create_store_engine, data_dir
from store.inputs import stored_policy
from store.kb import KnowledgeBase, articles_url
from store.ledger import NotificationLedger
from store.records import RecordStore
from store.setup import prepare_store
from temporal_setup.connection import connect
from temporal_setup.review_schedule import ensure_review_schedule
from temporal_setup.search_attributes import register_search_attributes
from workflows.review import EscalationReviewWorkflow
from workflows.ticket import TicketWorkflow

log = logging.getLogger("worker")
ACTIVITY_THREADS = 32
WORKFLOWS_DIR = Path(inspect.getfile(TicketWorkflow)).parent


def precompile_workflows() -> None:
    """The sandbox imports workflows/ afresh for every ticket it loads. Without bytecode on disk
    (PYTHONDONTWRITEBYTECODE, a fresh checkout, an edited file) it compiles the source each
    time: a third of the workflow thread's time at intake in the benchmark. Written once, read
    after."""
    if not compileall.compile_dir(WORKFLOWS_DIR, quiet=2):
        log.warning("no bytecode written for %s: each ticket loaded compiles it", WORKFLOWS_DIR)


def freeze_start_up_objects() -> None:
    """Take what start-up created (modules, schemas, the SDK's protos) out of the collector's
    scans: a full collection walks every tracked object while holding the GIL, and in the
    benchmark its pauses (0.5 s and more with 1,000 cached tickets) made the p99 of pages."""
    gc.collect()
    gc.freeze()


def build_worker(
    client: Client,
    policy: EscalationPolicy,
    queue: str,
    outbox: Outbox,
    executor: ThreadPoolExecutor,
    engine: Engine,
    providers: ProviderSettings | None = None,
    ledger: NotificationLedger | None = None,
    channels: dict[str, ChannelSender] | None = None,
    customer_channel: ChannelSettings | None = None,
    **tuning: Any,
) -> Worker:
    """The worker with every workflow and activity of the service; tests build theirs here too.

    Without providers every channel falls back to the outbox; the notification ledger is in the
    records database unless another is given. `channels` replaces the providers' senders (the
    benchmark records hand-off times); `customer_channel` mints the reply addresses and survey
    links of customer emails (None: emails go without them); `tuning` goes to `Worker` as is
    (max_cached_workflows, ...)."""
    precompile_workflows()
    delivery = NotificationDelivery(
        policy.delivery,
        ledger or NotificationLedger(engine),
        channels
        if channels is not None
        else provider_channels(providers or ProviderSettings(), policy.delivery),
        outbox,
        CustomerLinks(customer_channel),
    )
    notifications = NotificationActivities(delivery)
    decisions = DecisionActivities(RecordStore(engine), delivery)
    # Where this worker reads the policy versions that tickets opened elsewhere run under.
    VERSIONS.add_source(str(engine.url), functools.partial(stored_policy, engine))
    knowledge_base = KnowledgeBaseActivities(KnowledgeBase(engine, articles_url()))
    review = ReviewActivities(engine, delivery, review_recipients(), policy)
    return Worker(
        client,
        task_queue=queue,
        workflows=[TicketWorkflow, EscalationReviewWorkflow],
        activities=[
            PolicyActivities(policy).current_policy_id,
            decisions.record_and_send,
            notifications.send_notification,
            notifications.send_digest,
            knowledge_base.search_knowledge_base,
            review.record_review,
            review.email_review,
        ],
        activity_executor=executor,
        graceful_shutdown_timeout=timedelta(seconds=10),
        **tuning,
    )


async def ensure_search_attributes(client: Client) -> None:
    """Tickets upsert the contract's search attributes; one the namespace lacks would fail their
    workflow tasks until it is added, so a new worker adds what an upgrade brought."""
    try:
        added = await register_search_attributes(client)
    except RPCError as err:  # e.g. an API key without operator rights: `starter init` by an admin
        log.warning("worker: cannot check the search attributes (%s); run `starter init`", err)
        return
    if added:
        log.info("worker: registered search attributes %s", ", ".join(added))


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Twilio's client logs every request at INFO; our delivery log says what matters.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    try:
        policy = load_policy()
        providers = ProviderSettings.from_env()
        customer_channel = ChannelSettings.from_env()
        metrics_at = metrics_address()
        runtime = prometheus_runtime(metrics_at) if metrics_at else None
    except (PolicyError, SettingsError, ChannelSettingsError, MetricsSettingsError) as err:
        sys.exit(f"worker: cannot start: {err}")
    engine = create_store_engine()
    try:
        articles = prepare_store(engine)
    except SQLAlchemyError as err:
        sys.exit(f"worker: cannot start: records database {engine.url!r}: {err}")
    client = await connect(runtime)
    await ensure_search_attributes(client)
    # Here as well as in `init`: compose deployments run no `init`; creating it twice is a no-op.
    if await ensure_review_schedule(client, policy.team_zone):
        log.info("worker: created the weekly escalation review schedule")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        outbox = Outbox(data_dir() / "outbox")
        # No more activities accepted than threads to run them: a task waiting for a thread
        # would spend its start-to-close timeout in the queue (the benchmark saw intake
        # searches time out that way).
        worker = build_worker(
            client,
            policy,
            task_queue(),
            outbox,
            executor,
            engine,
            providers,
            customer_channel=customer_channel,
            max_concurrent_activities=ACTIVITY_THREADS,
        )
        channels = ", ".join(f"{name} -> {via}" for name, via in providers.channels().items())
        log.info(
            "worker: task queue %s, policy %r, records %r (%d articles), channels: %s",
            task_queue(),
            policy.name,
            engine.url,
            articles,
            channels,
        )
        log.info("worker: %s", describe_channel(customer_channel))
        counting: contextlib.AbstractAsyncContextManager[None] = contextlib.nullcontext()
        if runtime is not None:
            log.info("worker: Prometheus metrics on http://%s/metrics", metrics_at)
            meter, levels = runtime.metric_meter, sorted(policy.levels)
            counting = counting_open_tickets(client, meter, task_queue(), levels)
        freeze_start_up_objects()
        async with worker, counting:
            await stop.wait()
            log.info("worker: stopping gracefully")


if __name__ == "__main__":
    asyncio.run(main())
