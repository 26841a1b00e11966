"""`starter simulate` over 10,000 recorded tickets in a SQLite store (bench/README.md).

The tickets are recorded as the workflow records them: each one driven through the procedure's
core (`procedure.decide`) by a stand-in for the workflow's shell that fires every timer a few
milliseconds late, with its inputs kept by `simulation.recording.recorded_input`. The mix, per
ticket drawn from a seeded generator: P1 10 %, P2 20 %, P3 35 %, P4 35 %; about a quarter
acknowledged late; some responses wait on the customer, who writes back; failed resolution
attempts, requests for escalation, critical keywords, manual escalations, reopenings; most
resolved, most of those surveyed; 3 % of phone pages refused by the provider.

Then it times the command's work (`simulation.run.simulate_window`: read, replay each ticket
under its own policy and under one with L1's acknowledgment window at 1 h, tally) and prints it.
`python -m bench.simulate [--tickets 10000] [--keep records.db [--reuse]]`"""

import argparse
import heapq
import json
import os
import random
import resource
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from sqlalchemy import Engine, insert

from activities.messages import InputRecord
from bench import report
from contract.ticket_input import TicketSubmission
from policy import EscalationPolicy, load_policy
from policy.versions import policy_digest
from procedure import clocks, decide
from procedure.effects import Effect, Notify, RecordHandoff, SearchKnowledgeBase
from procedure.events import (
    Acknowledge,
    CustomerMessage,
    DeadlineDue,
    DeliveryFailed,
    Escalate,
    Event,
    KnowledgeBaseSearched,
    Opened,
    Reopen,
    ResolutionAttempt,
    Resolve,
    Respond,
    SurveyResponse,
)
from simulation.recorded import read
from simulation.recording import recorded_input
from simulation.render import render
from simulation.run import simulate_window
from store.database import create_store_engine
from store.inputs import input_rows, load_recorded, policy_row
from store.migrate import migrate
from store.schema import inputs, policies

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
WINDOW = (NOW - timedelta(days=30), NOW)
H, M, S = timedelta(hours=1), timedelta(minutes=1), timedelta(seconds=1)
PRIORITIES = (("P1", 0.10), ("P2", 0.20), ("P3", 0.35), ("P4", 0.35))
SUBJECTS = (
    ("Cannot log in", "I cannot log in since this morning, how do I reset my password?"),
    ("Invoice question", "Where can I download last month's invoice?"),
    ("API returns errors", "Our integration gets errors for every call to the orders API."),
    ("Checkout is slow", "Checkout takes a minute to load, it is intermittent."),
    ("Sync stopped", "Data synchronization stopped yesterday, workaround is manual export."),
)


