"""The facts the delivery section of the reports needs, read from the notification ledger.

One row per notification created in the window: its channel, where it ended, and when the
provider took it and when it reported it delivered (notification_events)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, case, func, select

from store.queries import as_utc, maybe_utc
from store.schema import notification_events, notifications


@dataclass(frozen=True)
class DeliveryFacts:
    notification_id: str
    channel: str
    status: str  # the ledger's current status: pending, sent, delivered, failed, ...
    detail: str | None  # the provider's words on a failure ("twilio no-answer")
    created_at: datetime
    sent_at: datetime | None  # the provider accepted it
    delivered_at: datetime | None  # the provider reported it delivered


def load_deliveries(engine: Engine, since: datetime, until: datetime) -> list[DeliveryFacts]:
    events = notification_events.c

    def first(status: str) -> object:
        return func.min(case((events.status == status, events.at)))

    query = (
        select(
            notifications.c.notification_id,
            notifications.c.channel,
            notifications.c.status,
            notifications.c.detail,
            notifications.c.created_at,
            first("sent").label("sent_at"),
            first("delivered").label("delivered_at"),
        )
        .join_from(
            notifications,
            notification_events,
            events.notification_id == notifications.c.notification_id,
            isouter=True,
        )
        .where(notifications.c.created_at >= since, notifications.c.created_at < until)
        .group_by(notifications.c.notification_id)
        .order_by(notifications.c.notification_id)
    )
    with engine.connect() as db:
        rows = db.execute(query).all()
    return [
        DeliveryFacts(
            notification_id=row.notification_id,
            channel=row.channel,
            status=row.status,
            detail=row.detail,
            created_at=as_utc(row.created_at),
            sent_at=maybe_utc(row.sent_at),
            delivered_at=maybe_utc(row.delivered_at),
        )
        for row in rows
    ]
