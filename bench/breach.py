"""Breach to page: N open tickets whose L1 acknowledgment deadlines come at a steady rate.

Tickets are opened at `rate` a second, so their deadlines (opening + L1's acknowledgment window,
the one window the bench shortens) arrive at that rate too: N / rate seconds of deadlines, once
every ticket is open.

For each ticket: from its deadline instant (`deadlines.acknowledgment` in its status, read once
intake is over; the breach records the same instant as `breaches[].due`) to the moment the
notification activity hands the `sla_breach` dashboard page, and the L2 handoff page, to the
sender, as the bench's RecordingSender records it in the worker process (wall clock: server,
worker and bench share this machine's clock). The L2 clocks a breach starts are the policy's
real ones (an hour and more), so no later deadline loads the machine while breaches run."""

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from bench.gc_pauses import GC_PAUSES_FILE, read_pauses
from bench.latency_split import timer_split
from bench.lifecycle import bench_ticket, start
from bench.processes import child_pid, cpu_seconds, rss_mib, worker_process
from bench.recorder import read_records
from bench.server import target_of
from bench.stats import summary_dict
from bench.worker_process import Tuning
from contract import WORKFLOW_TYPE

CLIENTS = 32  # concurrent client calls while opening and reading back
STALL = 60.0  # seconds without progress before the bench gives up waiting
SETTLE = 30.0  # seconds between the last ticket opened and the first deadline


@dataclass(frozen=True)
class Page:
    ticket_id: str
    kind: str
    level: str
    handed_at: float


def pages(path: Path) -> list[Page]:
    """Recorded notifications; ids are `ticket:seq:kind:Llevel:channel:audience`."""
    out = []
    for notification_id, handed_at in read_records(path).items():
        ticket_id, _seq, kind, level, _channel, _audience = notification_id.rsplit(":", 5)
        out.append(Page(ticket_id, kind, level, handed_at))
    return out


def count(path: Path, kind: str, level: str) -> int:
    return sum(1 for page in pages(path) if page.kind == kind and page.level == level)


async def _wait_for(
    path: Path, kind: str, level: str, wanted: int, until: float, due: float = 0.0
) -> int:
    """Pages of this kind once `wanted` are in, at `until`, or after STALL seconds without one
    (counted from `due`, the first instant one is expected)."""
    seen, progressed = 0, max(time.time(), due)
    while seen < wanted and time.time() < until:
        await asyncio.sleep(0.25)
        now_seen = count(path, kind, level)
        if now_seen > seen:
            seen, progressed = now_seen, time.time()
        elif time.time() - progressed > STALL:
            # A worker that stops paging (overloaded, or stuck as it once was on its own
            # stdout: bench/README.md) must not hold the bench forever.
            print(f"bench: no {kind} page for {STALL} s, {seen}/{wanted}: worker stalled?")
            break
    return seen


def opened_tickets(path: Path) -> list[str]:
    return sorted({page.ticket_id for page in pages(path) if page.kind == "new_ticket"})