class ShellStandIn:
    """Feeds one ticket's events to the core in time order, as the workflow does, and keeps
    the inputs the workflow would record. Its timers fire `latency` after their due instant."""

    def __init__(self, policy: EscalationPolicy, latency: timedelta, rng: random.Random) -> None:
        self.policy, self.latency, self.rng = policy, latency, rng
        self.policy_id = policy_digest(policy)
        self.record = None
        self.rows: list[InputRecord] = []
        self.pending: list[tuple[datetime, int, Event]] = []
        self.order = count()

    def at(self, instant: datetime, event: Event) -> None:
        heapq.heappush(self.pending, (instant, next(self.order), event))

    def run(self, until: datetime) -> list[InputRecord]:
        """Events and timer firings in time order; an event at a firing's instant goes first.
        A deadline set in the past (a raised priority shortens the response) fires at once."""
        now = self.pending[0][0]
        while True:
            upcoming = self.record and clocks.next_deadline(self.record)
            fires = max(upcoming[1] + self.latency, now) if upcoming else None
            if self.pending and self.pending[0][0] <= min(until, fires or until):
                now, _, event = heapq.heappop(self.pending)
                self._feed(event, now)
            elif fires is not None and fires <= until:
                now = fires
                for deadline in clocks.DEADLINE_ORDER:
                    if clocks.is_due(self.record, deadline, now):
                        self._feed(DeadlineDue(deadline=deadline), now)
            else:
                return self.rows

    def _feed(self, event: Event, instant: datetime) -> None:
        before = self.record
        self.record, effects = decide(before, self.policy, event, instant)
        kept = recorded_input(before, self.record, self.policy_id, event, instant)
        if kept is not None:
            self.rows.append(kept)
        if isinstance(event, Opened):
            self._arrive(self.record.level, instant)
        for effect in effects:
            self._answer(effect, instant)

    def _answer(self, effect: Effect, instant: datetime) -> None:
        """The knowledge base answers at once; each level the ticket reaches answers its page;
        a few phone pages are refused for good."""
        if isinstance(effect, SearchKnowledgeBase):
            answer = KnowledgeBaseSearched(seq=effect.seq, matches=[])
            self.at(instant + 300 * timedelta(milliseconds=1), answer)
        elif isinstance(effect, RecordHandoff):
            self._arrive(effect.record.to_level, instant)
        elif isinstance(effect, Notify) and effect.message.channel == "phone":
            self._maybe_refuse(effect, instant)

    def _maybe_refuse(self, page: Notify, instant: datetime) -> None:
        if self.rng.random() < 0.03:
            refused = DeliveryFailed(message=page.message, error="21211 invalid number")
            self.at(instant + 2 * S, refused)

    def _arrive(self, level: int, instant: datetime) -> None:
        """The level's on-call acknowledges, mostly within its window (a quarter late), then
        looks into it and answers the customer."""
        rules = self.policy.levels[level]
        window = M * 10 if rules.pages_at_once else rules.acknowledge_within
        late = self.rng.random() < 0.25
        acked = instant + window * (
            self.rng.uniform(1.1, 2.5) if late else self.rng.uniform(0.1, 0.9)
        )
        agent = f"l{level}-agent-{self.rng.randrange(10)}"
        self.at(acked, Acknowledge(agent=agent))
        answer = self.rng.uniform(0.2, 1.5) * self.policy.levels[level].respond_within / 4
        self.at(acked + answer, Respond(agent=agent, message="Looking into it."))


def script(rng: random.Random, opened: datetime, number: int) -> list[tuple[datetime, Event]]:
    """What the customer and the ticket's owner do, beyond answering pages (ShellStandIn). Each
    ticket's texts are its own (its order reference), as real ones are: triage reads a text
    once per rule set (triage.assessment.Reader.findings), so repeated texts would flatter."""
    order = f"order {number:05d}"
    agent = f"agent-{rng.randrange(40)}"
    steps: list[tuple[datetime, Event]] = []
    now = opened + rng.uniform(0.5, 6) * H
    if rng.random() < 0.1:
        steps.append(
            (now, CustomerMessage(message=f"Any news on {order}?", requests_escalation=True))
        )
    if rng.random() < 0.03:
        now += rng.uniform(1, 30) * M
        steps.append(
            (now, CustomerMessage(message=f"Now the whole site is down, an outage! ({order})"))
        )
    for _ in range(rng.choice((0, 0, 0, 1, 2))):
        now += rng.uniform(10, 120) * M
        steps.append((now, ResolutionAttempt(agent=agent, action="restart", succeeded=False)))
    if rng.random() < 0.05:
        now += rng.uniform(10, 60) * M
        steps.append((now, Escalate(by=agent, reason="beyond_expertise")))
    if rng.random() < 0.3:
        now += rng.uniform(10, 120) * M
        steps.append(
            (now, Respond(agent=agent, message="Can you try this?", awaiting_customer=True))
        )
        now += rng.uniform(1, 30) * H
        steps.append((now, CustomerMessage(message=f"That did not help with {order}.")))
        now += rng.uniform(5, 90) * M
        steps.append((now, Respond(agent=agent, message="Then let us try that.")))
    if rng.random() < 0.97:
        now += rng.uniform(1, 24) * H
        steps.append((now, Resolve(by=agent, resolution="Fixed.")))
        if rng.random() < 0.05:
            now += rng.uniform(1, 48) * H
            steps.append((now, Reopen(by=agent, reason="came back")))
            now += rng.uniform(1, 24) * H
            steps.append((now, Resolve(by=agent, resolution="Fixed again.")))
        if rng.random() < 0.6:
            steps.append((now + rng.uniform(1, 72) * H, SurveyResponse(score=rng.randint(1, 5))))
    return steps


