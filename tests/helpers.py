"""Building tickets and driving them in tests."""

import uuid
from typing import Any

from contract.status import TicketRecord
from contract.ticket_input import TicketInput
from starter.tickets import TicketHandle, open_ticket, wait_for_status
from tests.conftest import Service


def ticket(**overrides: Any) -> TicketInput:
    fields: dict[str, Any] = {
        "ticket_id": f"T-{uuid.uuid4().hex[:12]}",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+15551234567"},
        "subject": "Question about invoices",
        "description": "Where can I download last month's invoice?",
        "priority": "P4",
        "category": "basic_billing_questions",
    }
    fields.update(overrides)
    return TicketInput.model_validate(fields)


async def start(service: Service, **overrides: Any) -> TicketHandle:
    return await open_ticket(service.client, ticket(**overrides), queue=service.task_queue)


async def status(handle: TicketHandle) -> TicketRecord:
    return await wait_for_status(handle)


def events(record: TicketRecord, rejected: bool = False) -> list[str]:
    return [entry.event for entry in record.timeline if entry.rejected == rejected]
