"""`make bench`: python -m bench.run [--tickets 1000 [10000]] [--rate 10 [20 ...]] [--lifecycles M]
[tuning flags].

Each breach run and the throughput run get a fresh in-memory dev server, so one run's timers
never fire during another's."""

import argparse
import asyncio
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.breach import breach_latency
from bench.server import dev_server
from bench.throughput import lifecycle_throughput
from bench.worker_process import Tuning

RESULTS = Path(__file__).with_name("results.json")


async def main(args: argparse.Namespace) -> dict[str, Any]:
    tuning = Tuning.from_flags(args)
    results: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "bench.run", *sys.argv[1:]]),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": report.machine(),
        "tuning": tuning.describe(),
        "breach": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        workdir = Path(scratch)
        runs = [] if args.skip_breach else [(n, r) for n in args.tickets for r in args.rate]
        for tickets, rate in runs:
            async with dev_server() as env:
                results["breach"].append(await breach_latency(env, tickets, rate, tuning, workdir))
            report.write(results, args.output)  # keep what is done if a later run fails
        if args.lifecycles:
            async with dev_server() as env:
                results["throughput"] = await lifecycle_throughput(
                    env, args.lifecycles, args.concurrency, tuning, workdir
                )
    results["load_average_at_end"] = report.os.getloadavg()
    report.write(results, args.output)
    return results


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--tickets", type=int, nargs="+", default=[1000], help="open tickets per breach run"
    )
    parser.add_argument(
        "--rate",
        type=float,
        nargs="+",
        default=[10.0],
        help="tickets opened, hence deadlines due, per second (several: one run each)",
    )
    parser.add_argument("--skip-breach", action="store_true")
    parser.add_argument(
        "--lifecycles", type=int, default=500, help="lifecycles per workflow (0 skips)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients")
    parser.add_argument("--output", type=Path, default=RESULTS)
    Tuning.add_flags(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    outcome = asyncio.run(main(parse()))
    print(report.table(outcome))
