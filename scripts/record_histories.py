"""Record the event histories that tests/test_replay.py replays against the current workflow code.

    .venv/bin/python scripts/record_histories.py [--tag TAG] [--force]

Starts its own Temporal dev server (in memory) and a worker, runs a few representative ticket
lifecycles to completion, and writes each history to tests/histories/<name>.json (with --tag:
<name>.<TAG>.json). An existing file is never replaced unless --force is given.

Record new histories ONLY for a deliberately incompatible workflow change. Until the first release
such a change replaces them (--force, and the commit says "histories re-recorded (pre-release)");
after it, the change is guarded by `workflow.patched(...)` and the old files stay (use --tag): they
must still replay through the unpatched branch. Never re-record to make a failing replay test
pass: that failure means running tickets would break on deploy."""

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.outbox import Outbox
from contract import search_attributes as sa
from contract.payloads import DATA_CONVERTER
from contract.status import ActionOutcome, TicketRecord
from contract.ticket_input import TicketInput
from policy import EscalationPolicy, load_policy
from policy.versions import policy_digest
from starter.client.tickets import TicketHandle, open_ticket, wait_for_status
from store.database import create_store_engine
from store.setup import prepare_store
from worker import build_worker

ROOT = Path(__file__).resolve().parent.parent
HISTORIES = ROOT / "tests" / "histories"
# The policy versions the histories ran under, by digest: a replay's store (policy/versions.py).
POLICIES = HISTORIES / "policies"
QUEUE = "record-histories"
CUSTOMER = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+15551234567"}


def recording_policy() -> EscalationPolicy:
    """The shipped policy with a 5 s follow-up window: a closed ticket's workflow then ends
    (and its history is complete) within the recording, not 7 days later."""
    return load_policy(time_scale=1).model_copy(update={"follow_up_window": timedelta(seconds=5)})


async def until(handle: TicketHandle, check: Callable[[TicketRecord], bool]) -> TicketRecord:
    """Signals are asynchronous: wait for their effect before sending the next one, so every
    history has the same shape each time it is recorded."""
    for _ in range(200):
        record = await wait_for_status(handle)
        if check(record):
            return record
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{handle.id}: condition not reached")


def entries(n: int) -> Callable[[TicketRecord], bool]:
    return lambda record: len(record.timeline) >= n


async def update(handle: TicketHandle, action: str, payload: dict[str, Any]) -> ActionOutcome:
    return await handle.execute_update(action, payload, result_type=ActionOutcome)


async def p4_password_reset(handle: TicketHandle) -> None:
    """L1 basics: acknowledge, reply and wait for the customer (clocks paused), the customer
    answers (clocks resume), resolve, survey closes it."""
    await handle.signal("acknowledge", {"agent": "sam"})
    await until(handle, entries(3))
    await handle.signal(
        "respond",
        {"agent": "sam", "message": "Sent a reset link", "awaiting_customer": True},
    )
    await until(handle, lambda r: r.state == "awaiting_customer")
    await handle.signal("customer_message", {"message": "Got it, the link worked, thanks"})
    await until(handle, entries(5))
    await handle.signal("resolve", {"by": "sam", "resolution": "Password reset completed"})
    await until(handle, lambda r: r.state == "resolved")
    await handle.signal("survey_response", {"score": 5, "comment": "Quick"})


async def p2_api_bug(handle: TicketHandle) -> None:
    """Escalations: two failed attempts escalate L2 -> L3, a manual update escalates to L4, an
    out-of-range escalation is rejected (as a signal: recorded; as an update: refused), then
    resolve, reopen, resolve again and the survey closes it."""
    for number in (1, 2):
        await handle.signal(
            "resolution_attempt",
            {"agent": "tom", "action": f"retried webhook delivery #{number}", "succeeded": False},
        )
    await until(handle, lambda r: r.level == 3)
    await update(
        handle,
        "escalate",
        {"by": "lead", "reason": "beyond_expertise", "to_level": 4, "note": "code fix needed"},
    )
    await handle.signal("escalate", {"by": "lead", "reason": "other", "to_level": 5})
    await until(handle, lambda r: any(e.rejected for e in r.timeline))
    try:
        await update(handle, "escalate", {"by": "lead", "reason": "other", "to_level": 2})
    except WorkflowUpdateFailedError:
        pass
    else:
        raise AssertionError("an out-of-range escalation was accepted")
    await update(handle, "resolve", {"by": "eng", "resolution": "Fixed the signature check"})
    await update(handle, "reopen", {"by": "tom", "reason": "Customer still sees 401s"})
    await handle.signal("respond", {"agent": "eng", "message": "Second fix deployed"})
    await until(handle, lambda r: r.first_response_at is not None and r.state == "acknowledged")
    await handle.signal("resolve", {"by": "eng", "resolution": "Both regions patched"})
    await until(handle, lambda r: r.state == "resolved")
    await handle.signal("survey_response", {"score": 3})


