"""What each subcommand does against Temporal; each returns the process exit code."""

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import uvicorn
from temporalio.client import Client, WorkflowExecution, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from calendars import AROUND_THE_CLOCK, BusinessClock
from calendars.formatting import local_time
from channel import settings as channel_settings
from contract import task_queue
from contract.review import REVIEW_SCHEDULE_ID
from contract.ticket_input import TicketInput
from policy.loader import PolicyError, load_policy
from reports import build
from reports.window import report_window
from simulation.render import render as render_simulation
from simulation.run import simulate_window
from starter.api.app import create_app
from starter.api.settings import settings_from_env
from starter.cli import render
from starter.cli.errors import CliError, input_error
from starter.cli.payloads import ACTIONS, action_payload, ticket_payload
from starter.cli.samples import SAMPLE_TICKETS, samples_enabled
from starter.client import follow_ups, tickets
from starter.client.lifecycle import abnormal_end
from starter.client.queries import TicketFilter, build_query
from starter.client.review import review_now
from starter.client.validation import category_problem
from store.database import create_store_engine
from store.setup import prepare_store
from temporal_setup.connection import connect
from temporal_setup.review_schedule import ensure_review_schedule
from temporal_setup.search_attributes import register_search_attributes

T = TypeVar("T")
Command = Callable[[argparse.Namespace], Awaitable[int]]


async def client() -> Client:
    try:
        return await connect()
    except Exception as err:  # the SDK raises plain RuntimeError for unreachable servers
        address = os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
        raise CliError(f"cannot connect to Temporal at {address}: {err}") from err


async def within(seconds: float, what: str, awaitable: Awaitable[T]) -> T:
    """Bound a call that waits for a worker, so a stopped worker gives an error, not a hang."""
    try:
        return await asyncio.wait_for(awaitable, timeout=seconds)
    except TimeoutError:
        raise CliError(
            f"{what}: no answer within {seconds:g}s; is a worker polling task queue "
            f"{task_queue()!r}?"
        ) from None


async def init(_args: argparse.Namespace) -> int:
    engine = create_store_engine()
    articles = await asyncio.to_thread(prepare_store, engine)
    print(f"records database {engine.url!r} is up to date; {articles} knowledge-base articles")
    temporal = await client()
    added = await register_search_attributes(temporal)
    print(f"registered: {', '.join(added)}" if added else "search attributes already registered")
    created = await ensure_review_schedule(temporal, team_zone())
    print(f"schedule {REVIEW_SCHEDULE_ID} {'created' if created else 'already exists'}")
    return 0


async def report(args: argparse.Namespace) -> int:
    try:
        since, until = report_window(args.since, args.until)
    except ValueError as err:
        raise input_error(f"--since/--until: {err}") from None
    engine, policy = create_store_engine(), tickets.local_policy()
    report_ = await asyncio.to_thread(build.make_report, engine, since, until, policy)
    sys.stdout.write(build.render(report_, args.format))
    return 0


