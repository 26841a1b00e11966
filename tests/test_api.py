"""The HTTP API as deployed: `python -m starter api` (uvicorn) and `python worker.py` as processes
against the real dev server; requests over real HTTP."""

import asyncio
import json
import math
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from activities.outbox import Outbox
from contract import workflow_id
from policy import load_policy
from starter.api.app import create_app
from starter.api.settings import ApiSettings
from starter.cli.main import run
from starter.client.tickets import open_ticket
from tests.helpers import eventually, ticket
from tests.stack import API_KEY, ROOT, Stack
from worker import build_worker

OPENAPI_FILE = ROOT / "docs" / "openapi.json"


def new_ticket(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ticket_id": f"API-{uuid.uuid4().hex[:10]}",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "subject": "Webhook signatures rejected",
        "description": "Every webhook signature fails since the SDK upgrade.",
        "priority": "P2",
        "category": "api_integration_problems",
    }
    body.update(overrides)
    return body


async def opened(http: httpx.AsyncClient, **overrides: Any) -> str:
    body = new_ticket(**overrides)
    response = await http.post("/tickets", json=body)
    assert response.status_code == 201, response.text
    return body["ticket_id"]


def field_named(response: httpx.Response, *loc: str) -> bool:
    """The 422 names the field in `loc`, as FastAPI does."""
    return any(tuple(error["loc"]) == loc for error in response.json()["detail"])


async def test_every_route_but_health_needs_a_key(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.api_url) as anonymous:
        assert (await anonymous.get("/healthz")).json() == {
            "status": "ok",
            "temporal": "reachable",
        }
        assert (await anonymous.get("/tickets")).status_code == 401
        assert (await anonymous.post("/tickets", json=new_ticket())).status_code == 401
        wrong = await anonymous.get("/alerts", headers={"X-API-Key": API_KEY + "x"})
        assert wrong.status_code == 401
        assert "X-API-Key" in wrong.json()["detail"]


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
async def test_the_docs_need_a_key_as_header_or_as_the_browser_password(
    stack: Stack, path: str
) -> None:
    async with httpx.AsyncClient(base_url=stack.api_url) as anonymous:
        refused = await anonymous.get(path)
        # The challenge makes a browser ask for the key (as the password) and send it again.
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith('Basic realm="API docs')
        assert (await anonymous.get(path, auth=("", API_KEY + "x"))).status_code == 401
        allowed = await anonymous.get(path, auth=("anyone", API_KEY))
        assert allowed.status_code == 200 and "Support escalation API" in allowed.text
        assert (await anonymous.get(path, headers={"X-API-Key": API_KEY})).status_code == 200


async def test_open_is_idempotent_and_the_ui_summary_shows_the_routed_level(
    stack: Stack, http: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    # No priority given and "outage" in the text: assessed P1, routed to L4 at once.
    body = new_ticket(
        priority=None, category="system_outages", subject="Checkout outage", description="All down"
    )
    first = await http.post("/tickets", json=body)
    again = await http.post("/tickets", json={**body, "subject": "different"})
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()["created"]) == (200, False)

    record = (await http.get(f"/tickets/{body['ticket_id']}")).json()
    assert (record["priority"], record["level"], record["subject"]) == ("P1", 4, "Checkout outage")
    description = await dev_env.client.get_workflow_handle(
        workflow_id(body["ticket_id"])
    ).describe()
    assert await description.static_summary() == f"{body['ticket_id']} · P1 · L4 · Checkout outage"
    details = await description.static_details()
    assert "Ada Lovelace" in details and "ada@example.com" not in details


async def test_bad_input_is_422_naming_the_field(http: httpx.AsyncClient) -> None:
    bad_email = new_ticket(customer={"name": "Ada", "email": "not-an-email"})
    response = await http.post("/tickets", json=bad_email)
    assert response.status_code == 422 and field_named(response, "body", "customer", "email")

    unknown = await http.post("/tickets", json={**new_ticket(), "prority": "P1"})
    assert unknown.status_code == 422 and field_named(unknown, "body", "prority")

    category = await http.post("/tickets", json=new_ticket(category="made_up"))
    assert category.status_code == 422 and field_named(category, "body", "category")

    ticket_id = await opened(http)
    reason = await http.post(f"/tickets/{ticket_id}/escalate", json={"by": "sam", "reason": "x"})
    assert reason.status_code == 422 and field_named(reason, "body", "reason")
    path = await http.get("/tickets/bad id!")
    assert path.status_code == 422 and field_named(path, "path", "ticket_id")
    level = await http.get("/tickets", params={"level": 9})
    assert level.status_code == 422 and field_named(level, "query", "level")


