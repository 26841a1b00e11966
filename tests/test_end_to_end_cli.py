"""End to end through the `temporal` CLI alone, as a foreign client that speaks only JSON would:
start a ticket, act on it with signals and an update, read it with the `status` query, find it
with a visibility query, and see a malformed ticket fail at once with the field named.

The worker is the session's dev worker; the CLI talks to the same dev server over gRPC. Every CLI
call runs as a subprocess awaited on the event loop, so the in-process worker keeps running."""

import asyncio
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.conftest import VENV_BIN, Service

TEMPORAL = str(VENV_BIN / "temporal")
CLI_TIMEOUT = 30.0


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, f"temporal exited {self.code}: {self.err or self.out}"
        return json.loads(self.out)


def _isolated_env() -> dict[str, str]:
    """No TEMPORAL_* settings of the machine may redirect the CLI to another server."""
    return {key: value for key, value in os.environ.items() if not key.startswith("TEMPORAL_")}


async def temporal(service: Service, *args: str) -> Run:
    """One `temporal` CLI call against the dev server, in the default namespace."""
    return await temporal_at(service.env.client.service_client.config.target_host, *args)


async def temporal_at(address: str, *args: str) -> Run:
    """One `temporal` CLI call against the server at this address, in the default namespace."""
    process = await asyncio.create_subprocess_exec(
        TEMPORAL,
        *args,
        "--address",
        address,
        "--namespace",
        "default",
        "--disable-config-file",
        "--disable-config-env",
        "--color",
        "never",
        env=_isolated_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=CLI_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"temporal {' '.join(args)} took over {CLI_TIMEOUT}s") from None
    return Run(process.returncode or 0, out.decode(), err.decode())


def ticket_json(ticket_id: str, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ticket_id": ticket_id,
        "customer": {"name": "Grace Hopper", "email": "grace@example.com"},
        "subject": "API returns 500 on large orders",
        "description": "Since this morning orders over 100 lines get HTTP 500 from /orders.",
        "priority": "P2",
        "category": "api_integration_problems",
    }
    fields.update(overrides)
    return fields


async def start_by_cli(service: Service, ticket: dict[str, Any]) -> str:
    workflow_id = f"ticket-{ticket['ticket_id']}"
    run = await temporal(
        service,
        "workflow",
        "start",
        "--type",
        "TicketWorkflow",
        "--task-queue",
        service.task_queue,
        "--workflow-id",
        workflow_id,
        "--input",
        json.dumps(ticket),
    )
    service.opened.append(workflow_id)
    assert run.code == 0, run.err
    return workflow_id


async def signal(service: Service, workflow_id: str, name: str, payload: dict[str, Any]) -> None:
    run = await temporal(
        service,
        "workflow",
        "signal",
        "-w",
        workflow_id,
        "--name",
        name,
        "--input",
        json.dumps(payload),
    )
    assert run.code == 0, run.err


async def update(service: Service, workflow_id: str, name: str, payload: dict[str, Any]) -> Run:
    return await temporal(
        service,
        "workflow",
        "update",
        "execute",
        "-w",
        workflow_id,
        "--name",
        name,
        "--input",
        json.dumps(payload),
        "-o",
        "json",
    )


async def query_status(service: Service, workflow_id: str) -> dict[str, Any]:
    """The `status` query's JSON; a ticket still opening gets a few seconds to finish intake."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        run = await temporal(
            service, "workflow", "query", "-w", workflow_id, "--name", "status", "-o", "json"
        )
        if run.code == 0 or asyncio.get_running_loop().time() > deadline:
            [record] = run.json()["queryResult"]
            return record
        await asyncio.sleep(0.1)


async def eventually(
    service: Service,
    workflow_id: str,
    check: Callable[[dict[str, Any]], bool],
    timeout: float = 10.0,
) -> dict[str, Any]:
    """The status once `check` holds (signals are asynchronous), else the last one seen."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        record = await query_status(service, workflow_id)
        if check(record) or asyncio.get_running_loop().time() > deadline:
            return record
        await asyncio.sleep(0.1)


async def describe(service: Service, workflow_id: str) -> dict[str, Any]:
    return (await temporal(service, "workflow", "describe", "-w", workflow_id, "-o", "json")).json()


