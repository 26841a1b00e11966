"""Each ticket's recorded inputs and the policies tickets ran under: written with the ticket's
other records, read back by `starter simulate` for the tickets opened in a window."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from activities.messages import InputRecord
from policy.models import EscalationPolicy
from policy.versions import policy_digest
from store.queries import as_utc, maybe_utc
from store.schema import inputs, policies

OPENED = "opened"


@dataclass(frozen=True)
class StoredInput:
    position: int
    at: datetime
    kind: str
    event: str  # JSON, as procedure.events.EVENT reads it
    due: datetime | None


@dataclass
class StoredTicket:
    ticket_id: str
    policy_id: str | None = None
    inputs: list[StoredInput] = field(default_factory=list)


def policy_row(policy: EscalationPolicy) -> dict[str, Any]:
    """Content-addressed: every ticket opened under the same policy shares one row."""
    return {"policy_id": policy_digest(policy), "policy": policy.model_dump_json()}


def input_rows(records: Iterable[InputRecord]) -> list[dict[str, Any]]:
    """The rows of ticket_inputs that a batch's inputs become (an opening names its policy's
    row, written in the same transaction: activities/decisions.py)."""
    return [record.model_dump() for record in records]


def stored_policy(engine: Engine, policy_id: str) -> str | None:
    """The JSON of the policy version with this id, if the store has it."""
    query = select(policies.c.policy).where(policies.c.policy_id == policy_id)
    with engine.connect() as connection:
        return connection.execute(query).scalar()


def opening_instants(engine: Engine, since: datetime, until: datetime) -> list[datetime]:
    """When each ticket opened in [since, until) was opened, earliest first."""
    query = (
        select(inputs.c.at)
        .where(inputs.c.kind == OPENED, inputs.c.at >= since, inputs.c.at < until)
        .order_by(inputs.c.at)
    )
    with engine.connect() as connection:
        return [as_utc(at) for at in connection.scalars(query)]


def load_recorded(
    engine: Engine, since: datetime, until: datetime
) -> tuple[list[StoredTicket], dict[str, str]]:
    """The inputs of every ticket opened in [since, until), in order, and the JSON of the
    policies those tickets were opened under, by id."""
    opened = select(inputs.c.ticket_id).where(
        inputs.c.kind == OPENED, inputs.c.at >= since, inputs.c.at < until
    )
    query = (
        select(inputs)
        .where(inputs.c.ticket_id.in_(opened))
        .order_by(inputs.c.ticket_id, inputs.c.position)
    )
    tickets: dict[str, StoredTicket] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            ticket = tickets.setdefault(row.ticket_id, StoredTicket(row.ticket_id))
            ticket.policy_id = ticket.policy_id or row.policy_id
            ticket.inputs.append(
                StoredInput(row.position, as_utc(row.at), row.kind, row.event, maybe_utc(row.due))
            )
        used = {t.policy_id for t in tickets.values() if t.policy_id}
        found = connection.execute(select(policies).where(policies.c.policy_id.in_(used)))
        texts = {row.policy_id: row.policy for row in found}
    return list(tickets.values()), texts
