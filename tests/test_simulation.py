"""`starter simulate`: hand-worked tickets under a proposed policy, replays that reproduce what
was recorded, the command and its refusals (no Temporal: the simulation needs none)."""

import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

import simulation.run
from activities.messages import DeliveryReceipt
from bench.simulate import NOW, ShellStandIn, recorded_ticket
from policy import load_policy
from policy.loader import DEFAULT_POLICY_FILE
from procedure.effects import Effect, Notify
from procedure.events import Delivered, Opened
from simulation.compare import Comparison
from simulation.recorded import read
from simulation.render import render
from simulation.replay import as_proposed, as_recorded, refusals_of
from simulation.run import simulate_window
from starter.cli.main import run
from store.inputs import StoredInput, StoredTicket, input_rows, load_recorded, policy_row
from store.records import RecordStore
from store.schema import inputs, policies
from tests.procedure_driver import submission
from tests.simulation_fixture import (
    NINE,
    REPLAYED_UNTIL,
    SHIPPED,
    SINCE,
    UNTIL,
    record_fixture,
)

H = timedelta(hours=1)


def with_l1_acknowledging_within(window: timedelta) -> Any:
    levels = dict(SHIPPED.levels)
    levels[1] = levels[1].model_copy(update={"acknowledge_within": window})
    return SHIPPED.model_copy(update={"levels": levels})


def cells(comparison: Comparison, figure: str) -> dict[str, tuple[float, float]]:
    """`P4 L1` -> (current, proposed) of one figure, where either is not nothing."""
    found = {}
    for cell in comparison["cells"]:
        value = cell["figures"][figure]
        if value["current"] or value["proposed"]:
            found[f"{cell['priority']} L{cell['level']}"] = (value["current"], value["proposed"])
    return found


@pytest.fixture
def recorded(engine: Engine) -> Engine:
    record_fixture(RecordStore(engine))
    return engine


def test_l1_acknowledging_within_1h_adds_the_breaches_and_escalations_worked_out_by_hand(
    recorded: Engine,
) -> None:
    """The tickets of tests/simulation_fixture.py, L1's acknowledgment window 2 h -> 1 h.

    A (P4, L1; ack 10:30). Now: the ack meets 11:00; no breach. Proposed: the ack is due 10:00
    and is missed -> breach (acknowledgment, P4 L1) and escalation L1 -> L2 at 10:00. L2 then
    runs its own clocks (ack 11:00, response 14:00); the ack at 10:30 and the response at 11:00
    meet them.
    B (P3, L1; ack 09:45). Due 11:00 now, 10:00 proposed: met either way; nothing changes.
    C (P4, L1; ack 11:50). Now: the ack is due 11:00 -> breach (P4 L1) and L1 -> L2 at 11:00; L2's
    ack is due 12:00 and the ack at 11:50 meets it. Proposed: breach at 10:00 and L1 -> L2 at
    10:00; L2's ack is due 11:00 and missed -> breach (acknowledgment, P4 L2) and L2 -> L3 at
    11:00. L3 acknowledges within 15 min: due 11:15 and missed -> breach (acknowledgment, P4 L3)
    and L3 -> L4 at 11:15. L4 has no ack clock; its response is due 1 h later, 12:15: the ack at
    11:50 does not answer it and the response at 12:30 misses it -> breach (response, P4 L4);
    at the top level that re-alerts L4 instead of escalating.

    Acknowledgment breaches: P4 L1 1 -> 2 (A), P4 L2 0 -> 1, P4 L3 0 -> 1 (C); in all 1 -> 4.
    Automatic escalations: from P4 L1 1 -> 2 (A), from P4 L2 and P4 L3 0 -> 1 (C); 1 -> 4.
    Handoffs: to P4 L2 1 -> 2, to P4 L3 and P4 L4 0 -> 1. Response breaches: P4 L4 0 -> 1 (C).
    P4 tickets reach L2 after 2 h (C) now; after 1 h (A and C) proposed. C reaches L3 after 2 h
    and L4 after 2 h 15 min."""
    proposed = with_l1_acknowledging_within(H)
    comparison = simulate_window(recorded, proposed, "1h.toml", (SINCE, UNTIL), REPLAYED_UNTIL)

    assert comparison["tickets"] == 3 and comparison["left_out"] == []
    assert cells(comparison, "breaches.acknowledgment") == {
        "P4 L1": (1, 2),
        "P4 L2": (0, 1),
        "P4 L3": (0, 1),
    }
    assert cells(comparison, "escalations.automatic") == {
        "P4 L1": (1, 2),
        "P4 L2": (0, 1),
        "P4 L3": (0, 1),
    }
    assert cells(comparison, "handoffs_received") == {
        "P4 L2": (1, 2),
        "P4 L3": (0, 1),
        "P4 L4": (0, 1),
    }
    assert cells(comparison, "breaches.response") == {"P4 L4": (0, 1)}
    assert cells(comparison, "escalations.manual") == {}
    totals = comparison["totals"]
    assert totals["breaches.acknowledgment"] == {"current": 1, "proposed": 4, "change": 3}
    assert totals["escalations.automatic"] == {"current": 1, "proposed": 4, "change": 3}
    assert totals["breaches.response"] == {"current": 0, "proposed": 1, "change": 1}
    assert cells(comparison, "time_to_reach.p50_seconds") == {
        "P4 L2": (7200.0, 3600.0),
        "P4 L3": (None, 7200.0),
        "P4 L4": (None, 8100.0),
    }


