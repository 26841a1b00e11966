"""Tickets opened before the system of record and the knowledge base replay unchanged: their
new commands (record_event, the intake search) sit behind workflow.patched.

The history was recorded with the ticket workflow core (commit d7405c4): a P3 ticket paused on
the customer, resumed, escalated, resolved and surveyed."""

from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.ticket import TicketWorkflow

HISTORY = Path(__file__).parent / "histories" / "before_store_p3_paused_escalated.json"


async def test_a_ticket_opened_before_the_store_replays_through_the_old_branches() -> None:
    history = WorkflowHistory.from_json("ticket-before-store", HISTORY.read_text("utf-8"))
    replayer = Replayer(workflows=[TicketWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
