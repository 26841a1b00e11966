"""`samples`: three demo tickets with fixed ids, so re-running finds them instead of adding more."""

import os

from contract.ticket_input import TicketInput
from contract.tickets import Customer

# Words that mean "do not open samples"; anything else (or unset) means open them.
_OFF = frozenset({"0", "false", "no", "off"})

SAMPLE_TICKETS: tuple[TicketInput, ...] = (
    TicketInput(
        ticket_id="SAMPLE-P1-OUTAGE",
        customer=Customer(name="Grace Hopper", email="grace@example.com", phone="+15555550101"),
        subject="Production API down for all users",
        description=(
            "Since 09:12 UTC every request to the production API returns 503. "
            "All of our users are affected; checkout is blocked."
        ),
        priority="P1",
        category="system_outages",
    ),
    TicketInput(
        ticket_id="SAMPLE-P2-API",
        customer=Customer(name="Alan Turing", email="alan@example.com"),
        subject="Webhook signatures rejected after SDK upgrade",
        description=(
            "After upgrading the client SDK to 4.2 our webhook endpoint rejects every signature. "
            "Orders still arrive but we cannot verify them."
        ),
        priority="P2",
        category="api_integration_problems",
    ),
    TicketInput(
        ticket_id="SAMPLE-P4-PASSWORD",
        customer=Customer(name="Ada Lovelace", email="ada@example.com"),
        subject="Password reset email never arrives",
        description="I asked for a password reset twice this morning; no email has arrived yet.",
        priority="P4",
        category="password_resets",
    ),
)


def samples_enabled() -> bool:
    return os.environ.get("SAMPLE_TICKETS", "1").strip().lower() not in _OFF
