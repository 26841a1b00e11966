"""The worker under test, in a process of its own: its RSS is the worker's alone, and the
bench's clients do not share its event loop or GIL (in production they are other programs).

    python -m bench.worker_process --target HOST:PORT --queue Q --kind ticket|minimal ...

Prints `ready` once polling, runs until SIGTERM."""

import argparse
import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.worker import (
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    UnsandboxedWorkflowRunner,
    Worker,
)

from activities.outbox import Outbox
from bench.gc_pauses import GC_PAUSES_FILE, GcPauses
from bench.minimal_workflow import MinimalLifecycleWorkflow, minimal_effect, minimal_ready
from bench.recorder import RecordingSender
from channel.settings import ChannelSettings
from channel.tokens import MIN_SECRET_CHARS, TokenKeys
from contract.payloads import DATA_CONVERTER
from policy import load_policy
from policy.models import EscalationPolicy
from store.database import create_store_engine
from store.setup import prepare_store
from worker import ACTIVITY_THREADS, build_worker, freeze_start_up_objects

# The customer channel on, as in production: emails carry reply addresses, surveys their links.
BENCH_CHANNEL = ChannelSettings(
    TokenKeys.from_secrets("bench-" + "x" * MIN_SECRET_CHARS),
    inbound_domain="support.example.com",
    public_url="https://support.example.com",
)


