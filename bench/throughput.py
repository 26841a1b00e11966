"""Lifecycle throughput: M lifecycles by concurrent clients, TicketWorkflow then the baseline,
each on a fresh worker process with the same settings, against the same server."""

import asyncio
import time
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from bench.cost import history_cost, mismatches
from bench.lifecycle import (
    COST_STEPS,
    FOLLOW_UP_SECONDS,
    LIFECYCLE_STEPS,
    bench_ticket,
    run_lifecycle,
)
from bench.minimal_workflow import MINIMAL_WORKFLOW, MinimalInput
from bench.processes import child_pid, cpu_seconds, worker_process
from bench.server import target_of
from bench.stats import summarize
from bench.worker_process import Tuning
from contract import WORKFLOW_TYPE


async def _drive(
    env: WorkflowEnvironment,
    workflow_type: str,
    queue: str,
    prefix: str,
    count: int,
    concurrency: int,
    arg: Any,
) -> tuple[float, list[float]]:
    """Seconds for `count` lifecycles with `concurrency` clients, and each lifecycle's seconds."""
    pending = iter(range(count))
    durations: list[float] = []

    async def client() -> None:
        for index in pending:
            began = time.perf_counter()
            ticket = bench_ticket(f"{prefix}-{index:06d}")
            await run_lifecycle(env.client, workflow_type, ticket, queue, LIFECYCLE_STEPS, arg)
            durations.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - began, durations


async def _measure(
    env: WorkflowEnvironment,
    kind: str,
    workflow_type: str,
    lifecycles: int,
    concurrency: int,
    tuning: Tuning,
    workdir: Path,
    arg: Any = None,
) -> dict[str, Any]:
    """`arg`: the workflow's input instead of the bench ticket (the baseline's)."""
    queue = f"bench-{kind}"
    async with worker_process(
        target_of(env), queue, kind, tuning, workdir / kind, follow_up_seconds=FOLLOW_UP_SECONDS
    ) as pid:
        cost_handle = await run_lifecycle(
            env.client,
            workflow_type,
            bench_ticket(f"{kind}-cost"),
            queue,
            COST_STEPS,
            arg,
            until_ended=True,
        )
        cost = await history_cost(cost_handle)
        # Warm-up: imports, sandbox and connections settle before the clock starts.
        warm_up = min(50, lifecycles)
        await _drive(env, workflow_type, queue, f"{kind}-warm", warm_up, concurrency, arg)
        server = child_pid("temporal")
        before = (cpu_seconds(pid), cpu_seconds(server) if server else 0.0)
        elapsed, durations = await _drive(
            env, workflow_type, queue, f"{kind}-run", lifecycles, concurrency, arg
        )
        after = (cpu_seconds(pid), cpu_seconds(server) if server else 0.0)
        measured = await history_cost(env.client.get_workflow_handle(f"ticket-{kind}-run-000000"))
    return {
        "lifecycles": lifecycles,
        "seconds": elapsed,
        "per_second": lifecycles / elapsed,
        "lifecycle_seconds": summarize(durations).as_dict(),
        "cpu_ms_per_lifecycle": {
            "worker": (after[0] - before[0]) * 1000 / lifecycles,
            "server": (after[1] - before[1]) * 1000 / lifecycles,
        },
        "cost": cost,
        "lifecycle_history": measured,
    }


async def lifecycle_throughput(
    env: WorkflowEnvironment, lifecycles: int, concurrency: int, tuning: Tuning, workdir: Path
) -> dict[str, Any]:
    ours = await _measure(env, "ticket", WORKFLOW_TYPE, lifecycles, concurrency, tuning, workdir)
    # The baseline runs as many activities after each action as a ticket's lifecycle did.
    spec = MinimalInput(activities_after=ours["lifecycle_history"]["activities_by_action"])
    minimal = await _measure(
        env, "minimal", MINIMAL_WORKFLOW, lifecycles, concurrency, tuning, workdir, spec
    )
    return {
        "concurrency": concurrency,
        "steps": ["open", *(name for name, _ in LIFECYCLE_STEPS), "close"],
        "ours": ours,
        "minimal": minimal,
        "ratio": ours["per_second"] / minimal["per_second"],
        # The same ratio from CPU (worker + server per lifecycle): what it would be on a
        # CPU-bound machine, and far steadier than wall time when other programs load it.
        "cpu_ratio": sum(minimal["cpu_ms_per_lifecycle"].values())
        / sum(ours["cpu_ms_per_lifecycle"].values()),
        "baseline_mismatches": mismatches(ours["lifecycle_history"], minimal["lifecycle_history"]),
    }
