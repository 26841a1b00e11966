"""Reopening end to end, on the stack (API and worker processes, the dev server). Within the
reopen window a message reopens even a ticket its survey closed, under its id. After the window
its workflow has ended: a customer's message (by the API or by email) or an agent's reopen opens
a follow-up ticket related to it, never a lost message; the ended ticket ran on a worker whose
follow-up window lasts a second."""

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.outbox import Outbox
from policy import load_policy
from starter.cli.main import run
from starter.client import tickets
from tests.customer_channel import record, reply_to, resolved
from tests.helpers import ticket
from tests.stack import Stack
from tests.test_inbound_webhook import post_email
from worker import build_worker


@pytest_asyncio.fixture(loop_scope="session")
async def short_window(
    dev_env: WorkflowEnvironment, tmp_path: Path, sqlite_engine: Engine
) -> AsyncIterator[str]:
    """A worker on its own queue whose follow-up window is one second."""
    policy = load_policy(time_scale=1).around_the_clock()
    policy = policy.model_copy(update={"follow_up_window": timedelta(seconds=1)})
    queue = f"short-window-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(
            dev_env.client, policy, queue, Outbox(tmp_path), executor, sqlite_engine
        ):
            yield queue


async def ended_ticket(client: Client, queue: str) -> str:
    """A ticket resolved, surveyed, and past its one-second window: its workflow completed."""
    handle = await tickets.open_ticket(client, ticket(), queue=queue)
    ticket_id = handle.id.removeprefix("ticket-")
    for action, payload in [
        ("acknowledge", {"agent": "sam"}),
        ("resolve", {"by": "sam", "resolution": "Sent the invoice link"}),
        ("survey_response", {"score": 5}),
    ]:
        await tickets.act_once_opened(client, ticket_id, action, payload)
    final = await handle.result()
    assert final.state == "closed"
    return ticket_id


async def test_a_message_within_the_window_reopens_a_ticket_its_survey_closed_keeping_its_record(
    http: httpx.AsyncClient,
) -> None:
    ticket_id = await resolved(http)
    closed = await http.post(f"/tickets/{ticket_id}/survey", json={"score": 2, "comment": "Slow"})
    assert closed.json()["state"] == "closed"
    answer = await http.post(f"/tickets/{ticket_id}/messages", json={"message": "Broken again"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["ticket_id"] == ticket_id and answer.json()["state"] == "open"
    reopened = await record(http, ticket_id)
    events = [e["event"] for e in reopened["timeline"]]
    assert events[-2:] == ["customer_message", "reopened"]
    assert {"resolved", "survey_answered", "low_satisfaction", "closed"} <= set(events)
    assert reopened["survey"]["score"] == 2 and reopened["closed_at"] is None
    assert reopened["deadlines"]["acknowledgment"] is not None  # the level's clocks run again
    again = await http.post(
        f"/tickets/{ticket_id}/resolve", json={"by": "sam", "resolution": "Fixed the cache"}
    )
    assert again.json()["state"] == "resolved"


async def test_a_message_after_the_reopen_window_opens_a_related_ticket_and_later_ones_join_it(
    http: httpx.AsyncClient, dev_env: WorkflowEnvironment, short_window: str
) -> None:
    ended = await ended_ticket(dev_env.client, short_window)
    first = await http.post(f"/tickets/{ended}/messages", json={"message": "The invoice is gone"})
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["related_to"], body["ticket_id"], body["created"]) == (ended, f"{ended}-R1", True)

    follow_up = await record(http, body["ticket_id"])
    assert (follow_up["related_to"], follow_up["description"]) == (ended, "The invoice is gone")
    assert follow_up["customer"]["email"] == "ada@example.com"
    assert follow_up["timeline"][0]["reason"] == f"follow-up to {ended}"

    again = await http.post(f"/tickets/{ended}/messages", json={"message": "Still gone today"})
    assert again.status_code == 200, again.text
    assert (again.json()["ticket_id"], again.json()["created"]) == (f"{ended}-R1", False)
    assert again.json()["outcome"]["entry"]["details"] == "Still gone today"

    retried = await http.post(f"/tickets/{ended}/messages", json={"message": "The invoice is gone"})
    assert (retried.status_code, retried.json()["outcome"]) == (200, None)
    messages = [
        e
        for e in (await record(http, f"{ended}-R1"))["timeline"]
        if e["event"] == "customer_message"
    ]
    assert [m["details"] for m in messages] == ["Still gone today"]
    await tickets.ticket_handle(dev_env.client, f"{ended}-R1").terminate("test finished")


async def test_a_reply_email_after_the_reopen_window_opens_a_related_ticket_once(
    stack: Stack, http: httpx.AsyncClient, dev_env: WorkflowEnvironment, short_window: str
) -> None:
    ended = await ended_ticket(dev_env.client, short_window)
    email = {"text": "Hello again, the export fails now.", "message_id": f"<{uuid.uuid4()}@x>"}
    answer = await post_email(stack, reply_to(ended), **email)
    replayed = await post_email(stack, reply_to(ended), **email)
    assert answer.status_code == replayed.status_code == 200
    result = answer.json()
    assert (result["status"], result["ticket_id"]) == ("accepted", ended)
    assert result["follow_up"]["ticket_id"] == f"{ended}-R1" and result["follow_up"]["created"]
    assert replayed.json()["follow_up"]["created"] is False
    follow_up = await record(http, f"{ended}-R1")
    assert follow_up["description"] == "Hello again, the export fails now."
    assert [e["event"] for e in follow_up["timeline"]].count("customer_message") == 0
    await tickets.ticket_handle(dev_env.client, f"{ended}-R1").terminate("test finished")


async def test_reopen_after_the_reopen_window_opens_a_related_ticket_with_the_reason(
    http: httpx.AsyncClient, dev_env: WorkflowEnvironment, short_window: str
) -> None:
    ended = await ended_ticket(dev_env.client, short_window)
    answer = await http.post(
        f"/tickets/{ended}/reopen", json={"by": "lee", "reason": "Customer called: same error"}
    )
    assert answer.status_code == 201, answer.text
    follow_up = await record(http, answer.json()["ticket_id"])
    assert follow_up["related_to"] == ended
    assert follow_up["description"].startswith("Customer called: same error")
    assert "lee" in follow_up["description"]
    refused = await http.post(f"/tickets/{ended}/acknowledge", json={"agent": "sam"})
    assert refused.status_code == 409 and "has ended" in refused.json()["detail"]
    await tickets.ticket_handle(dev_env.client, answer.json()["ticket_id"]).terminate("done")


async def test_the_cli_tells_where_a_message_after_the_reopen_window_went(
    stack: Stack,
    dev_env: WorkflowEnvironment,
    short_window: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ended = await ended_ticket(dev_env.client, short_window)
    for name in ("TEMPORAL_ADDRESS", "TASK_QUEUE"):
        monkeypatch.setenv(name, stack.env[name])
    capsys.readouterr()
    assert await run(["message", ended, "--message", "Hello again"]) == 0
    assert await run(["message", ended, "--message", "Still there?"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"ticket {ended} is past its reopen window: opened follow-up ticket {ended}-R1",
        f"ticket {ended} is past its reopen window: sent it to its follow-up ticket {ended}-R1",
    ]
    await tickets.ticket_handle(dev_env.client, f"{ended}-R1").terminate("test finished")
