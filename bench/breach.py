"""Breach to page: N open tickets whose L1 acknowledgment deadlines fall in a short window.

For each ticket: from the deadline instant (`breaches[].due` in its status) to the moment the
notification activity hands the `sla_breach` dashboard page (and the L2 handoff page) to the
sender, as recorded by the bench's RecordingSender in the worker process (wall clock; the
server, worker and bench share this machine's clock)."""

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from bench.lifecycle import bench_ticket, start, wait_ready
from bench.processes import child_pid, cpu_seconds, rss_mib, worker_process
from bench.recorder import read_records
from bench.server import target_of
from bench.stats import summarize
from bench.worker_process import Tuning
from contract import WORKFLOW_TYPE

L1_ACKNOWLEDGMENT_SECONDS = 2 * 3600  # policy: L1 acknowledges within 2h
CLIENTS = 32  # concurrent client calls while opening and reading back


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


def count(path: Path, kind: str) -> int:
    return sum(1 for page in pages(path) if page.kind == kind)


async def _wait_for(path: Path, kind: str, wanted: int, until: float) -> int:
    while (seen := count(path, kind)) < wanted and time.time() < until:
        await asyncio.sleep(0.25)
    return seen


async def _gather_limited(calls: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(CLIENTS)

    async def limited(call: Any) -> Any:
        async with gate:
            return await call

    return await asyncio.gather(*(limited(call) for call in calls))


async def _deadlines(client: Client, ticket_ids: list[str]) -> dict[str, dict[str, float]]:
    """Each ticket's first L1 acknowledgment breach: its due instant and when it was decided."""

    async def one(ticket_id: str) -> tuple[str, dict[str, float] | None]:
        record = await _query_status(client, ticket_id)
        breach = next((b for b in record["breaches"] if b["metric"] == "acknowledgment"), None)
        if breach is None:
            return ticket_id, None  # not breached (yet): counted as a missing page
        return ticket_id, {"due": _instant(breach["due"]), "decided": _instant(breach["at"])}

    found = await _gather_limited([one(ticket_id) for ticket_id in ticket_ids])
    return {ticket_id: times for ticket_id, times in found if times is not None}


async def _query_status(client: Client, ticket_id: str, attempts: int = 5) -> Any:
    """A loaded machine may time a query out (the worker is still busy with later deadlines)."""
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
    env: WorkflowEnvironment, tickets: int, window: float, tuning: Tuning, workdir: Path
) -> dict[str, Any]:
    scale = L1_ACKNOWLEDGMENT_SECONDS / window
    record = workdir / "breach-pages.log"
    record.unlink(missing_ok=True)
    ticket_ids = [f"B-{index:06d}" for index in range(tickets)]
    queue = "bench-breach"
    async with worker_process(
        target_of(env), queue, "ticket", tuning, workdir / "breach", record, scale
    ) as pid:
        idle_rss = rss_mib(pid)
        server = child_pid("temporal")
        cpu = {"worker": cpu_seconds(pid), "server": cpu_seconds(server) if server else 0.0}
        opening_began = time.time()
        handles = await _gather_limited(
            [start(env.client, WORKFLOW_TYPE, bench_ticket(t, "P4"), queue) for t in ticket_ids]
        )
        await wait_ready(handles[-1])
        # Intake is done when every ticket has paged its L1 team about the new ticket.
        opened = await _wait_for(record, "new_ticket", tickets, opening_began + window)
        opening_ended = time.time()
        open_rss = rss_mib(pid)
        server_rss = rss_mib(server) if server else None
        opened_cpu = {"worker": cpu_seconds(pid), "server": cpu_seconds(server) if server else 0.0}
        paged = await _wait_for(record, "sla_breach", tickets, opening_ended + window + 120)
        await _wait_for(record, "handoff", paged, time.time() + 30)
        paged_cpu = {"worker": cpu_seconds(pid), "server": cpu_seconds(server) if server else 0.0}
        # Read back while the worker runs: a query needs a worker to answer it.
        deadlines = await _deadlines(env.client, ticket_ids)
    return _latencies(record, deadlines) | {
        "tickets": tickets,
        "window_seconds": window,
        "time_scale": scale,
        "opened": opened,
        "opening_seconds": opening_ended - opening_began,
        "opening_done_before_first_deadline": opening_ended
        < min(d["due"] for d in deadlines.values()),
        "paged": paged,
        "missing_pages": tickets - len(deadlines),
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
                "intake": (opened_cpu[process] - cpu[process]) * 1000 / tickets,
                "breach_and_handoff": (paged_cpu[process] - opened_cpu[process]) * 1000 / tickets,
            }
            for process in cpu
        },
    }


def _latencies(record: Path, deadlines: dict[str, dict[str, float]]) -> dict[str, Any]:
    by_kind: dict[str, dict[str, float]] = {"sla_breach": {}, "handoff": {}}
    for page in pages(record):
        wanted = (page.kind == "sla_breach" and page.level == "L1") or (
            page.kind == "handoff" and page.level == "L2"
        )
        if wanted and page.ticket_id in deadlines:
            by_kind[page.kind].setdefault(page.ticket_id, page.handed_at)
    dues = [d["due"] for d in deadlines.values()]
    return {
        "deadline_spread_seconds": max(dues) - min(dues),
        "breach_page_seconds": summarize(
            [at - deadlines[t]["due"] for t, at in by_kind["sla_breach"].items()]
        ).as_dict(),
        "handoff_page_seconds": summarize(
            [at - deadlines[t]["due"] for t, at in by_kind["handoff"].items()]
        ).as_dict(),
        # Split of the breach latency: timer fired -> workflow decided; decided -> page handed.
        "timer_to_decision_seconds": summarize(
            [d["decided"] - d["due"] for d in deadlines.values()]
        ).as_dict(),
        "decision_to_page_seconds": summarize(
            [at - deadlines[t]["decided"] for t, at in by_kind["sla_breach"].items()]
        ).as_dict(),
        "breached": len(deadlines),
    }
