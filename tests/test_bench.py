"""The benchmark's own helpers (no timing here: `make bench` measures, `make test` does not)."""

import asyncio
import gc
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from activities.messages import OutgoingMessage
from bench.cost import activities_per_action
from bench.gc_pauses import GC_PAUSES_FILE, GcPauses, read_pauses
from bench.processes import forward_output
from bench.recorder import RecordingSender, read_records
from bench.report import write
from bench.stats import percentile, summarize
from bench.targets import scorecard
from bench.worker_process import bench_policy
from policy import load_policy


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 100) == 100.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0  # order of the samples does not matter
    assert percentile([0.25], 99) == 0.25


def test_percentile_refuses_nothing_and_out_of_range() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], 101)


def test_summary_written_as_json(tmp_path: Path) -> None:
    summary = summarize([0.1, 0.2, 0.3, 0.4, 5.0])
    assert (summary.count, summary.p50, summary.max, summary.min) == (5, 0.3, 5.0, 0.1)
    assert summary.p99 == pytest.approx(4.816)
    path = tmp_path / "results.json"
    run = breach_run(1000, p99=0.5) | {"breach_page_seconds": summary.as_dict()}
    write({"breach": [run]}, path)
    written = json.loads(path.read_text())
    assert written["breach"][0]["breach_page_seconds"]["p50"] == 0.3
    assert {t["name"]: t["met"] for t in written["targets"]}["breach -> page"] is None


def breach_run(tickets: int, p99: float, cpu_ms: float = 30.0, overloaded: bool = False) -> dict:
    """A breach run as bench/breach.py reports it, with the figures the targets read."""
    return {
        "tickets": tickets,
        "rate_per_second": 10.0,
        "overloaded": overloaded,
        "breach_page_seconds": {"p99": p99},
        "max_cached_workflows": 1000,
        "rss_mib": {"worker_idle": 150.0, "worker_with_open_tickets": 250.0},
        "cpu_ms_per_ticket": {"worker": {"breach_and_handoff": cpu_ms}},
    }


def verdicts(results: dict) -> dict[str, bool | None]:
    return {target.name: target.met for target in scorecard(results)}


def test_breach_page_target_is_judged_only_with_ten_thousand_open_tickets() -> None:
    assert verdicts({"breach": [breach_run(1000, p99=0.2)]})["breach -> page"] is None
    assert verdicts({"breach": [breach_run(10_000, p99=2.3)]})["breach -> page"] is False
    assert verdicts({"breach": [breach_run(10_000, p99=0.9)]})["breach -> page"] is True
    overloaded = breach_run(10_000, p99=0.0, overloaded=True)
    assert verdicts({"breach": [breach_run(1000, p99=0.2), overloaded]})["breach -> page"] is False


def test_replay_cpu_is_read_where_most_breaches_miss_the_sticky_cache() -> None:
    cached = {"breach": [breach_run(1000, p99=0.2, cpu_ms=19.0)]}
    assert verdicts(cached)["replayed breach"] is None
    evicted = {"breach": [breach_run(1000, p99=0.2, cpu_ms=19.0), breach_run(10_000, 2.0, 59.0)]}
    assert verdicts(evicted)["replayed breach"] is False


def test_rss_target_is_the_growth_over_the_cached_tickets() -> None:
    # 100 MiB over 1,000 cached tickets is 102 KiB each, whether 1,000 or 10,000 are open.
    assert verdicts({"breach": [breach_run(10_000, p99=2.0)]})["worker RSS"] is True
    small = breach_run(1000, p99=0.2) | {"max_cached_workflows": 500}
    assert verdicts({"breach": [small]})["worker RSS"] is False


def test_unmeasured_targets_are_never_met() -> None:
    assert set(verdicts({}).values()) == {None}


def test_recorder_keeps_the_first_hand_off_per_notification(tmp_path: Path) -> None:
    path = tmp_path / "pages.log"
    sender = RecordingSender(path)
    message = OutgoingMessage(
        notification_id="T-1:4:sla_breach:L1:dashboard:team",
        ticket_id="T-1",
        channel="dashboard",
        audience="team",
        recipient="L1 dashboard",
        kind="sla_breach",
        level=1,
        priority="P4",
        subject="SLA breach",
        body="L1 acknowledgment missed",
    )
    assert sender.send(message) == "bench"
    sender.send(message)  # a retry: not a second page
    with path.open("a") as out:
        out.write("1.0 T-2:1:new_ticket")  # a line still being written is not read yet
    records = read_records(path)
    assert list(records) == ["T-1:4:sla_breach:L1:dashboard:team"]


def test_activities_are_counted_after_the_update_that_caused_them() -> None:
    """The baseline repeats these counts; signals count toward the update before them."""
    text = (Path(__file__).parent / "histories" / "p2_api_bug.json").read_text(encoding="utf-8")
    events = WorkflowHistory.from_json("ticket-P2", text).events
    # p2_api_bug: intake 3, two attempt signals 1 + 1, then escalate (update 1, signal 1),
    # resolve 1, reopen (update 1, respond 1, resolve 1, survey 1).
    assert activities_per_action(events) == {"open": 5, "escalate": 2, "resolve": 1, "reopen": 4}


def test_breach_bench_shortens_only_l1_acknowledgment() -> None:
    """Only the measured deadline moves: the escalation's L2 clocks stay real, so no cascade."""
    shipped, bench = load_policy(time_scale=1).around_the_clock(), bench_policy(90.0)
    assert bench.levels[1].acknowledge_within == timedelta(seconds=90)
    assert shipped.levels[1].acknowledge_within == timedelta(hours=2)
    assert bench.levels[2] == shipped.levels[2]
    assert bench.priorities == shipped.priorities
    assert bench_policy(None) == shipped


def test_gc_pauses_are_timed_per_generation(tmp_path: Path) -> None:
    pauses = GcPauses()
    pauses.install()
    try:
        gc.collect()
        gc.collect()
    finally:
        pauses.uninstall()
    pauses.write(tmp_path / GC_PAUSES_FILE)
    full = read_pauses(tmp_path / GC_PAUSES_FILE)["gen2"]
    assert full["count"] == 2
    assert 0 < full["max"] <= full["total"]
    assert read_pauses(tmp_path / "none.json") == {}  # a worker that never stopped cleanly


async def test_worker_output_is_read_to_its_end(capfd: pytest.CaptureFixture[str]) -> None:
    """More output than a pipe holds (64 KiB) must not block the worker: left unread, it stopped
    the SDK core's thread in write() and with it the bench worker's polls."""
    child = "for i in range(200): print(f'line {i} ' + 'x' * 1000)"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", child, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    await asyncio.wait_for(asyncio.gather(forward_output(process.stdout), process.wait()), 30)
    assert process.returncode == 0
    assert "line 199 " in capfd.readouterr().err
