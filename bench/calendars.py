"""Cost of business-time arithmetic, per call, as a workflow task would pay it.

A workflow decodes the policy from its payload, so its calendar's per-date cache starts cold:
the cold figures (a fresh clock per call) are what a ticket's first deadline costs; the warm ones
are later deadlines of the same run. `python -m bench.calendars`"""

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from calendars import AROUND_THE_CLOCK, BusinessClock
from policy import load_policy
from policy.models import EscalationPolicy


def _microseconds(call: Callable[[], object], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - started) / repeat * 1e6


def _fresh(policy: EscalationPolicy) -> BusinessClock:
    return EscalationPolicy.model_validate(policy.model_dump()).clock(1, "P4")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20_000)
    repeat = parser.parse_args().repeat
    policy = load_policy(time_scale=1)
    office = policy.clock(1, "P4")  # New York, Mon-Fri 09:00-17:00, US holidays
    # Thursday 24 December 2026, 16:00 EST: 24 business hours skip Christmas (Friday) and the
    # weekend and run to Wednesday 30 December 16:00.
    christmas = datetime(2026, 12, 24, 21, 0, tzinfo=UTC)
    monday = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    cases = {
        "P4 24h window across Christmas weekend (warm)": lambda: office.add(
            christmas, timedelta(hours=24)
        ),
        "P3 4h window on a Monday (warm)": lambda: office.add(monday, timedelta(hours=4)),
        "P3 check-in, 2h (warm)": lambda: office.add(monday, timedelta(hours=2)),
        "business time between two instants 9 days apart (warm)": lambda: office.between(
            christmas, christmas + timedelta(days=9)
        ),
        "24x7, 4h": lambda: AROUND_THE_CLOCK.add(monday, timedelta(hours=4)),
    }
    print(f"deadline {office.add(christmas, timedelta(hours=24)).isoformat()}")
    for name, call in cases.items():
        print(f"{name:58} {_microseconds(call, repeat):8.1f} µs")
    fresh = iter([_fresh(policy) for _ in range(repeat // 20)])
    cold = _microseconds(lambda: next(fresh).add(christmas, timedelta(hours=24)), repeat // 20)
    print(f"{'P4 24h across Christmas weekend (cold: first of a run)':58} {cold:8.1f} µs")


if __name__ == "__main__":
    main()
