"""The facts the reports need, read from the append-only event log and the handoffs.

One row of facts per ticket opened in the window; every KPI is computed from these."""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Case, ColumnElement, Connection, Engine, Select, case, func, select

from contract.status import TimelineEvent, breached_metric
from store.schema import events, handoffs

FIRST_RESPONSE_EVENTS = (TimelineEvent.ACKNOWLEDGED, TimelineEvent.RESPONDED)


@dataclass(frozen=True)
class HandoffFacts:
    from_level: int
    to_level: int
    triggered_at: datetime
    at: datetime
    # The receiving level's first acknowledgment (or response) after the handoff.
    acknowledged_at: datetime | None = None


@dataclass
class TicketFacts:
    ticket_id: str
    opened_at: datetime
    opened_level: int
    priority: str
    category: str | None
    first_response_at: datetime | None
    resolved_at: datetime | None  # the last resolution, when no reopening followed it
    resolved_level: int | None = None
    article: str | None = None
    score: int | None = None
    survey_comment: str | None = None
    low_satisfaction: bool = False  # the ticket's policy judged its score low
    handoffs: list[HandoffFacts] = field(default_factory=list)
    breaches: list[tuple[str, int]] = field(default_factory=list)  # (metric, level)


def as_utc(instant: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL the session's zone: both become aware UTC."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def maybe_utc(instant: datetime | None) -> datetime | None:
    return as_utc(instant) if instant is not None else None


def _when(
    event: TimelineEvent | tuple[TimelineEvent, ...], column: ColumnElement[Any]
) -> Case[Any]:
    names = (event,) if isinstance(event, TimelineEvent) else event
    return case((events.c.event.in_(names), column))


def _cohort(since: datetime, until: datetime) -> Select[tuple[str]]:
    """Tickets opened in [since, until)."""
    return select(events.c.ticket_id).where(
        events.c.event == TimelineEvent.OPENED, events.c.at >= since, events.c.at < until
    )


def load_tickets(engine: Engine, since: datetime, until: datetime) -> list[TicketFacts]:
    with engine.connect() as connection:
        tickets = _ticket_rows(connection, _cohort(since, until))
        _add_resolutions(connection, tickets, _cohort(since, until))
        _add_breaches(connection, tickets, _cohort(since, until))
        _add_handoffs(connection, tickets, _cohort(since, until))
        _add_handoff_acknowledgments(connection, tickets, _cohort(since, until))
    return sorted(tickets.values(), key=lambda t: (t.opened_at, t.ticket_id))


def _ticket_rows(connection: Connection, cohort: Select[tuple[str]]) -> dict[str, TicketFacts]:
    query = (
        select(
            events.c.ticket_id,
            func.min(_when(TimelineEvent.OPENED, events.c.at)).label("opened_at"),
            func.min(_when(TimelineEvent.OPENED, events.c.level)).label("opened_level"),
            # Priorities only ever rise (P4 -> P1), so the smallest name is the current one.
            func.min(events.c.priority).label("priority"),
            func.min(events.c.category).label("category"),
            func.min(_when(FIRST_RESPONSE_EVENTS, events.c.at)).label("first_response_at"),
            func.max(_when(TimelineEvent.RESOLVED, events.c.at)).label("resolved_at"),
            func.max(_when(TimelineEvent.REOPENED, events.c.at)).label("reopened_at"),
            func.max(_when(TimelineEvent.SURVEY_ANSWERED, events.c.score)).label("score"),
            func.max(_when(TimelineEvent.SURVEY_ANSWERED, events.c.details)).label("comment"),
            func.count(_when(TimelineEvent.LOW_SATISFACTION, events.c.seq)).label("low"),
        )
        .where(events.c.rejected.is_(False), events.c.ticket_id.in_(cohort))
        .group_by(events.c.ticket_id)
    )
    tickets = {}
    for row in connection.execute(query):
        resolved, reopened = maybe_utc(row.resolved_at), maybe_utc(row.reopened_at)
        still_resolved = resolved is not None and (reopened is None or reopened < resolved)
        tickets[row.ticket_id] = TicketFacts(
            ticket_id=row.ticket_id,
            opened_at=as_utc(row.opened_at),
            opened_level=row.opened_level,
            priority=row.priority,
            category=row.category,
            first_response_at=maybe_utc(row.first_response_at),
            resolved_at=resolved if still_resolved else None,
            score=row.score,
            survey_comment=row.comment,
            low_satisfaction=row.low > 0,
        )
    return tickets


def _cohort_events(
    event: TimelineEvent, cohort: Select[tuple[str]], *columns: ColumnElement[Any]
) -> Select[Any]:
    """The cohort's `event` entries (rejected ones aside), in timeline order."""
    return (
        select(events.c.ticket_id, *columns)
        .where(events.c.event == event, events.c.rejected.is_(False))
        .where(events.c.ticket_id.in_(cohort))
        .order_by(events.c.ticket_id, events.c.seq)
    )


def _add_resolutions(
    connection: Connection, tickets: dict[str, TicketFacts], cohort: Select[tuple[str]]
) -> None:
    query = _cohort_events(TimelineEvent.RESOLVED, cohort, events.c.level, events.c.article)
    for row in connection.execute(query):  # the last resolution of a ticket wins
        ticket = tickets[row.ticket_id]
        if ticket.resolved_at is not None:
            ticket.resolved_level, ticket.article = row.level, row.article


def _add_breaches(
    connection: Connection, tickets: dict[str, TicketFacts], cohort: Select[tuple[str]]
) -> None:
    query = _cohort_events(TimelineEvent.BREACHED, cohort, events.c.reason, events.c.level)
    for row in connection.execute(query):
        metric = breached_metric(row.reason or "")
        tickets[row.ticket_id].breaches.append((metric, row.level))


def _add_handoffs(
    connection: Connection, tickets: dict[str, TicketFacts], cohort: Select[tuple[str]]
) -> None:
    query = (
        select(handoffs)
        .where(handoffs.c.ticket_id.in_(cohort))
        .order_by(handoffs.c.ticket_id, handoffs.c.at)
    )
    for row in connection.execute(query):
        tickets[row.ticket_id].handoffs.append(
            HandoffFacts(row.from_level, row.to_level, as_utc(row.triggered_at), as_utc(row.at))
        )


def _add_handoff_acknowledgments(
    connection: Connection, tickets: dict[str, TicketFacts], cohort: Select[tuple[str]]
) -> None:
    query = (
        select(events.c.ticket_id, events.c.level, events.c.at)
        .where(events.c.event.in_(FIRST_RESPONSE_EVENTS), events.c.rejected.is_(False))
        .where(events.c.ticket_id.in_(cohort))
        .order_by(events.c.ticket_id, events.c.seq)
    )
    answers: dict[str, list[tuple[int, datetime]]] = {}
    for row in connection.execute(query):
        answers.setdefault(row.ticket_id, []).append((row.level, as_utc(row.at)))
    for ticket_id, ticket in tickets.items():
        ticket.handoffs = [
            replace(h, acknowledged_at=_first_answer(answers.get(ticket_id, []), h))
            for h in ticket.handoffs
        ]


def _first_answer(answers: list[tuple[int, datetime]], handoff: HandoffFacts) -> datetime | None:
    return next(
        (at for level, at in answers if level == handoff.to_level and at >= handoff.at), None
    )
