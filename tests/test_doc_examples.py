"""The documents' `temporal` CLI and curl examples, run as written (only the API's address is
swapped for the test's free port) against a dev server, `python worker.py` and `python -m starter
api`. A block is tested when `<!-- tested: name -->` precedes it, in whichever document it lives."""

import asyncio
import re
import subprocess
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from contract.status import TicketRecord
from contract.tickets import TicketState
from starter.client.tickets import ticket_handle
from tests.documents import DOCUMENTS
from tests.helpers import eventually
from tests.stack import API_KEY, Stack

DOCUMENTED_API = "http://localhost:8000"
TESTED_BLOCK = re.compile(r"<!-- tested: (\S+) -->\n```sh\n(.*?)\n```", flags=re.S)
# Each block, the ticket it opens and the survey score it sends.
EXAMPLES = [("temporal", "T-1001", 5), ("curl", "T-1002", 4)]


def marked_blocks() -> dict[str, list[tuple[Path, str]]]:
    """Each tested block's name, with every document and body found under it."""
    found: dict[str, list[tuple[Path, str]]] = {}
    for document in DOCUMENTS:
        for match in TESTED_BLOCK.finditer(document.read_text(encoding="utf-8")):
            found.setdefault(match[1], []).append((document, match[2]))
    return found


def doc_block(name: str) -> list[str]:
    """The commands of the one ```sh block after `<!-- tested: name -->`, continuations joined."""
    places = marked_blocks().get(name, [])
    assert len(places) == 1, f"tested {name} block: {len(places)} in the documents, want 1"
    body = places[0][1]
    return [line for line in body.replace("\\\n", " ").splitlines() if line.strip()]


def test_every_block_marked_tested_is_run_here() -> None:
    # A marker promises the reader the block runs; one this module does not run would be a lie.
    assert set(marked_blocks()) == {block for block, _, _ in EXAMPLES}


def run(command: str, stack: Stack) -> subprocess.CompletedProcess[str]:
    command = command.replace(DOCUMENTED_API, stack.api_url)
    return subprocess.run(
        ["bash", "-c", command],
        env={**stack.env, "API_KEY": API_KEY},
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_all(name: str, stack: Stack) -> list[str]:
    outputs = []
    for command in doc_block(name):
        result = run(command, stack)
        assert result.returncode == 0, f"{command}\nexit {result.returncode}: {result.stderr}"
        outputs.append(result.stdout)
    return outputs


async def closed(env: WorkflowEnvironment, ticket_id: str) -> TicketRecord:
    """The record once the survey closed it; its workflow runs on through the reopen window."""
    handle = ticket_handle(env.client, ticket_id)
    return await eventually(handle, lambda r: r.state == TicketState.CLOSED, timeout=30)


@pytest.mark.parametrize(("block", "ticket_id", "score"), EXAMPLES)
async def test_documented_examples_run_as_written(
    stack: Stack, dev_env: WorkflowEnvironment, block: str, ticket_id: str, score: int
) -> None:
    commands = doc_block(block)
    actions = {"acknowledge", "respond", "customer_message", "messages", "resolution_attempt"}
    assert any(action in " ".join(commands) for action in actions)
    outputs = await asyncio.to_thread(run_all, block, stack)
    assert any(ticket_id in out for out in outputs)

    record = await closed(dev_env, ticket_id)
    events = [entry.event for entry in record.timeline if not entry.rejected]
    for event in ("acknowledged", "responded", "customer_message", "resolution_attempt"):
        assert event in events, events
    assert [h.to_level for h in record.handoffs][-1] == record.level
    assert events.count("resolved") == 2 and "reopened" in events
    assert record.survey is not None and record.survey.score == score
    assert not [entry for entry in record.timeline if entry.rejected]
