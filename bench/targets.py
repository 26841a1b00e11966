"""Issue 16's targets, each met or missed, read off one results file (bench/README.md).

A target the file has no run for is not measured (met: None), never met: a `make bench` with
1,000 open tickets says nothing about 10,000."""

from dataclasses import dataclass
from typing import Any

OPEN_TICKETS = 10_000
BREACH_PAGE_P99_SECONDS = 1.0
THROUGHPUT_RATIO = 0.85
LIFECYCLE_EVENTS, LIFECYCLE_BYTES = 60, 12_000
REPLAY_CPU_MS = 40.0
RSS_KIB_PER_CACHED_TICKET = 120.0
SIMULATE_SECONDS = 10.0
NOT_MEASURED = "not measured in this run"


@dataclass(frozen=True)
class Target:
    name: str
    wanted: str
    measured: str
    met: bool | None  # None: not measured


def scorecard(results: dict[str, Any]) -> list[Target]:
    return [
        _breach_page(results),
        _throughput(results),
        _lifecycle_cost(results),
        _replay_cpu(results),
        _rss(results),
        _simulate(results),
    ]


def _breach_page(results: dict[str, Any]) -> Target:
    wanted = f"p99 <= {BREACH_PAGE_P99_SECONDS:g} s with {OPEN_TICKETS:,} open tickets"
    runs = results.get("breach", [])
    if not runs:
        return Target("breach -> page", wanted, NOT_MEASURED, None)
    run = max(runs, key=lambda r: (r["tickets"], r["rate_per_second"]))  # the strictest
    where = f"{run['tickets']:,} open at {run['rate_per_second']:g}/s"
    if run.get("overloaded"):
        return Target("breach -> page", wanted, f"OVERLOADED with {where}", False)
    p99 = run["breach_page_seconds"]["p99"]
    met = p99 <= BREACH_PAGE_P99_SECONDS if run["tickets"] >= OPEN_TICKETS else None
    return Target("breach -> page", wanted, f"p99 {p99:.2f} s with {where}", met)


def _throughput(results: dict[str, Any]) -> Target:
    wanted = f">= {THROUGHPUT_RATIO:g} of the minimal workflow"
    if "throughput" not in results:
        return Target("lifecycle throughput", wanted, NOT_MEASURED, None)
    ratio = results["throughput"]["ratio"]
    return Target("lifecycle throughput", wanted, f"{ratio:.2f}", ratio >= THROUGHPUT_RATIO)


def _lifecycle_cost(results: dict[str, Any]) -> Target:
    wanted = f"<= {LIFECYCLE_EVENTS} events and {LIFECYCLE_BYTES / 1000:g} KB of history"
    if "throughput" not in results:
        return Target("P3 lifecycle", wanted, NOT_MEASURED, None)
    cost = results["throughput"]["ours"]["cost"]
    events, size = cost["events"], cost["history_bytes"]
    met = events <= LIFECYCLE_EVENTS and size <= LIFECYCLE_BYTES
    return Target("P3 lifecycle", wanted, f"{events} events, {size / 1000:.1f} KB", met)


def _replay_cpu(results: dict[str, Any]) -> Target:
    """Measured where most breaches fall on tickets the sticky cache no longer holds."""
    wanted = f"<= {REPLAY_CPU_MS:g} ms of worker CPU per breach outside the cache"
    runs = [r for r in _measured(results) if r["tickets"] >= 2 * r["max_cached_workflows"]]
    if not runs:
        return Target("replayed breach", wanted, NOT_MEASURED, None)
    run = max(runs, key=lambda r: r["tickets"])
    cpu = run["cpu_ms_per_ticket"]["worker"]["breach_and_handoff"]
    outside = run["tickets"] - run["max_cached_workflows"]
    measured = f"{cpu:.1f} ms ({outside:,} of {run['tickets']:,} outside the cache)"
    return Target("replayed breach", wanted, measured, cpu <= REPLAY_CPU_MS)


def _rss(results: dict[str, Any]) -> Target:
    """Per cached ticket: what the worker grew by with its cache full, over the cache's size."""
    wanted = f"<= {RSS_KIB_PER_CACHED_TICKET:g} KiB per cached ticket"
    runs = _measured(results)
    if not runs:
        return Target("worker RSS", wanted, NOT_MEASURED, None)
    run = min(runs, key=lambda r: r["tickets"])
    rss, cached = run["rss_mib"], min(run["tickets"], run["max_cached_workflows"])
    kib = (rss["worker_with_open_tickets"] - rss["worker_idle"]) * 1024 / cached
    measured = f"{kib:.0f} KiB ({cached:,} cached of {run['tickets']:,} open)"
    return Target("worker RSS", wanted, measured, kib <= RSS_KIB_PER_CACHED_TICKET)


def _simulate(results: dict[str, Any]) -> Target:
    wanted = f"<= {SIMULATE_SECONDS:g} s for {OPEN_TICKETS:,} recorded tickets"
    run = results.get("simulate")
    if run is None:
        return Target("starter simulate", wanted, NOT_MEASURED, None)
    measured = f"{run['seconds']:.2f} s for {run['tickets']:,} tickets"
    met = run["seconds"] <= SIMULATE_SECONDS if run["tickets"] >= OPEN_TICKETS else None
    return Target("starter simulate", wanted, measured, met)


def _measured(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in results.get("breach", []) if not r.get("overloaded")]
