"""Every malformed-input family of issue 10, sent to running tickets and to the HTTP API while
their deadlines run: no ticket may stick, no request may get a 500, and the tickets' next
deadline (their breach) must still fire on time and page as it should.

The shapes are the tests' own (tests/test_payload_shapes.py, tests/test_api_errors.py): the same
families, here all at once against the deployed processes."""

import asyncio
import time
from collections import Counter

import httpx
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError

from bench.chaos.figures import Figures
from bench.chaos.harness import QUEUE, Harness, escalated_and_delivered
from contract import WORKFLOW_TYPE
from contract.signals import SIGNAL_INPUTS
from tests.stack import API_KEY, free_port, spawn, stack_env, stop, wait_healthy
from tests.test_api_errors import JSON, ROUTES, spoiled
from tests.test_end_to_end_cli import temporal_at
from tests.test_payload_shapes import SHAPES, WEDGED

VICTIMS = 4  # running tickets that get every malformed signal and update
# Values JSON can hold that Python's float or str cannot (issue 10: they got 500s).
BAD_VALUES = [b"1e999", b"-1e999", b"NaN", b"Infinity", b'"\\ud800"', b'"ok \\udc00 ok"']


async def malformed_inputs(h: Harness) -> Figures:
    await h.worker("worker").start(h.temporal)
    await h.start_storm(VICTIMS)
    await h.records()  # every victim has opened: an update would otherwise find it opening
    victims = [h.temporal.get_workflow_handle(f"ticket-{t}") for t in h.ticket_ids]
    signals = 0
    for handle in victims:
        for name in [*SIGNAL_INPUTS, "no_such_action"]:
            for args, _said in SHAPES.values():
                await handle.signal(name, args=args)
                signals += 1
    updates = 0
    for args, _said in SHAPES.values():
        try:
            await victims[0].execute_update("acknowledge", args=args)
            h.figures.notes.append(f"an update with {args!r} was accepted")
        except WorkflowUpdateFailedError:
            updates += 1
    cli = await temporal_at(h.server.address, "workflow", "signal", "--name", "acknowledge",
                            "-w", victims[0].id)  # fmt: skip
    assert cli.code == 0, cli.err
    starts = await bad_starts(h)
    answers = await bad_bodies(h)
    h.figures.server_errors = answers.count(500)
    h.figures.faults = (
        f"{signals + 1} signals, {updates} updates, {len(starts)} starts, "
        f"{len(answers)} HTTP bodies, all malformed"
    )
    figures = await h.conclude(await h.settle(escalated_and_delivered))
    figures.stuck += await h.stuck(starts)
    figures.stuck += await still_running(h.temporal, starts)
    return figures


async def bad_starts(h: Harness) -> list[str]:
    """Every shape as a ticket's start input, through the SDK, and the CLI's start without
    input: each must fail at once, naming what is wrong."""
    ids = []
    for shape, (args, _said) in SHAPES.items():
        handle = await h.temporal.start_workflow(
            WORKFLOW_TYPE, args=args, id=f"ticket-bad-start-{shape}", task_queue=QUEUE
        )
        ids.append(handle.id)
    cli = await temporal_at(h.server.address, "workflow", "start", "--type", WORKFLOW_TYPE,
                            "--task-queue", QUEUE, "-w", "ticket-bad-start-cli")  # fmt: skip
    assert cli.code == 0, cli.err
    return [*ids, "ticket-bad-start-cli"]


async def still_running(client: Client, workflow_ids: list[str]) -> list[str]:
    """Starts that have not failed within the tests' WEDGED seconds."""
    found = []
    for wid in workflow_ids:
        try:
            await asyncio.wait_for(client.get_workflow_handle(wid).result(), timeout=WEDGED)
            found.append(f"{wid}: a malformed start completed")
        except WorkflowFailureError:
            pass
        except TimeoutError:
            found.append(f"{wid}: a malformed start still runs after {WEDGED} s")
    return found


async def bad_bodies(h: Harness) -> list[int]:
    """Non-finite numbers and lone surrogates in a field and as a key, on every route of the
    HTTP API process: the status of each answer."""
    port = free_port()
    env = stack_env(h.server.address, h.directory / "api", port) | {"TASK_QUEUE": QUEUE}
    log = h.directory / "api.log"
    api = spawn(["-m", "starter", "api"], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_healthy, url, api, log)
        bodies = [spoiled(route, value) for route in ROUTES for value in BAD_VALUES]
        bodies += [spoiled(route, b"1", field="\ud800") for route in ROUTES]
        routes = [route for route in ROUTES for _ in BAD_VALUES] + ROUTES
        headers = JSON | {"X-API-Key": API_KEY}
        began = time.time()
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            answers = [
                (await http.post(r, content=b)).status_code
                for r, b in zip(routes, bodies, strict=True)
            ]
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(Counter(answers).items()))
        h.figures.notes.append(f"HTTP answers: {statuses} (in {time.time() - began:.1f} s)")
        return answers
    finally:
        stop(api)