def recorded_ticket(policy: EscalationPolicy, number: int, rng: random.Random) -> ShellStandIn:
    """One synthetic ticket, opened in the window and driven up to NOW."""
    names, weights = zip(*PRIORITIES, strict=True)
    opened = WINDOW[0] + (WINDOW[1] - WINDOW[0]) * rng.random()
    subject, description = rng.choice(SUBJECTS)
    ticket = TicketSubmission.model_validate(
        {
            "ticket_id": f"T-{number:05d}",
            "customer": {"name": "Customer", "email": f"c{number}@example.com"},
            "subject": subject,
            "description": f"{description} Order {number:05d}.",
            "priority": rng.choices(names, weights)[0],
            "category": rng.choice(policy.categories),
        }
    )
    shell = ShellStandIn(policy, rng.uniform(5, 80) * timedelta(milliseconds=1), rng)
    shell.at(opened, Opened(ticket=ticket))
    for instant, event in script(rng, opened, number):
        shell.at(instant, event)
    shell.run(NOW)
    return shell


def synthetic(policy: EscalationPolicy, tickets: int, seed: int) -> list[InputRecord]:
    rng = random.Random(seed)
    return [row for n in range(tickets) for row in recorded_ticket(policy, n, rng).rows]


def store(engine: Engine, records: list[InputRecord], policy: EscalationPolicy) -> None:
    with engine.begin() as connection:
        connection.execute(insert(policies), [policy_row(policy)])
        connection.execute(insert(inputs), input_rows(records))


def proposal(policy: EscalationPolicy) -> EscalationPolicy:
    levels = dict(policy.levels)
    levels[1] = levels[1].model_copy(update={"acknowledge_within": H})
    return policy.model_copy(update={"levels": levels})


def cpu_seconds() -> float:
    """This process's CPU time and its finished children's (the simulation's processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="write the store here (replaced) and keep it")
    parser.add_argument("--reuse", action="store_true", help="simulate the --keep store as it is")
    parser.add_argument(
        "--results", type=Path, help="add the figure to this results file (bench/results.json)"
    )
    args = parser.parse_args()
    policy = load_policy(time_scale=1)
    path = args.keep or Path(tempfile.mkdtemp()) / "records.db"
    engine = create_store_engine(f"sqlite:///{path}")
    if not (args.reuse and path.exists()):
        path.unlink(missing_ok=True)
        migrate(engine)
        started = time.perf_counter()
        records = synthetic(policy, args.tickets, args.seed)
        store(engine, records, policy)
        print(f"recorded {len(records):,} inputs in {time.perf_counter() - started:.1f} s: {path}")
    started, cpu = time.perf_counter(), cpu_seconds()
    stored, policies = load_recorded(engine, *WINDOW)
    read(stored, policies)
    reading = time.perf_counter() - started
    started, cpu = time.perf_counter(), cpu_seconds()
    comparison = simulate_window(engine, proposal(policy), "L1 acknowledges within 1h", WINDOW, NOW)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(render(comparison, "table"), end="")
    print(
        f"\nsimulate: {comparison['tickets']:,} tickets in {elapsed:.2f} s "
        f"({cpu:.1f} s of CPU in {os.cpu_count()} processes; reading and parsing alone "
        f"{reading:.2f} s); target: at most 10 s; load average {os.getloadavg()[0]:.1f}"
    )
    if args.results:
        results = json.loads(args.results.read_text(encoding="utf-8"))
        results["simulate"] = {
            "command": shlex.join(["python", "-m", "bench.simulate", *sys.argv[1:]]),
            "machine": report.machine(),
            "tickets": comparison["tickets"],
            "seconds": elapsed,
            "cpu_seconds": cpu,
            "reading_seconds": reading,
        }
        report.write(results, args.results)


if __name__ == "__main__":
    main()
