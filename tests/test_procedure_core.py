"""The core's shape: no Temporal, one entry point, events that replay from JSON."""

import subprocess
import sys
from datetime import datetime
from typing import get_args

import pytest

from contract.signals import SIGNAL_INPUTS
from contract.status import Deadlines, TicketRecord
from procedure import decide
from procedure.events import (
    ACTIONS,
    EVENT,
    DeadlineDue,
    DeadlineName,
    Event,
    Opened,
    action_event,
)
from tests.procedure_driver import HOUR, OPENED_AT, POLICY, submission
from tests.stack import ROOT


def test_the_procedure_imports_no_temporal():
    code = "import sys, procedure, procedure.events; print('temporalio' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_every_signal_is_an_action_event_and_every_deadline_can_fall_due():
    assert set(ACTIONS) == set(SIGNAL_INPUTS)
    assert set(get_args(DeadlineName)) == set(Deadlines.model_fields)


def test_stored_events_replay_to_the_same_record():
    """A ticket's events as JSON, read back and decided again, give the same ticket."""
    timeline: list[tuple[datetime, Event]] = [
        (OPENED_AT, Opened(ticket=submission(priority="P3"))),
        (OPENED_AT + HOUR, action_event("acknowledge", SIGNAL_INPUTS["acknowledge"](agent="sam"))),
        (
            OPENED_AT + 3 * HOUR,  # before the response is due (4 h): the action comes first
            action_event("escalate", SIGNAL_INPUTS["escalate"](by="sam", reason="other")),
        ),
        (OPENED_AT + 4 * HOUR, DeadlineDue(deadline="customer_update")),
    ]
    stored = [(at.isoformat(), EVENT.dump_json(event).decode()) for at, event in timeline]

    def run(events: list[tuple[datetime, Event]]) -> TicketRecord | None:
        state = None
        for at, event in events:
            state, _ = decide(state, POLICY, event, at)
        return state

    replayed = [(datetime.fromisoformat(at), EVENT.validate_json(raw)) for at, raw in stored]
    assert [event for _, event in replayed] == [event for _, event in timeline]
    original = run(timeline)
    assert original is not None and original.level == 2 and len(original.timeline) == 5
    assert run(replayed) == original


def test_decide_leaves_the_state_it_was_given_unchanged():
    opened, _ = decide(None, POLICY, Opened(ticket=submission()), OPENED_AT)
    before = opened.model_dump()
    escalate = action_event("escalate", SIGNAL_INPUTS["escalate"](by="sam", reason="other"))
    after, _ = decide(opened, POLICY, escalate, OPENED_AT + HOUR)
    assert opened.model_dump() == before
    assert after.level == 2 and opened.level == 1


def test_events_before_the_ticket_opens_or_a_second_opening_are_refused():
    with pytest.raises(ValueError, match="has not been opened"):
        decide(None, POLICY, DeadlineDue(deadline="response"), OPENED_AT)
    opened, _ = decide(None, POLICY, Opened(ticket=submission()), OPENED_AT)
    with pytest.raises(ValueError, match="already open"):
        decide(opened, POLICY, Opened(ticket=submission()), OPENED_AT)
