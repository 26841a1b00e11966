"""`python -m starter` against the real dev server: in-process for speed, as a process where the
exit code and the entry point themselves are under test."""

import asyncio
import os
import re
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from contract import workflow_id
from contract.tickets import TicketState
from starter.cli.main import run
from starter.cli.samples import SAMPLE_TICKETS
from tests.conftest import Service
from tests.helpers import start, status

SAMPLE_IDS = {workflow_id(sample.ticket_id) for sample in SAMPLE_TICKETS}


@dataclass
class Result:
    code: int
    out: str
    err: str


def address(service: Service) -> str:
    return service.env.client.service_client.config.target_host


@pytest.fixture
def cli_service(dev_service: Service, monkeypatch: pytest.MonkeyPatch) -> Service:
    """The dev service, with the environment the CLI reads its connection and queue from."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", address(dev_service))
    monkeypatch.setenv("TASK_QUEUE", dev_service.task_queue)
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "default")
    monkeypatch.delenv("TEMPORAL_API_KEY", raising=False)
    monkeypatch.delenv("SAMPLE_TICKETS", raising=False)
    return dev_service


async def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
    capsys.readouterr()  # drop what earlier steps printed
    code = await run(list(argv))
    out, err = capsys.readouterr()
    return Result(code, out, err)


async def cli_process(*argv: str) -> Result:
    """`python -m starter` as its own process; asyncio's subprocess keeps the worker running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "starter",
        *argv,
        env=dict(os.environ),  # cli_service already set TEMPORAL_ADDRESS and TASK_QUEUE
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=20)
    return Result(process.returncode or 0, out.decode(), err.decode())