async def test_unknown_ticket_is_404_on_every_ticket_route(http: httpx.AsyncClient) -> None:
    missing = f"NOPE-{uuid.uuid4().hex[:8]}"
    assert (await http.get(f"/tickets/{missing}")).status_code == 404
    response = await http.post(f"/tickets/{missing}/acknowledge", json={"agent": "sam"})
    assert response.status_code == 404
    assert missing in response.json()["detail"]


async def test_a_ticket_lifecycle_through_every_action(http: httpx.AsyncClient) -> None:
    ticket_id = await opened(http)

    async def post(segment: str, body: dict[str, Any]) -> httpx.Response:
        return await http.post(f"/tickets/{ticket_id}/{segment}", json=body)

    ack = await post("acknowledge", {"agent": "sam"})
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    twice = await post("acknowledge", {"agent": "sam"})
    assert twice.status_code == 409 and "already acknowledged" in twice.json()["detail"]
    assert (await post("reopen", {"by": "sam", "reason": "x"})).status_code == 409

    assert (await post("respond", {"agent": "sam", "message": "Looking"})).status_code == 200
    attempt = await post("attempts", {"agent": "sam", "action": "rotate key", "succeeded": False})
    assert attempt.json()["entry"]["event"] == "resolution_attempt"
    message = await post("messages", {"message": "Any news?"})
    assert message.json()["entry"]["event"] == "customer_message"
    too_far = await post("escalate", {"by": "sam", "reason": "other", "to_level": 9})
    assert too_far.status_code == 409 and "to_level 9 out of range" in too_far.json()["detail"]
    escalated = await post("escalate", {"by": "sam", "reason": "beyond_expertise"})
    assert escalated.json()["level"] == 3

    assert (await post("resolve", {"by": "sam", "resolution": "Fixed"})).json()["state"] == (
        "resolved"
    )
    assert (await post("reopen", {"by": "ada", "reason": "back"})).json()["state"] == "open"
    await post("resolve", {"by": "sam", "resolution": "Fixed again"})
    closed = await post("survey", {"score": 5, "comment": "great"})
    assert closed.json()["state"] == "closed"

    after = await post("acknowledge", {"agent": "sam"})
    assert after.status_code == 409
    record = (await http.get(f"/tickets/{ticket_id}")).json()
    assert record["state"] == "closed" and record["survey"]["score"] == 5


async def test_agents_correct_triage_through_the_api(http: httpx.AsyncClient) -> None:
    ticket_id = await opened(
        http,
        priority="P3",
        category="password_resets",
        subject="Reset email slow",
        description="The reset email takes a while to arrive.",
    )

    async def post(segment: str, body: dict[str, Any]) -> httpx.Response:
        return await http.post(f"/tickets/{ticket_id}/{segment}", json=body)

    raised = await post("priority", {"by": "lead", "priority": "P1", "reason": "all staff out"})
    assert raised.status_code == 200, raised.text
    assert (raised.json()["priority"], raised.json()["level"]) == ("P1", 4)
    assert raised.json()["entry"]["reason"] == "all staff out"
    unknown = await post("priority", {"by": "lead", "priority": "P0", "reason": "x"})
    assert unknown.status_code == 422 and field_named(unknown, "body", "priority")
    empty = await post("priority", {"by": "lead", "priority": "P2", "reason": "  "})
    assert empty.status_code == 422 and field_named(empty, "body", "reason")
    same = await post("priority", {"by": "lead", "priority": "P1", "reason": "again"})
    assert same.status_code == 409 and same.json()["detail"].startswith("priority: ")

    wrong = await post("category", {"by": "lead", "category": "nope", "reason": "x"})
    assert wrong.status_code == 422 and field_named(wrong, "body", "category")
    moved = await post("category", {"by": "lead", "category": "system_outages", "reason": "SSO"})
    assert moved.json()["entry"]["details"] == "password_resets -> system_outages"

    assigned = await post("assignee", {"by": "lead", "agent": "sam"})
    assert assigned.json()["entry"]["event"] == "assigned"
    record = (await http.get(f"/tickets/{ticket_id}")).json()
    assert (record["assignee"], record["category"]) == ("sam", "system_outages")
    corrections = {"priority_changed", "recategorized", "assigned"}
    assert [e["event"] for e in record["timeline"] if e["event"] in corrections] == [
        "priority_changed",
        "recategorized",
        "assigned",
    ]
    for _ in range(100):  # visibility is eventually consistent
        rows = (await http.get("/tickets", params={"assignee": "sam"})).json()
        if any(row["ticket_id"] == ticket_id and row["assignee"] == "sam" for row in rows):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"{ticket_id} never listed by its assignee")

    await post("resolve", {"by": "sam", "resolution": "Fixed"})
    await post("survey", {"score": 4})
    closed = await post("priority", {"by": "lead", "priority": "P4", "reason": "done"})
    # Refused by the ticket while it settles, by the server once its workflow has completed.
    assert closed.status_code == 409
    assert closed.json()["detail"] in (
        "ticket is closed",
        f"ticket {ticket_id} has ended (completed)",
    )