async def simulate(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    try:
        window = report_window(args.since, args.until, now)
    except ValueError as err:
        raise input_error(f"--since/--until: {err}") from None
    try:
        proposed = load_policy(args.policy)
    except PolicyError as err:
        raise input_error(f"--policy: {err}") from None
    # Not in a thread: the simulation forks its processes from a process with one thread.
    comparison = simulate_window(create_store_engine(), proposed, args.policy, window, now)
    sys.stdout.write(render_simulation(comparison, args.format))
    return 0


def open_line(ticket_id: str, handle: tickets.TicketHandle) -> str:
    started = tickets.was_started(handle)
    if started is None:
        return handle.id
    if started:
        return f"{handle.id}: opened new ticket {ticket_id} (run {handle.result_run_id})"
    return f"{handle.id}: ticket {ticket_id} already exists; returned it (this input was not used)"


async def open_(args: argparse.Namespace) -> int:
    # Validate before connecting: a mistake is named even when the server is down.
    ticket = TicketInput.model_validate(ticket_payload(args))
    problem = category_problem(ticket.category)
    if problem:
        raise input_error(problem)
    handle = await tickets.open_ticket(await client(), ticket)
    print(open_line(ticket.ticket_id, handle))
    return 0


async def act(args: argparse.Namespace) -> int:
    action: str = args.ticket_action
    payload = tickets.action_input(action, action_payload(action, args))
    temporal = await client()
    if args.no_wait:
        await tickets.signal(temporal, args.ticket_id, action, payload)
        print(f"sent {action} to ticket {args.ticket_id} as a signal; see `status` for the outcome")
        return 0
    try:
        outcome = await within(
            args.timeout, action, tickets.act_once_opened(temporal, args.ticket_id, action, payload)
        )
    except WorkflowUpdateFailedError as err:
        print(f"rejected: {tickets.rejection_reason(err)}", file=sys.stderr)
        return 1
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND or action not in follow_ups.FOLLOWING_ACTIONS:
            raise
        ended = await follow_ups.closed_record(temporal, args.ticket_id)
        if ended is None:
            raise
        found = await within(
            args.timeout, action, follow_ups.follow_up(temporal, ended, action, payload)
        )
        what = "opened follow-up ticket" if found.created else "sent it to its follow-up ticket"
        print(f"ticket {args.ticket_id} is past its reopen window: {what} {found.ticket_id}")
        return 0
    print(render.outcome_line(outcome))
    return 0


async def status(args: argparse.Namespace) -> int:
    handle = tickets.ticket_handle(await client(), args.ticket_id)
    ended = await abnormal_end(handle)
    if ended:
        raise CliError(f"ticket {args.ticket_id} {ended}")
    record = await within(args.timeout, "status", tickets.wait_for_status(handle))
    if args.json:
        print(record.model_dump_json(indent=2))
    else:
        print(render.summary(record, args.last, business_clock(record.clock)))
    return 0


def business_clock(name: str) -> BusinessClock:
    """The calendar a ticket's clocks run on, from this machine's policy (the calendars a ticket
    carries are not in its status); plain time when the policy has no such calendar."""
    policy = tickets.local_policy()
    calendar = None if policy is None else policy.calendars.get(name)
    return AROUND_THE_CLOCK if calendar is None else calendar.clock


def team_zone() -> str:
    """The team's zone from this machine's policy (UTC when it cannot be read)."""
    policy = tickets.local_policy()
    return "UTC" if policy is None else policy.team_zone


async def list_(args: argparse.Namespace) -> int:
    query = build_query(
        TicketFilter(
            priority=args.priority,
            level=args.level,
            state=args.state,
            category=args.category,
            assignee=args.assignee,
            breached=args.breached,
            raw=args.query,
        )
    )
    await print_executions(query, args.limit, render.list_row)
    return 0


async def alerts(args: argparse.Namespace) -> int:
    """Tickets that raised dashboard alerts; running ones unless --all."""
    running = None if args.all else "ExecutionStatus = 'Running'"
    query = build_query(TicketFilter(alerts=True, raw=running))
    await print_executions(query, args.limit, render.alert_row)
    return 0


async def print_executions(query: str, limit: int, row: Callable[[WorkflowExecution], str]) -> None:
    found = 0
    async for execution in (await client()).list_workflows(query, limit=limit):
        print(row(execution))
        found += 1
    if not found:
        print(f"no tickets match: {query}", file=sys.stderr)


async def review(args: argparse.Namespace) -> int:
    temporal = await client()
    if not args.now:
        description = await temporal.get_schedule_handle(REVIEW_SCHEDULE_ID).describe()
        runs = description.info.next_action_times[:3]
        zone = team_zone()
        upcoming = ", ".join(local_time(t, zone, with_date=True) for t in runs)
        print(f"schedule {REVIEW_SCHEDULE_ID}: next runs {upcoming or 'none (paused?)'}")
        return 0
    result = await within(args.timeout, "review", review_now(temporal, args.days))
    print(f"{result.review_id}: {result.subject}\n\n{result.text}", end="")
    return 0


async def samples(_args: argparse.Namespace) -> int:
    if not samples_enabled():
        print("SAMPLE_TICKETS=0: not opening sample tickets")
        return 0
    temporal = await client()
    for ticket in SAMPLE_TICKETS:
        handle = await tickets.open_ticket(temporal, ticket)
        print(open_line(ticket.ticket_id, handle))
    return 0


async def api(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_env()
    except ValueError as err:
        raise input_error(str(err)) from err
    app = create_app(settings)
    if args.openapi:
        print(json.dumps(app.openapi(), indent=2))
        return 0
    if not settings.api_keys:
        raise input_error("API_KEYS: empty; set one or more keys, comma-separated")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("starter.channel").info(channel_settings.describe(settings.channel))
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info")
    await uvicorn.Server(config).serve()
    return 0


COMMANDS: dict[str, Command] = {
    "init": init,
    "open": open_,
    "status": status,
    "list": list_,
    "alerts": alerts,
    "samples": samples,
    "api": api,
    "report": report,
    "review": review,
    "simulate": simulate,
    **dict.fromkeys(ACTIONS, act),
}