@dataclass(frozen=True)
class Tuning:
    """The worker knobs the bench varies; None keeps the SDK's default."""

    activity_threads: int = ACTIVITY_THREADS  # as worker.py runs
    max_cached_workflows: int | None = None  # SDK default 1000: the sticky cache
    max_concurrent_workflow_tasks: int | None = None
    max_concurrent_activities: int | None = ACTIVITY_THREADS  # as worker.py runs
    # Measures what the sandbox costs (it re-imports the workflow module per ticket it loads);
    # not a recommendation: the sandbox is what catches non-determinism.
    unsandboxed: bool = False
    # Concurrent workflow-task polls (SDK: at most 5); 0 lets the SDK scale them (1..100).
    workflow_pollers: int | None = None
    gc_freeze: bool = True  # worker.py freezes its start-up objects

    def args(self) -> list[str]:
        out = ["--activity-threads", str(self.activity_threads)]
        out += ["--unsandboxed"] if self.unsandboxed else []
        out += [] if self.gc_freeze else ["--no-gc-freeze"]
        if self.workflow_pollers is not None:
            out += ["--workflow-pollers", str(self.workflow_pollers)]
        for flag, value in (
            ("--max-cached-workflows", self.max_cached_workflows),
            ("--max-concurrent-workflow-tasks", self.max_concurrent_workflow_tasks),
            ("--max-concurrent-activities", self.max_concurrent_activities),
        ):
            if value is not None:
                out += [flag, str(value)]
        return out

    def worker_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "max_cached_workflows": self.max_cached_workflows,
            "max_concurrent_workflow_tasks": self.max_concurrent_workflow_tasks,
            "max_concurrent_activities": self.max_concurrent_activities,
            "workflow_runner": UnsandboxedWorkflowRunner() if self.unsandboxed else None,
            "workflow_task_poller_behavior": self._pollers(),
        }
        return {key: value for key, value in options.items() if value is not None}

    def _pollers(self) -> PollerBehaviorSimpleMaximum | PollerBehaviorAutoscaling | None:
        if self.workflow_pollers is None:
            return None
        if self.workflow_pollers == 0:
            return PollerBehaviorAutoscaling()
        return PollerBehaviorSimpleMaximum(maximum=self.workflow_pollers)

    def describe(self) -> dict[str, Any]:
        return {
            "activity_threads": self.activity_threads,
            "max_cached_workflows": self.max_cached_workflows or 1000,
            "max_concurrent_workflow_tasks": self.max_concurrent_workflow_tasks or 100,
            "max_concurrent_activities": self.max_concurrent_activities or 100,
            "sandboxed": not self.unsandboxed,
            "gc_freeze": self.gc_freeze,
            "workflow_pollers": "autoscaling"
            if self.workflow_pollers == 0
            else self.workflow_pollers or 5,
        }

    @staticmethod
    def add_flags(parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("worker tuning (defaults: what worker.py uses)")
        group.add_argument("--activity-threads", type=int, default=ACTIVITY_THREADS)
        group.add_argument("--max-cached-workflows", type=int, help="sticky cache (SDK: 1000)")
        group.add_argument("--max-concurrent-workflow-tasks", type=int, help="(SDK: 100)")
        group.add_argument(
            "--max-concurrent-activities",
            type=int,
            default=ACTIVITY_THREADS,
            help="(SDK: 100; worker.py: its thread count)",
        )
        group.add_argument("--unsandboxed", action="store_true", help="measure sandbox cost")
        group.add_argument(
            "--no-gc-freeze",
            dest="gc_freeze",
            action="store_false",
            help="leave start-up objects in the collector's scans (measures the freeze)",
        )
        group.add_argument(
            "--workflow-pollers", type=int, help="workflow-task polls (SDK: 5; 0: autoscaling)"
        )

    @classmethod
    def from_flags(cls, args: argparse.Namespace) -> "Tuning":
        # The flags are named after the fields (--max-cached-workflows: max_cached_workflows).
        return cls(**{knob.name: getattr(args, knob.name) for knob in fields(cls)})


def bench_policy(
    l1_acknowledgment_seconds: float | None, follow_up_seconds: float | None = None
) -> EscalationPolicy:
    """The shipped policy, with L1's acknowledgment window shortened for the breach bench and
    nothing else: the escalation that follows a breach starts L2's real 1 h clocks, so no
    later deadline (L2's breach, realerts) loads the machine while breaches are measured. Every
    clock runs 24x7: the bench measures the machine, at whatever hour it runs, not the calendar."""
    policy = load_policy(time_scale=1).around_the_clock()
    if follow_up_seconds:  # a closed ticket's workflow ends after it: its result joins the history
        policy = policy.model_copy(
            update={"follow_up_window": timedelta(seconds=follow_up_seconds)}
        )
    if not l1_acknowledgment_seconds:
        return policy
    window = timedelta(seconds=l1_acknowledgment_seconds)
    level_1 = policy.levels[1].model_copy(update={"acknowledge_within": window})
    return policy.model_copy(update={"levels": {**policy.levels, 1: level_1}})


def _build(
    args: argparse.Namespace, client: Client, tuning: Tuning, executor: ThreadPoolExecutor
) -> Worker:
    if args.kind == "ticket":
        data = Path(args.data_dir)
        engine = create_store_engine(f"sqlite:///{data / 'records.db'}")
        prepare_store(engine)
        recorder = RecordingSender(Path(args.record))
        return build_worker(
            client,
            bench_policy(args.l1_acknowledgment_seconds, args.follow_up_seconds),
            args.queue,
            Outbox(data / "outbox"),
            executor,
            engine,
            channels=dict.fromkeys(("email", "sms", "phone", "dashboard"), recorder),
            customer_channel=BENCH_CHANNEL,
            **tuning.worker_options(),
        )
    # The baseline gets exactly the settings build_worker gives the ticket worker.
    return Worker(
        client,
        task_queue=args.queue,
        workflows=[MinimalLifecycleWorkflow],
        activities=[minimal_ready, minimal_effect],
        activity_executor=executor,
        graceful_shutdown_timeout=timedelta(seconds=10),
        **tuning.worker_options(),
    )


async def main(args: argparse.Namespace) -> None:
    tuning = Tuning.from_flags(args)
    pauses = GcPauses()
    pauses.install()
    client = await Client.connect(args.target, data_converter=DATA_CONVERTER)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with ThreadPoolExecutor(max_workers=tuning.activity_threads) as executor:
        async with _build(args, client, tuning, executor):
            if tuning.gc_freeze:
                freeze_start_up_objects()
            print("ready", flush=True)
            await stop.wait()
    data = Path(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    pauses.write(data / GC_PAUSES_FILE)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--kind", choices=["ticket", "minimal"], default="ticket")
    parser.add_argument(
        "--l1-acknowledgment-seconds", type=float, help="shorten this one window (breach bench)"
    )
    parser.add_argument(
        "--follow-up-seconds", type=float, help="shorten the follow-up window (cost lifecycle)"
    )
    parser.add_argument("--record", default="/dev/null")
    parser.add_argument("--data-dir", default=".data/bench")
    Tuning.add_flags(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
