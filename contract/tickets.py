"""What other systems send to open a ticket, and the ticket's lifecycle vocabulary."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from calendars.zones import load_zone

TICKET_ID_CHARS = 64
TICKET_ID_PATTERN = rf"^[A-Za-z0-9._-]{{1,{TICKET_ID_CHARS}}}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
E164_PATTERN = r"^\+[1-9]\d{6,14}$"


class TicketState(StrEnum):
    OPEN = "open"  # waiting for the current level to acknowledge
    ACKNOWLEDGED = "acknowledged"
    AWAITING_CUSTOMER = "awaiting_customer"  # SLA clocks paused
    RESOLVED = "resolved"  # follow-up window running
    CLOSED = "closed"


class ContractModel(BaseModel):
    """Inputs reject unknown fields, so a misspelt field is named instead of ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Customer(ContractModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    phone: str | None = Field(default=None, pattern=E164_PATTERN)
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA time zone (e.g. Europe/Berlin) for times in messages to the customer; "
        "the support team's zone when left out.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, key: str | None) -> str | None:
        if key is not None:
            load_zone(key)  # UnknownZoneError is a ValueError: reported on customer.timezone
        return key
