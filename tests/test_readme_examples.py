"""README's `temporal` CLI and curl examples, run as written (only the API's address is swapped
for the test's free port) against a dev server, `python worker.py` and `python -m starter api`."""

import asyncio
import re
import subprocess

import pytest
from temporalio.testing import WorkflowEnvironment

from contract.status import TicketRecord
from starter.tickets import ticket_handle
from tests.stack import API_KEY, ROOT, Stack

README = ROOT / "README.md"
DOCUMENTED_API = "http://localhost:8000"


def readme_block(name: str) -> list[str]:
    """The commands of the ```sh block after `<!-- tested: name -->`, continuations joined."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- tested: {name} -->\n```sh\n(.*?)\n```", text, flags=re.S)
    assert match, f"README has no tested {name} block"
    return [line for line in match[1].replace("\\\n", " ").splitlines() if line.strip()]


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
    for command in readme_block(name):
        result = run(command, stack)
        assert result.returncode == 0, f"{command}\nexit {result.returncode}: {result.stderr}"
        outputs.append(result.stdout)
    return outputs


async def closed(env: WorkflowEnvironment, ticket_id: str) -> TicketRecord:
    handle = ticket_handle(env.client, ticket_id)
    return await asyncio.wait_for(handle.result(), timeout=30)


@pytest.mark.parametrize(
    ("block", "ticket_id", "score"), [("temporal", "T-1001", 5), ("curl", "T-1002", 4)]
)
async def test_readme_examples_run_as_written(
    stack: Stack, dev_env: WorkflowEnvironment, block: str, ticket_id: str, score: int
) -> None:
    commands = readme_block(block)
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