def test_the_documented_example_is_what_the_command_prints(recorded: Engine) -> None:
    proposed = with_l1_acknowledging_within(H)
    window = (SINCE, UNTIL)
    comparison = simulate_window(recorded, proposed, "proposed.toml", window, REPLAYED_UNTIL)
    document = (Path(__file__).parent.parent / "docs" / "simulation.md").read_text()
    [example] = re.findall(r"<!-- simulation example -->\n```text\n(.*?)```", document, re.S)
    assert render(comparison, "table") == example


def test_the_policy_the_tickets_ran_with_changes_nothing(recorded: Engine) -> None:
    comparison = simulate_window(recorded, SHIPPED, "same", (SINCE, UNTIL), REPLAYED_UNTIL)
    changes = [v["change"] for v in comparison["totals"].values()] + [
        v["change"] for cell in comparison["cells"] for v in cell["figures"].values()
    ]
    # acknowledgment, the agent's response, resolution and survey emails; C also got an
    # escalation notice
    assert comparison["totals"]["customer.email"]["current"] == 4 + 4 + 5
    assert set(changes) <= {0, None}


def test_tickets_replayed_in_several_processes_add_up_to_the_same_comparison(
    recorded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposed, window = with_l1_acknowledging_within(H), (SINCE, UNTIL)
    alone = simulate_window(recorded, proposed, "p", window, REPLAYED_UNTIL)
    monkeypatch.setattr(simulation.run, "TICKETS_PER_PROCESS", 1)
    assert simulate_window(recorded, proposed, "p", window, REPLAYED_UNTIL) == alone


def test_a_proposed_policy_whose_business_hours_clock_has_run_still_reaches_the_processes(
    recorded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposed, window = with_l1_acknowledging_within(H), (SINCE, UNTIL)
    assert proposed.calendars
    for calendar in proposed.calendars.values():
        calendar.clock.add(SINCE, H)  # compiled now, with a zone read from tzdata's file
    monkeypatch.setattr(simulation.run, "TICKETS_PER_PROCESS", 1)
    assert simulate_window(recorded, proposed, "p", window, REPLAYED_UNTIL)["tickets"] == 3


def test_a_proposed_policy_that_cannot_open_a_ticket_leaves_it_out_of_both_columns(
    recorded: Engine,
) -> None:
    levels = dict(SHIPPED.levels)
    kept = [c for c in levels[1].categories if c != "general_product_inquiries"]
    levels[1] = levels[1].model_copy(update={"categories": kept})
    proposed = SHIPPED.model_copy(update={"levels": levels})
    comparison = simulate_window(recorded, proposed, "p", (SINCE, UNTIL), REPLAYED_UNTIL)
    assert comparison["left_out"] == ["B"]
    assert comparison["tickets"] == 2  # A and C, under both policies


def test_replaying_random_tickets_reproduces_what_their_shell_recorded() -> None:
    """300 tickets driven through the core by the bench's stand-in for the workflow's shell
    (timers firing 5-80 ms late, actions, customer messages, refused pages), recorded as the
    workflow records them: each replay as recorded is the very record, every field; under the
    same policy as a proposal, too."""
    rng = random.Random(20261127)
    refused = 0
    for number in range(300):
        shell = recorded_ticket(SHIPPED, number, rng)
        positions = [row.position for row in shell.rows]
        assert positions == sorted(set(positions))  # each input its own row, in order
        rows, policy = input_rows(shell.rows), policy_row(SHIPPED)
        [ticket] = read([stored(rows)], {policy["policy_id"]: policy["policy"]})
        replayed = as_recorded(ticket, NOW)
        assert replayed.record == shell.record, ticket.ticket_id
        refusals = refusals_of(ticket, replayed)
        refused += len(refusals)
        assert as_proposed(ticket, SHIPPED, NOW, refusals).record == shell.record
    assert refused > 0  # refused pages and their fallbacks were among them


class Unanswered(ShellStandIn):
    """The bench's shell with nobody answering pages: each message's receipt comes back
    `receipt_after` it was decided (as a receipt, not recorded)."""

    def __init__(self, latency: timedelta, receipt_after: timedelta) -> None:
        super().__init__(SHIPPED, latency, random.Random(0))
        self.receipt_after = receipt_after

    def _arrive(self, level: int, instant: datetime) -> None:
        pass

    def _answer(self, effect: Effect, instant: datetime) -> None:
        if isinstance(effect, Notify):
            receipt = DeliveryReceipt(status="sent", provider_id="p-1")
            self.at(
                instant + self.receipt_after, Delivered(message=effect.message, receipt=receipt)
            )


def test_a_receipt_between_a_deadline_and_its_timer_leaves_the_deadline_to_the_timer() -> None:
    """A P2 ticket nobody answers, up to L4: L3's acknowledgment falls due 15 min after its page,
    whose receipt comes back 25 ms later, 25 ms before the deadline's timer fires. The receipt
    moves no clock (it is not recorded: a replay could not know a deadline fell due in it); the
    timer handles the breach, a recorded look, and the replay breaches at that very instant."""
    latency = 50 * timedelta(milliseconds=1)
    window = SHIPPED.levels[3].acknowledge_within
    shell = Unanswered(latency, receipt_after=window + latency / 2)
    submitted = submission(priority="P2", category="account_access_problems")
    shell.at(NINE, Opened(ticket=submitted))
    until = NINE + 7.5 * H  # at L4, re-alerted hourly, between deadlines
    shell.run(until)
    breaches = {(b.level, b.metric): b.at for b in shell.record.breaches}
    l3_paged = breaches[(2, "acknowledgment")]  # the escalation to L3 pages it at once
    assert breaches[(3, "acknowledgment")] == l3_paged + window + latency  # the timer's firing

    rows, policy = input_rows(shell.rows), policy_row(SHIPPED)
    [ticket] = read([stored(rows)], {policy["policy_id"]: policy["policy"]})
    replayed = as_recorded(ticket, until).record
    # Receipts are not replayed: every notification decided, its delivery aside.
    undelivered = [
        n.model_copy(update={"status": "pending", "provider_id": None})
        for n in shell.record.notifications
    ]
    expected = shell.record.model_copy(update={"notifications": undelivered})
    assert replayed == expected


def stored(rows: list[dict[str, Any]]) -> StoredTicket:
    """The rows as the store hands them back."""
    return StoredTicket(
        rows[0]["ticket_id"],
        rows[0]["policy_id"],
        [StoredInput(r["position"], r["at"], r["kind"], r["event"], r["due"]) for r in rows],
    )


def test_inputs_are_written_once_and_tickets_share_their_policy(engine: Engine) -> None:
    store = RecordStore(engine)
    record_fixture(store)
    record_fixture(store)  # a retried activity, a replayed workflow
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(inputs)).scalar() == 6 + 6 + 7
        assert connection.execute(select(func.count()).select_from(policies)).scalar() == 1
    stored, texts = load_recorded(engine, SINCE, UNTIL)
    assert [t.ticket_id for t in stored] == ["A", "B", "C"]
    assert [row.kind for row in stored[0].inputs][:2] == ["opened", "knowledge_base_searched"]
    assert read(stored, texts)[0].policy == SHIPPED


def test_tickets_opened_outside_the_window_are_not_simulated(recorded: Engine) -> None:
    later = (UNTIL, UNTIL + timedelta(days=1))
    assert simulate_window(recorded, SHIPPED, "p", later, REPLAYED_UNTIL)["tickets"] == 0


def proposed_file(tmp_path: Path, old: str, new: str) -> Path:
    # The recorded tickets ran 24x7 (tests/simulation_fixture.py): so does the proposal.
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8").replace(
        'P3 = "support", P4 = "support"', 'P3 = "24x7", P4 = "24x7"'
    )
    assert old in text
    path = tmp_path / "proposed.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.fixture