async def _gather_limited(calls: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(CLIENTS)

    async def limited(call: Any) -> Any:
        async with gate:
            return await call

    return await asyncio.gather(*(limited(call) for call in calls))


async def _open_paced(client: Client, ticket_ids: list[str], rate: float, queue: str) -> None:
    """Start ticket i at i / rate seconds: a steady arrival, as deadlines arrive in production."""
    began = time.monotonic()

    async def one(index: int, ticket_id: str) -> None:
        await asyncio.sleep(max(0.0, began + index / rate - time.monotonic()))
        await start(client, WORKFLOW_TYPE, bench_ticket(ticket_id, "P4"), queue)

    await asyncio.gather(*(one(index, ticket_id) for index, ticket_id in enumerate(ticket_ids)))


def window_for(tickets: int, rate: float) -> float:
    """Opening takes tickets / rate seconds; the first deadline comes SETTLE seconds after the
    last ticket opened, so intake is over and the breaches are measured alone."""
    return tickets / rate + SETTLE


async def _deadlines(client: Client, ticket_ids: list[str]) -> dict[str, float]:
    """Each open ticket's acknowledgment deadline, read while the worker waits for it."""

    async def one(ticket_id: str) -> tuple[str, float]:
        record = await _query_status(client, ticket_id)
        return ticket_id, _instant(record["deadlines"]["acknowledgment"])

    return dict(await _gather_limited([one(ticket_id) for ticket_id in ticket_ids]))


async def _query_status(client: Client, ticket_id: str, attempts: int = 5) -> Any:
    """A loaded machine may time a query out: ask again."""
    for attempt in range(attempts):
        try:
            return await client.get_workflow_handle(f"ticket-{ticket_id}").query("status")
        except RPCError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(2**attempt)
    raise AssertionError("unreachable")


def _instant(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


async def breach_latency(
    env: WorkflowEnvironment, tickets: int, rate: float, tuning: Tuning, workdir: Path
) -> dict[str, Any]:
    window = window_for(tickets, rate)
    # Each run its own ledger and records: the ticket ids repeat from run to run, and a ledger
    # that remembers a run's pages would (rightly) not send them again.
    workdir = workdir / f"breach-{tickets}-at-{rate:g}"
    workdir.mkdir(parents=True, exist_ok=True)
    record = workdir / "pages.log"
    ticket_ids = [f"B-{index:06d}" for index in range(tickets)]
    queue = "bench-breach"
    async with worker_process(
        target_of(env), queue, "ticket", tuning, workdir, record, window
    ) as pid:
        server = child_pid("temporal")

        def cpu() -> dict[str, float]:
            return {"worker": cpu_seconds(pid), "server": cpu_seconds(server) if server else 0.0}

        idle_rss, idle_cpu = rss_mib(pid), cpu()
        opening_began = time.time()
        await _open_paced(env.client, ticket_ids, rate, queue)
        # Intake is done when every ticket has paged its L1 team about the new ticket.
        opened = await _wait_for(record, "new_ticket", "L1", tickets, opening_began + window)
        opening_ended = time.time()
        if opened < tickets:
            # Intake fell behind the rate: deadlines would fall while tickets still open.
            return {
                "tickets": tickets,
                "rate_per_second": rate,
                "opened": opened,
                "overloaded": True,
            }
        open_rss, opened_cpu = rss_mib(pid), cpu()
        server_rss = rss_mib(server) if server else None
        deadlines = await _deadlines(env.client, opened_tickets(record))
        read_back = time.time()
        last_due = max(deadlines.values())
        first_due = min(deadlines.values())
        paged = await _wait_for(record, "sla_breach", "L1", tickets, last_due + 300, first_due)
        await _wait_for(record, "handoff", "L2", paged, time.time() + 30)
        paged_cpu = cpu()
    # The worker is gone: later deadlines (L2, realerts) no longer load the machine.
    try:
        split = await asyncio.wait_for(timer_split(env.client, deadlines, _gather_limited), 120)
    except (TimeoutError, RuntimeError, RPCError) as err:  # a stalled run may lack the events
        print(f"bench: latency split not measured: {err!r}")
        split = {}
    return _latencies(record, deadlines) | {
        "tickets": tickets,
        "rate_per_second": rate,
        "window_seconds": window,
        "opened": opened,
        "opening_seconds": opening_ended - opening_began,
        "quiet_before_first_deadline": read_back < min(deadlines.values()),
        "paged": paged,
        "missing_pages": tickets - paged,
        "stalled": paged < opened,
        **{name: summary_dict(values) for name, values in split.items()},
        "worker_gc_pauses_seconds": read_pauses(workdir / GC_PAUSES_FILE),
        "rss_mib": {
            "worker_idle": idle_rss,
            "worker_with_open_tickets": open_rss,
            "worker_per_open_ticket_kib": (open_rss - idle_rss) * 1024 / tickets,
            "server_with_open_tickets": server_rss,
        },
        "max_cached_workflows": tuning.max_cached_workflows or 1000,
        # CPU per ticket is what load from other programs moves least: compare runs on it.
        "cpu_ms_per_ticket": {
            process: {
                "intake": (opened_cpu[process] - idle_cpu[process]) * 1000 / tickets,
                "breach_and_handoff": (paged_cpu[process] - opened_cpu[process]) * 1000 / tickets,
            }
            for process in idle_cpu
        },
    }


def _latencies(record: Path, deadlines: dict[str, float]) -> dict[str, Any]:
    handed: dict[str, dict[str, float]] = {"sla_breach": {}, "handoff": {}}
    for page in pages(record):
        wanted = (page.kind == "sla_breach" and page.level == "L1") or (
            page.kind == "handoff" and page.level == "L2"
        )
        if wanted and page.ticket_id in deadlines:
            handed[page.kind].setdefault(page.ticket_id, page.handed_at)
    spread = max(deadlines.values()) - min(deadlines.values())
    return {
        "deadline_spread_seconds": spread,
        "deadlines_per_second": (len(deadlines) - 1) / spread if spread else None,
        "breach_page_seconds": summary_dict(
            [at - deadlines[t] for t, at in handed["sla_breach"].items()]
        ),
        "handoff_page_seconds": summary_dict(
            [at - deadlines[t] for t, at in handed["handoff"].items()]
        ),
    }