async def until_listed(workflow_id: str, run: Callable[[], Awaitable[Result]]) -> Result:
    """Visibility is eventually consistent: run the listing until the ticket shows up."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        listed = await run()
        if workflow_id in listed.out or asyncio.get_running_loop().time() > deadline:
            return listed
        await asyncio.sleep(0.2)


def new_id() -> str:
    return f"CLI-{uuid.uuid4().hex[:10]}"


def opened(service: Service, ticket_id: str) -> str:
    """Register a CLI-opened ticket with the fixture, so teardown terminates it."""
    service.opened.append(workflow_id(ticket_id))
    return ticket_id


async def test_open_by_flags_then_status_shows_the_routed_level(
    cli_service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket_id = opened(cli_service, new_id())
    flags = [
        *("open", "--id", ticket_id, "--name", "Ada Lovelace", "--email", "ada@example.com"),
        *("--subject", "Webhook retries", "--description", "How often is a webhook retried?"),
        *("--priority", "P3", "--category", "api_integration_problems"),
    ]

    first = await cli(capsys, *flags)
    again = await cli(capsys, *flags)
    shown = await cli(capsys, "status", ticket_id)

    assert first.code == 0 and "opened new ticket" in first.out, first
    assert again.code == 0 and "already exists" in again.out, again
    assert shown.code == 0, shown
    # api_integration_problems belongs to L2: the ticket starts there, not at L1.
    assert re.search(r"^Level:\s+L2 ", shown.out, re.MULTILINE), shown.out
    assert re.search(r"^Priority:\s+P3 \(caller\)", shown.out, re.MULTILINE), shown.out
    assert "routed by system [L2:" in shown.out


async def test_open_with_bad_input_exits_2_naming_each_field(cli_service: Service) -> None:
    ticket_id = new_id()
    result = await cli_process(
        *("open", "--id", ticket_id, "--name", "Ada", "--email", "not-an-email"),
        *("--subject", "s", "--description", "d", "--priority", "P9"),
    )

    assert result.code == 2, result
    problems = result.err.splitlines()
    assert any(line.startswith("customer.email: ") for line in problems), result.err
    assert any(line.startswith("priority: ") for line in problems), result.err
    # Validated before sending: no workflow exists for the id.
    with pytest.raises(RPCError) as missing:
        await cli_service.client.get_workflow_handle(workflow_id(ticket_id)).describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND


async def test_ack_moves_the_ticket_to_acknowledged(
    cli_service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = await start(cli_service)
    ticket_id = (await status(handle)).ticket_id

    acked = await cli(capsys, "ack", ticket_id, "--agent", "alice")
    twice = await cli(capsys, "ack", ticket_id, "--agent", "alice")

    assert acked.code == 0, acked
    assert "acknowledged by alice" in acked.out
    record = await status(handle)
    assert record.state == TicketState.ACKNOWLEDGED
    assert record.timeline[-1].actor == "alice"
    assert twice.code == 1 and twice.err.startswith("rejected: already acknowledged"), twice


async def test_escalate_to_level_9_is_rejected_naming_to_level(
    cli_service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = await start(cli_service)
    ticket_id = (await status(handle)).ticket_id

    result = await cli(
        capsys, "escalate", ticket_id, "--by", "bob", "--reason", "other", "--to-level", "9"
    )

    assert result.code == 1, result
    assert result.err.startswith("rejected: "), result.err
    assert "to_level 9" in result.err
    record = await status(handle)
    assert record.level == 1 and not record.handoffs


async def test_list_by_priority_finds_p1_and_not_p4(
    cli_service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    p1 = await start(cli_service, priority="P1", category="system_outages")
    p4 = await start(cli_service)
    for handle in (p1, p4):
        await status(handle)  # intake done: the search attributes are set

    listed = await until_listed(p1.id, lambda: cli(capsys, "list", "--priority", "P1"))

    assert listed.code == 0, listed
    row = next((line for line in listed.out.splitlines() if line.startswith(p1.id)), "")
    assert re.search(r"\bP1\s+L4\s+open\b", row), listed.out
    assert p4.id not in listed.out


async def test_list_by_a_level_no_policy_can_have_exits_2_naming_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    listed = await cli(capsys, "list", "--level", "5")

    assert listed.code == 2
    assert "--level: invalid choice: 5" in listed.err


async def test_samples_twice_open_exactly_three_tickets(
    cli_service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_service.opened.extend(sorted(SAMPLE_IDS))
    first = await cli_process("samples")
    second = await cli(capsys, "samples")

    assert first.code == 0, first
    assert first.out.count("opened new ticket") == 3, first.out
    assert second.code == 0 and second.out.count("already exists") == 3, second.out
    query = "WorkflowId STARTS_WITH 'ticket-SAMPLE-'"
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        runs = [wf.id async for wf in cli_service.client.list_workflows(query)]
        if set(runs) >= SAMPLE_IDS or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    assert sorted(runs) == sorted(SAMPLE_IDS)  # one run each: nothing duplicated


async def test_samples_off_does_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAMPLE_TICKETS", "0")
    # An unreachable server proves the command does not even connect.
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")

    result = await cli(capsys, "samples")

    assert result.code == 0, result
    assert "SAMPLE_TICKETS=0" in result.out


async def test_open_with_a_category_the_policy_lacks_exits_2(
    cli_service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket_id = new_id()
    result = await cli(
        capsys,
        *("open", "--id", ticket_id, "--name", "Ada", "--email", "ada@example.com"),
        *("--subject", "s", "--description", "d", "--category", "password_reset"),
    )

    assert result.code == 2, result
    assert result.err.startswith("category: 'password_reset' is not one of"), result.err
    with pytest.raises(RPCError):
        await cli_service.client.get_workflow_handle(workflow_id(ticket_id)).describe()


async def test_status_of_a_failed_ticket_says_why_instead_of_waiting(
    cli_service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    # Opened past the CLI's check: the workflow itself fails the unknown category.
    handle = await start(cli_service, category="no_such_category")
    ticket_id = handle.id.removeprefix("ticket-")
    with pytest.raises(WorkflowFailureError):
        await asyncio.wait_for(handle.result(), timeout=10)

    result = await cli(capsys, "status", ticket_id, "--timeout", "5")

    assert result.code == 1, result
    assert f"ticket {ticket_id} failed: category: 'no_such_category'" in result.err


async def test_alerts_lists_running_tickets_with_dashboard_alerts(
    cli_service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    p2 = await start(cli_service, priority="P2", category="api_integration_problems")
    p4 = await start(cli_service)
    for handle in (p2, p4):
        await status(handle)

    listed = await until_listed(p2.id, lambda: cli_process("alerts"))

    assert listed.code == 0, listed
    row = next((line for line in listed.out.splitlines() if line.startswith(p2.id)), "")
    assert re.search(r"\bP2\s+L2\s+open\b.*alerts: new_ticket$", row), listed.out
    assert p4.id not in listed.out  # P4 notifies by email only: no dashboard alert
    shown = await cli(capsys, "status", p2.id.removeprefix("ticket-"))
    assert re.search(r"^Alerts:\s+new_ticket$", shown.out, re.MULTILINE), shown.out
    assert re.search(r"^Notified:\s+\d+ (sent|outbox|pending)", shown.out, re.MULTILINE)


async def test_agents_correct_triage_from_the_cli(
    cli_service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = await start(cli_service, priority="P3", category="password_resets")
    ticket_id = (await status(handle)).ticket_id

    raised = await cli(
        capsys, "set-priority", ticket_id, "--by", "lead", "--priority", "P2", "--reason", "payroll"
    )
    moved = await cli(
        capsys,
        *("recategorize", ticket_id, "--by", "lead", "--category", "account_access_problems"),
        *("--reason", "SSO, not passwords"),
    )
    assigned = await cli(capsys, "assign", ticket_id, "--by", "lead", "--agent", "sam")
    unknown = await cli_process(
        "set-priority", ticket_id, "--by", "lead", "--priority", "P7", "--reason", "x"
    )
    wrong = await cli(
        capsys, "recategorize", ticket_id, "--by", "lead", "--category", "nope", "--reason", "x"
    )

    assert raised.code == 0 and "priority_changed by lead [payroll] - P3 -> P2" in raised.out
    assert moved.code == 0 and "password_resets -> account_access_problems" in moved.out
    assert assigned.code == 0 and "assigned by lead" in assigned.out
    assert unknown.code == 2 and unknown.err.startswith("priority: "), unknown
    assert wrong.code == 1 and wrong.err.startswith("rejected: category: 'nope'"), wrong
    shown = await cli(capsys, "status", ticket_id)
    assert re.search(r"^Assignee:\s+sam$", shown.out, re.MULTILINE), shown.out
    assert re.search(r"^Priority:\s+P2 ", shown.out, re.MULTILINE), shown.out
    listed = await until_listed(
        handle.id, lambda: cli(capsys, "list", "--assignee", "sam", "--limit", "1000")
    )
    assert handle.id in listed.out, listed
