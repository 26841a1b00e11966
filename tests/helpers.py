"""Building tickets and driving them in tests."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, Table, select

from contract.status import NotificationEntry, TicketRecord
from contract.ticket_input import TicketInput
from starter.client.tickets import TicketHandle, open_ticket, wait_for_status
from tests.conftest import Service

# The shipped policy's L4 on-call contacts and the customer of ticket().
L4_PHONE = "+15550100004"
L4_EMAIL = "l4-oncall@support.example.com"
CUSTOMER = "ada@example.com"


def ticket(**overrides: Any) -> TicketInput:
    fields: dict[str, Any] = {
        "ticket_id": f"T-{uuid.uuid4().hex[:12]}",
        "customer": {"name": "Ada Lovelace", "email": CUSTOMER, "phone": "+15551234567"},
        "subject": "Question about invoices",
        "description": "Where can I download last month's invoice?",
        "priority": "P4",
        "category": "basic_billing_questions",
    }
    fields.update(overrides)
    return TicketInput.model_validate(fields)


async def start(service: Service, **overrides: Any) -> TicketHandle:
    handle = await open_ticket(service.client, ticket(**overrides), queue=service.task_queue)
    service.opened.append(handle.id)
    return handle


async def status(handle: TicketHandle) -> TicketRecord:
    return await wait_for_status(handle)


def events(record: TicketRecord, rejected: bool = False) -> list[str]:
    return [entry.event for entry in record.timeline if entry.rejected == rejected]


async def eventually(
    handle: TicketHandle, check: Callable[[TicketRecord], bool], timeout: float = 10.0
) -> TicketRecord:
    """The ticket's record once `check` holds; activities finish a moment after the decision."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        record = await status(handle)
        if check(record) or asyncio.get_running_loop().time() > deadline:
            return record
        await asyncio.sleep(0.05)


async def stored(
    engine: Engine, table: Table, ticket_id: str, check: Callable[[list[Row]], bool] = bool
) -> list[Row]:
    """The ticket's rows of table once `check` holds: records are written in the background."""
    deadline = asyncio.get_running_loop().time() + 10.0
    query = select(table).where(table.c.ticket_id == ticket_id)
    if "seq" in table.c:
        query = query.order_by(table.c.seq)
    while True:
        with engine.connect() as connection:
            rows = list(connection.execute(query).all())
        if check(rows) or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.05)


def sent(record: TicketRecord, kind: str, audience: str | None = None) -> list[NotificationEntry]:
    return [
        n
        for n in record.notifications
        if n.kind == kind and (audience is None or n.audience == audience)
    ]


def settled(record: TicketRecord) -> bool:
    """Every notification has an outcome (sent, unknown, failed, throttled, outbox)."""
    return bool(record.notifications) and all(n.status != "pending" for n in record.notifications)


def delivered(record: TicketRecord, kind: str) -> bool:
    """Sent and handled by the notification activity (in the outbox), not only decided."""
    found = sent(record, kind)
    return bool(found) and all(n.status != "pending" for n in found)


def about(actual: datetime | timedelta | None, expected: datetime | timedelta) -> bool:
    """Equal within a few seconds: real time passes between a test's signals."""
    return actual is not None and abs(actual - expected) < timedelta(seconds=5)  # type: ignore[operator]