async def p3_keyword_raises_priority(handle: TicketHandle) -> None:
    """A customer message with a critical keyword raises P3 to P1 and pages L4 at once; L4
    acknowledges, responds, resolves; the survey closes it."""
    await handle.signal(
        "customer_message", {"message": "Now the whole dashboard is down for all our staff"}
    )
    await until(handle, lambda r: r.priority == "P1" and r.level == 4)
    await handle.signal("acknowledge", {"agent": "eng-oncall"})
    await until(handle, lambda r: r.state == "acknowledged")
    await handle.signal("respond", {"agent": "eng-oncall", "message": "Rolled back the release"})
    await until(handle, lambda r: r.first_response_at is not None)
    await handle.signal("resolve", {"by": "eng-oncall", "resolution": "Release rolled back"})
    await until(handle, lambda r: r.state == "resolved")
    await handle.signal("survey_response", {"score": 4})


LIFECYCLES: dict[str, tuple[dict[str, Any], Callable[[TicketHandle], Awaitable[None]]]] = {
    "p4_password_reset": (
        {
            "priority": "P4",
            "category": "password_resets",
            "subject": "Cannot log in",
            "description": "I forgot my password and the reset mail never came.",
        },
        p4_password_reset,
    ),
    "p2_api_bug": (
        {
            "priority": "P2",
            "category": "api_integration_problems",
            "subject": "Webhook signatures rejected",
            "description": "Since Monday every webhook fails signature validation.",
        },
        p2_api_bug,
    ),
    "p3_keyword_raises_priority": (
        {
            "priority": "P3",
            "category": "general_product_inquiries",
            "subject": "Dashboard is slow",
            "description": "Reports take a minute to load.",
        },
        p3_keyword_raises_priority,
    ),
}


async def record(client: Client, name: str, path: Path) -> None:
    fields, drive = LIFECYCLES[name]
    ticket = TicketInput.model_validate(
        {"ticket_id": f"REPLAY-{name.replace('_', '-')}", "customer": CUSTOMER, **fields}
    )
    handle = await open_ticket(client, ticket, queue=QUEUE)
    # Let intake finish before the first query, so each recording has the same shape: a query
    # that arrives during intake can split the first workflow task in two.
    await asyncio.sleep(0.5)
    await drive(handle)
    final = await asyncio.wait_for(handle.result(), timeout=30)
    if final.state != "closed":
        raise AssertionError(f"{name}: ended {final.state}, not closed")
    path.write_text((await handle.fetch_history()).to_json() + "\n", encoding="utf-8")


async def main(tag: str | None, force: bool) -> None:
    HISTORIES.mkdir(parents=True, exist_ok=True)
    paths = {name: HISTORIES / f"{name}{f'.{tag}' if tag else ''}.json" for name in LIFECYCLES}
    existing = [str(path.relative_to(ROOT)) for path in paths.values() if path.exists()]
    if existing and not force:
        sys.exit(
            f"record_histories: {', '.join(existing)} already exist; old histories must keep "
            "replaying, so record next to them with --tag, or replace them with --force"
        )
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        search_attributes=list(sa.ALL),
    )
    try:
        with (
            tempfile.TemporaryDirectory() as outbox,
            ThreadPoolExecutor(max_workers=8) as executor,
        ):
            engine = create_store_engine(f"sqlite:///{Path(outbox) / 'records.db'}")
            prepare_store(engine)
            policy = recording_policy()
            POLICIES.mkdir(exist_ok=True)
            stored = POLICIES / f"{policy_digest(policy)}.json"
            stored.write_text(policy.model_dump_json() + "\n", encoding="utf-8")
            worker = build_worker(env.client, policy, QUEUE, Outbox(Path(outbox)), executor, engine)
            async with worker:
                for name, path in paths.items():
                    await record(env.client, name, path)
                    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", help="write <name>.<TAG>.json next to the existing histories")
    parser.add_argument("--force", action="store_true", help="replace existing files")
    args = parser.parse_args()
    asyncio.run(main(args.tag, args.force))