async def listed(service: Service, query: str, workflow_id: str, timeout: float = 10.0) -> bool:
    """Whether `temporal workflow list --query` finds the workflow (visibility lags a little)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = (await temporal(service, "workflow", "list", "--query", query, "-o", "json")).json()
        if any(item["execution"]["workflowId"] == workflow_id for item in found or []):
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.2)


def items(record: dict[str, Any], key: str) -> list[Any]:
    """The CLI prints an empty JSON array of a payload as null; read both as no items."""
    return record[key] or []


def events(record: dict[str, Any], rejected: bool = False) -> list[str]:
    return [e["event"] for e in items(record, "timeline") if e["rejected"] == rejected]


def has(event: str, count: int = 1) -> Callable[[dict[str, Any]], bool]:
    return lambda record: events(record).count(event) >= count


async def test_ticket_lifecycle_driven_only_by_the_temporal_cli(dev_service: Service):
    ticket_id = f"E2E-{uuid.uuid4().hex[:12]}"
    workflow_id = await start_by_cli(dev_service, ticket_json(ticket_id))

    record = await eventually(dev_service, workflow_id, lambda r: r["state"] == "open")
    assert (record["ticket_id"], record["priority"], record["level"]) == (ticket_id, "P2", 2)
    assert events(record) == ["opened", "routed"]
    assert record["deadlines"]["response"] is not None

    await signal(dev_service, workflow_id, "acknowledge", {"agent": "a"})
    record = await eventually(dev_service, workflow_id, lambda r: r["state"] == "acknowledged")
    assert record["deadlines"]["acknowledgment"] is None

    await signal(
        dev_service, workflow_id, "respond", {"agent": "a", "message": "Looking at the 500s"}
    )
    await signal(
        dev_service,
        workflow_id,
        "resolution_attempt",
        {"agent": "a", "action": "rotated the API key", "succeeded": False},
    )
    # Out-of-range values arrive as plain JSON too: the ticket records the rejection, naming it.
    await signal(dev_service, workflow_id, "survey_response", {"score": 9})
    await signal(
        dev_service,
        workflow_id,
        "escalate",
        {"by": "a", "reason": "beyond_expertise", "to_level": 3},
    )
    record = await eventually(dev_service, workflow_id, lambda r: r["level"] == 3)
    assert record["first_response_at"] is not None
    assert [a["action"] for a in items(record, "attempts")] == ["rotated the API key"]
    [rejected] = [e for e in items(record, "timeline") if e["rejected"]]
    assert rejected["event"] == "survey_response" and "score" in rejected["reason"]

    # The same action as an update: the caller gets the outcome as JSON.
    outcome = (
        await update(
            dev_service,
            workflow_id,
            "escalate",
            {"by": "lead", "reason": "significant_business_impact", "note": "needs a code fix"},
        )
    ).json()
    assert outcome["name"] == "escalate"
    result = outcome["result"]
    assert (result["ticket_id"], result["action"], result["level"], result["state"]) == (
        ticket_id,
        "escalate",
        4,
        "open",
    )
    assert result["entry"]["event"] == "escalated"
    assert result["entry"]["details"] == "L3 -> L4: needs a code fix"
    assert result["entry"]["reason"] == "manual:significant_business_impact"

    # An update the ticket cannot take is refused to the caller and leaves no trace.
    before = len(items(await query_status(dev_service, workflow_id), "timeline"))
    refused = await update(
        dev_service, workflow_id, "escalate", {"by": "lead", "reason": "other", "to_level": 2}
    )
    assert refused.code != 0
    assert "to_level 2 out of range" in refused.err
    assert len(items(await query_status(dev_service, workflow_id), "timeline")) == before

    await signal(
        dev_service, workflow_id, "resolve", {"by": "eng", "resolution": "Deployed the fix"}
    )
    await eventually(dev_service, workflow_id, lambda r: r["state"] == "resolved")
    await signal(dev_service, workflow_id, "survey_response", {"score": 5, "comment": "Fast!"})

    final = await eventually(dev_service, workflow_id, lambda r: r["state"] == "closed")
    assert final["closed_at"] is not None
    # Closed, yet reopenable by a reply until the follow-up window ends: the run goes on.
    description = await describe(dev_service, workflow_id)
    info = description["workflowExecutionInfo"]
    assert info["status"] == "WORKFLOW_EXECUTION_STATUS_RUNNING"
    assert [
        (h["from_level"], h["to_level"], h["reason"], h["by"]) for h in items(final, "handoffs")
    ] == [
        (2, 3, "manual:beyond_expertise", "a"),
        (3, 4, "manual:significant_business_impact", "lead"),
    ]
    assert final["survey"]["score"] == 5 and final["survey"]["comment"] == "Fast!"
    assert events(final) == [
        "opened",
        "routed",
        "acknowledged",
        "responded",
        "resolution_attempt",
        "escalated",
        "escalated",
        "resolved",
        "survey_answered",
        "closed",
    ]
    assert [e["seq"] for e in items(final, "timeline")] == list(range(1, 12))
    assert {n["kind"] for n in items(final, "notifications")} >= {
        "acknowledgment",
        "new_ticket",
        "handoff",
        "escalation_notice",
        "resolution",
        "survey",
    }

    assert await listed(dev_service, "TicketPriority = 'P2'", workflow_id)
    assert await listed(
        dev_service,
        f"WorkflowId = '{workflow_id}' AND TicketLevel = 4 AND TicketState = 'closed'",
        workflow_id,
    )


async def test_malformed_ticket_fails_promptly_naming_the_field(dev_service: Service):
    ticket = ticket_json(f"E2E-{uuid.uuid4().hex[:12]}")
    ticket["customer"]["email"] = "nope"
    workflow_id = await start_by_cli(dev_service, ticket)

    deadline = asyncio.get_running_loop().time() + 10
    while True:
        description = await describe(dev_service, workflow_id)
        status = description["workflowExecutionInfo"]["status"]
        if status != "WORKFLOW_EXECUTION_STATUS_RUNNING":
            break
        assert asyncio.get_running_loop().time() < deadline, "bad input left the workflow running"
        await asyncio.sleep(0.1)
    assert status == "WORKFLOW_EXECUTION_STATUS_FAILED"
    failure = description["closeEvent"]["workflowExecutionFailedEventAttributes"]["failure"]
    assert "customer.email" in failure["message"]

    result = await temporal(dev_service, "workflow", "result", "-w", workflow_id, "-o", "json")
    assert result.code != 0
    assert json.loads(result.out)["status"] == "FAILED"
    assert "customer.email" in result.out


async def test_agents_correct_triage_with_temporal_workflow_signal(dev_service: Service):
    ticket_id = f"E2E-{uuid.uuid4().hex[:12]}"
    workflow_id = await start_by_cli(
        dev_service,
        ticket_json(
            ticket_id,
            subject="Password reset email",
            description="The reset email takes a while to arrive.",
            priority="P3",
            category="password_resets",
        ),
    )
    record = await eventually(dev_service, workflow_id, lambda r: r["state"] == "open")
    assert (record["priority"], record["level"], record["assignee"]) == ("P3", 1, None)

    await signal(
        dev_service,
        workflow_id,
        "set_priority",
        {"by": "lead", "priority": "P1", "reason": "nobody in the company can log in"},
    )
    record = await eventually(dev_service, workflow_id, lambda r: r["level"] == 4)
    changed = [e for e in items(record, "timeline") if e["event"] == "priority_changed"]
    assert [(e["actor"], e["reason"], e["details"]) for e in changed] == [
        ("lead", "nobody in the company can log in", "P3 -> P1")
    ]
    assert [(h["to_level"], h["reason"]) for h in items(record, "handoffs")] == [
        (4, "priority_changed:P3->P1")
    ]

    await signal(
        dev_service,
        workflow_id,
        "recategorize",
        {"by": "lead", "category": "account_access_problems", "reason": "SSO, not passwords"},
    )
    await signal(dev_service, workflow_id, "assign", {"by": "lead", "agent": "sam"})
    # A bad correction sent as a signal is recorded as rejected, naming the field.
    await signal(dev_service, workflow_id, "recategorize", {"by": "lead", "category": "nope"})
    record = await eventually(dev_service, workflow_id, lambda r: r["assignee"] == "sam")
    assert record["category"] == "account_access_problems" and record["level"] == 4
    [rejected] = [e for e in items(record, "timeline") if e["rejected"]]
    assert rejected["event"] == "recategorize" and "reason" in rejected["reason"]
    assert await listed(dev_service, "TicketAssignee = 'sam'", workflow_id)

    # As updates, bad input is refused to the caller, naming the field.
    refused = await update(
        dev_service, workflow_id, "set_priority", {"by": "lead", "priority": "P9", "reason": "x"}
    )
    assert refused.code != 0 and "priority" in refused.err
    refused = await update(
        dev_service, workflow_id, "set_priority", {"by": "lead", "priority": "P2", "reason": " "}
    )
    assert refused.code != 0 and "reason" in refused.err
    lowered = (
        await update(
            dev_service,
            workflow_id,
            "set_priority",
            {"by": "lead", "priority": "P2", "reason": "one office only"},
        )
    ).json()["result"]
    assert (lowered["priority"], lowered["level"], lowered["entry"]["details"]) == (
        "P2",
        4,
        "P1 -> P2",
    )
