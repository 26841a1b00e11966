"""The labelled corpus (tests/triage_corpus/): tickets opened the documented way, without a caller
priority or category, routed as a new user's would be, against what a support lead accepts.

tuning.toml is what the phrase lists were tuned on; heldout.toml was written before any tuning
and is scored apart. Each prints its confusion matrix (rows: the lead's first choice)."""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

import triage
from policy import load_policy
from policy.models import PRIORITY_ORDER
from procedure.routing import Routing, route

CORPUS = Path(__file__).with_name("triage_corpus")
POLICY = load_policy(time_scale=1)
ACCURACY_TARGET = 0.90


@dataclass(frozen=True)
class Case:
    text: str
    accept: tuple[str, ...]
    max_level: int
    security: str | None
    escalation: bool
    routed: Routing
    read: triage.Triage

    @property
    def priority_ok(self) -> bool:
        return self.routed.priority in self.accept

    @property
    def false_p1(self) -> bool:
        return self.routed.priority == "P1" and "P1" not in self.accept

    @property
    def missed_p1(self) -> bool:
        return self.accept == ("P1",) and self.routed.priority != "P1"


@cache
def cases(name: str) -> tuple[Case, ...]:
    """Each ticket's text is its subject, a newline and its description, as intake joins them."""
    tickets = tomllib.loads((CORPUS / f"{name}.toml").read_text(encoding="utf-8"))["ticket"]
    return tuple(
        Case(
            text=ticket["text"],
            accept=tuple(ticket["accept"]),
            max_level=ticket["max_level"],
            security=ticket.get("security"),
            escalation=ticket.get("escalation", False),
            routed=route(POLICY, ticket["text"], None, None),
            read=triage.assess(POLICY, ticket["text"]),
        )
        for ticket in tickets
    )


def confusion_matrix(found: tuple[Case, ...]) -> str:
    lines = ["lead \\ routed".ljust(16) + "".join(f"{p:>5}" for p in PRIORITY_ORDER)]
    for lead in PRIORITY_ORDER:
        row = [
            sum(1 for c in found if c.accept[0] == lead and c.routed.priority == routed)
            for routed in PRIORITY_ORDER
        ]
        lines.append(f"{lead:<16}" + "".join(f"{n:>5}" for n in row))
    return "\n".join(lines)


def report(name: str, found: tuple[Case, ...]) -> str:
    right = sum(c.priority_ok for c in found)
    levels = sum(c.routed.level <= c.max_level for c in found)
    misses = [
        f"  routed {c.routed.priority}, lead {'/'.join(c.accept)}: {c.text[:70]!r}"
        for c in found
        if not c.priority_ok
    ]
    return "\n".join(
        [
            f"{name}: {len(found)} tickets; priority accepted {right}/{len(found)} "
            f"({right / len(found):.1%}); starting level within the lead's {levels}/{len(found)}; "
            f"false P1 {sum(c.false_p1 for c in found)}, "
            f"missed P1 {sum(c.missed_p1 for c in found)}",
            confusion_matrix(found),
            *misses,
        ]
    )


@pytest.mark.parametrize("name", ["tuning", "heldout"])
def test_no_false_p1_no_missed_p1_and_ninety_percent_priorities(
    name: str, capsys: pytest.CaptureFixture[str]
):
    found = cases(name)
    with capsys.disabled():
        print("\n" + report(name, found))
    assert [c.text for c in found if c.false_p1] == []
    assert [c.text for c in found if c.missed_p1] == []
    assert sum(c.priority_ok for c in found) / len(found) >= ACCURACY_TARGET


@pytest.mark.parametrize("name", ["tuning", "heldout"])
def test_starting_levels_are_within_what_the_lead_accepts(name: str):
    found = cases(name)
    within = sum(c.routed.level <= c.max_level for c in found)
    assert within / len(found) >= ACCURACY_TARGET


@pytest.mark.parametrize("name", ["tuning", "heldout"])
def test_security_questions_never_go_above_level_two(name: str):
    questions = [c for c in cases(name) if c.security == "question"]
    assert questions
    assert [(c.text, c.routed.level) for c in questions if c.routed.level > 2] == []
    assert [c.text for c in questions if c.read.security_concern] == []


@pytest.mark.parametrize("name", ["tuning", "heldout"])
def test_security_incidents_go_to_senior_support_at_least(name: str):
    incidents = [c for c in cases(name) if c.security == "incident"]
    assert incidents
    assert [c.text for c in incidents if c.routed.level < POLICY.security_min_level] == []


@pytest.mark.parametrize("name", ["tuning", "heldout"])
def test_customers_asking_for_escalation_are_recognised(name: str):
    found = cases(name)
    assert [c.text for c in found if c.read.escalation_requested != c.escalation] == []