def cli_database(recorded: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", recorded.url.render_as_string(hide_password=False))
    monkeypatch.delenv("ESCALATION_TIME_SCALE", raising=False)
    monkeypatch.delenv("CONTACTS_FILE", raising=False)
    return recorded


async def test_the_command_prints_both_policies_side_by_side_in_each_format(
    cli_database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = proposed_file(tmp_path, 'acknowledge_within = "2h"', 'acknowledge_within = "1h"')
    window = ["--since", SINCE.isoformat(), "--until", UNTIL.isoformat()]
    assert await run(["simulate", "--policy", str(policy), *window]) == 0
    table = capsys.readouterr().out
    assert "Simulation of 3 tickets opened 2026-03-01 00:00 .. 2026-03-03 00:00 UTC" in table
    [line] = [x for x in table.splitlines() if "breaches: acknowledgment" in x][:1]
    assert line.split() == ["breaches:", "acknowledgment", "1", "4", "+3"]
    assert await run(["simulate", "--policy", str(policy), *window, "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert html.startswith("<!doctype html>") and "<td>+3</td>" in html
    assert await run(["simulate", "--policy", str(policy), *window, "--format", "json"]) == 0
    assert '"proposed": 4' in capsys.readouterr().out


async def test_an_invalid_proposed_policy_is_refused_naming_the_field(
    cli_database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = proposed_file(tmp_path, 'acknowledge_within = "2h"', 'acknowledge_within = "soon"')
    assert await run(["simulate", "--policy", str(policy)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"--policy: policy file {policy}: levels.1.acknowledge_within:" in err


def test_p3_and_p4_on_business_hours_show_the_breaches_past_tickets_would_not_have_had(
    recorded: Engine,
) -> None:
    """The fixture's tickets ran 24x7 on Monday 2 March 2026 from 09:00 UTC (04:00 in New York).
    Proposed: the shipped clocks, P3/P4 on the support calendar (New York, 09:00-17:00).

    A (P4) and B (P3) were acknowledged in time either way. C (P4; ack 11:50 UTC) missed its
    2 h acknowledgment at 11:00 UTC and went to L2; on business hours its 2 h start when New
    York opens (14:00 UTC) and are used up at 16:00 UTC, so the ack at 11:50 meets them: no
    breach, no escalation, no handoff."""
    business_hours = load_policy(time_scale=1)
    assert business_hours.clocks.calendar_for(1, "P4") == "support"
    comparison = simulate_window(
        recorded, business_hours, "business.toml", (SINCE, UNTIL), REPLAYED_UNTIL
    )

    assert comparison["tickets"] == 3
    assert cells(comparison, "breaches.acknowledgment") == {"P4 L1": (1, 0)}
    assert cells(comparison, "escalations.automatic") == {"P4 L1": (1, 0)}
    assert cells(comparison, "handoffs_received") == {"P4 L2": (1, 0)}
