"""`make chaos`: python -m bench.chaos [--quick] [--scenario NAME ...] [--workdir DIR]

Runs each scenario on servers of its own (bench/chaos/harness.py), prints what it found, and
exits 1 on any lost notification, stuck workflow, unexplained duplicate, HTTP 500 or record
missing from the store. Logs, the servers' state and each scenario's full figures
(figures.json) stay in the work directory."""

import argparse
import asyncio
import dataclasses
import json
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from bench.chaos.figures import Figures
from bench.chaos.harness import Harness, Size
from bench.chaos.malformed import malformed_inputs
from bench.chaos.scenarios import (
    provider_outage,
    records_outage,
    server_kill,
    two_workers,
    worker_kills,
)

SCENARIOS: dict[str, Callable[[Harness], Awaitable[Figures]]] = {
    "worker-kills": worker_kills,
    "server-kill": server_kill,
    "provider-outage": provider_outage,
    "records-outage": records_outage,
    "two-workers": two_workers,
    "malformed-input": malformed_inputs,
}
FULL = Size(tickets=60, opening=10, breach_after=20, outage=16, kills=4)
QUICK = Size(tickets=20, opening=4, breach_after=12, outage=8, kills=2)
SHOWN = 5  # ids listed per problem


def row(figures: Figures, seconds: float) -> str:
    recovery = figures.recovery_to_last_delivery
    latest = figures.latest_deadline
    return (
        f"{figures.scenario:<16} {figures.tickets:>7} {figures.wanted:>6} {figures.sent:>5} "
        f"{len(figures.lost):>4} {len(figures.duplicated):>4} {len(figures.explained):>9} "
        f"{len(figures.stuck):>5} {'-' if recovery is None else f'{recovery:.1f}':>9} "
        f"{'-' if latest is None else f'{latest:.1f}':>8} {seconds:>5.0f}  {figures.faults}"
    )


HEADER = (
    f"{'scenario':<16} {'tickets':>7} {'wanted':>6} {'sent':>5} {'lost':>4} {'dup':>4} "
    f"{'ambiguous':>9} {'stuck':>5} {'recovery':>9} {'deadline':>8} {'secs':>5}  faults\n"
    f"{'':<16} {'':>7} {'':>6} {'':>5} {'':>4} {'':>4} {'re-sent':>9} {'':>5} "
    f"{'→ last s':>9} {'late s':>8}"
)


def details(figures: Figures) -> list[str]:
    lines = []
    for label, items in (
        ("lost", figures.lost),
        ("duplicated", figures.duplicated),
        ("re-sent after an ambiguous outcome (documented)", figures.explained),
        ("stuck", figures.stuck),
    ):
        if items:
            shown = ", ".join(items[:SHOWN]) + (" ..." if len(items) > SHOWN else "")
            lines.append(f"  {figures.scenario}: {len(items)} {label}: {shown}")
    if figures.server_errors:
        lines.append(f"  {figures.scenario}: {figures.server_errors} HTTP 500 answers")
    if figures.records_missing:
        lines.append(f"  {figures.scenario}: {figures.records_missing} records missing")
    lines += [f"  {figures.scenario}: {note}" for note in figures.notes]
    return lines


async def run(names: list[str], size: Size, workdir: Path) -> list[Figures]:
    results = []
    print(HEADER, flush=True)
    for name in names:
        directory = workdir / name
        shutil.rmtree(directory, ignore_errors=True)
        began = time.monotonic()
        async with Harness(name, directory, size) as harness:
            figures = await SCENARIOS[name](harness)
        print(row(figures, time.monotonic() - began), flush=True)
        every = json.dumps(dataclasses.asdict(figures), indent=2)
        (directory / "figures.json").write_text(every, encoding="utf-8")
        results.append(figures)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller storms, shorter faults")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="(repeatable)")
    parser.add_argument("--workdir", type=Path, default=Path(".data/chaos"))
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    # The replay check logs each failure it finds as a warning of the SDK's core; the figures
    # say it once.
    quiet = TelemetryConfig(logging=LoggingConfig(filter=TelemetryFilter("ERROR", "ERROR")))
    Runtime.set_default(Runtime(telemetry=quiet))
    began = time.monotonic()
    results = asyncio.run(run(args.scenario or list(SCENARIOS), size, args.workdir))
    for figures in results:
        for line in details(figures):
            print(line)
    failed = [figures.scenario for figures in results if figures.failed]
    print(f"\n{len(results)} scenarios in {time.monotonic() - began:.0f} s; logs in {args.workdir}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