async def test_list_filters_by_search_attributes_and_next_deadline(
    http: httpx.AsyncClient,
) -> None:
    ticket_id = await opened(
        http,
        priority="P4",
        category="password_resets",
        subject="Password reset",
        description="How do I reset my password?",
    )

    async def listed(**params: Any) -> list[str]:
        response = await http.get("/tickets", params=params)
        assert response.status_code == 200, response.text
        return [row["ticket_id"] for row in response.json()]

    async def indexed() -> dict[str, Any]:
        for _ in range(100):  # visibility is eventually consistent
            rows = (await http.get("/tickets", params={"priority": "P4", "level": 1})).json()
            row = next((r for r in rows if r["ticket_id"] == ticket_id), None)
            if row and row["next_deadline"]:
                return row
            await asyncio.sleep(0.1)
        raise AssertionError(f"{ticket_id} never listed with a next deadline")

    row = await indexed()
    assert (row["state"], row["sla_breached"], row["category"]) == (
        "open",
        False,
        "password_resets",
    )
    # P4 at L1: the 2h acknowledgment deadline comes first. The stack runs the shipped policy, whose
    # P4 clock keeps business hours, so those 2 hours can end on the next working day: the filter
    # must agree with the deadline the ticket published, whatever the wall clock says now.
    left = datetime.fromisoformat(row["next_deadline"]) - datetime.now(UTC)
    assert left >= timedelta(minutes=119)
    assert ticket_id in await listed(due_within_minutes=math.ceil(left / timedelta(minutes=1)) + 1)
    assert ticket_id not in await listed(due_within_minutes=60)
    assert ticket_id not in await listed(priority="P1")


async def test_alerts_lists_the_dashboard_alerts_of_breached_tickets(
    http: httpx.AsyncClient, dev_env: WorkflowEnvironment, tmp_path: Path, sqlite_engine: Engine
) -> None:
    # A worker whose hour lasts a second, on its own queue: the P1 response SLA (15 min) is
    # missed within a second, so the ticket is breached for real.
    queue = f"fast-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        fast = build_worker(
            dev_env.client,
            load_policy(time_scale=3600),
            queue,
            Outbox(tmp_path),
            executor,
            sqlite_engine,
        )
        async with fast:
            handle = await open_ticket(dev_env.client, ticket(priority="P1"), queue=queue)
            await eventually(handle, lambda r: r.sla_breached)
            ticket_id = handle.id.removeprefix("ticket-")
            found: list[dict[str, Any]] = []
            for _ in range(100):
                body = (await http.get("/alerts")).json()
                found = [a for a in body["alerts"] if a["ticket_id"] == ticket_id]
                if any(a["kind"] == "sla_breach" for a in found):
                    break
                await asyncio.sleep(0.1)
            await handle.terminate("test finished")
    kinds = {a["kind"] for a in found}
    assert "sla_breach" in kinds, found
    assert all(a["notification_id"].startswith(f"{ticket_id}:") for a in found)


async def test_body_size_is_limited(http: httpx.AsyncClient) -> None:
    huge = new_ticket(description="x" * 300_000)
    response = await http.post("/tickets", json=huge)
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # a generator body goes without Content-Length
        yield json.dumps(huge).encode()

    chunked = await http.post(
        "/tickets",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert chunked.status_code == 413


async def test_served_openapi_schema_is_the_committed_one(http: httpx.AsyncClient) -> None:
    served = (await http.get("/openapi.json")).json()
    built = create_app(ApiSettings()).openapi()
    committed = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert served == built == committed, (
        "docs/openapi.json is stale: .venv/bin/python -m starter api --openapi > docs/openapi.json"
    )


async def test_api_refuses_to_start_without_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("API_KEYS", " , ")
    assert await asyncio.wait_for(run(["api"]), timeout=10) == 2  # exits, never serves
    assert "API_KEYS" in capsys.readouterr().err


async def test_a_ticket_whose_intake_failed_is_409_with_the_reason(
    http: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    # Started past the API (which checks categories first): the workflow refuses it.
    handle = await open_ticket(
        dev_env.client, ticket(category="made_up_category"), queue="support-escalation"
    )
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    ticket_id = handle.id.removeprefix("ticket-")
    response = await http.get(f"/tickets/{ticket_id}")
    assert response.status_code == 409
    assert "failed" in response.json()["detail"] and "category" in response.json()["detail"]
    action = await http.post(f"/tickets/{ticket_id}/acknowledge", json={"agent": "sam"})
    assert action.status_code == 409 and "ended" in action.json()["detail"]
