"""An unanswered page is called again before SMS and email take over.

Twilio's status callback says a call was not answered (no-answer), the line was busy, or the
call failed. While the level still owes its acknowledgment, the on-call is called again
`delivery.call_retries` times, `delivery.call_retry_after` apart (the `call_retry` deadline);
after the last unanswered call the fallbacks of any failed delivery take over
(notifications.delivery_failed). Once the level has acknowledged, or the ticket has moved on,
nobody is called again."""

from datetime import datetime

from contract.notification_ids import retry_id
from contract.status import NotificationEntry, TimelineEvent
from contract.tickets import TicketState
from procedure import message_texts as texts
from procedure import notifications
from procedure.events import DeliveryReported
from procedure.turn import SYSTEM, Turn, log


def delivery_reported(turn: Turn, event: DeliveryReported) -> None:
    """A call reported unanswered rings again while retries are left; any other report is the
    notifications' (delivered noted, failures fall back)."""
    entry = notifications.latest(turn, event.notification_id)
    if entry is not None and calls_again(turn, entry, event):
        schedule(turn, entry, event)
        return
    notifications.delivery_reported(turn, event)


def calls_again(turn: Turn, entry: NotificationEntry, event: DeliveryReported) -> bool:
    """Whether this unanswered call is made again rather than falling back now."""
    delivery = turn.policy.delivery
    return (
        entry.channel == "phone"
        and entry.status not in notifications.REPORTED
        and entry.fallback_for is None
        and event.outcome in delivery.call_retry_on
        and entry.call <= delivery.call_retries
        and awaited(turn, entry)
    )


def awaited(turn: Turn, entry: NotificationEntry) -> bool:
    """The page still asks for something: its level holds the ticket, open, since before it."""
    t = turn.ticket
    return t.state == TicketState.OPEN and t.level == entry.level and entry.at >= t.level_since


def schedule(turn: Turn, entry: NotificationEntry, event: DeliveryReported) -> None:
    """The call ends unanswered; the same page rings again after `call_retry_after`."""
    t, delivery = turn.ticket, turn.policy.delivery
    retry_at = turn.now + delivery.call_retry_after
    error = f"phone {event.outcome}" + (f": {event.detail}" if event.detail else "")
    _replace(turn, entry, status="failed", error=error, retry_at=retry_at)
    log(
        turn,
        TimelineEvent.DELIVERY_FAILED,
        SYSTEM,
        reason=f"phone_{event.outcome}",
        details=f"call {entry.call} of {delivery.call_retries + 1} unanswered ({error}); "
        f"calling again at {texts.for_team(t, retry_at)}",
    )
    _next_retry(turn)


def call_again(turn: Turn, _due: datetime) -> None:
    """Every page whose retry is due rings again, unless it no longer asks for anything."""
    t = turn.ticket
    for entry in [n for n in t.notifications if n.retry_at and n.retry_at <= turn.now]:
        if not awaited(turn, entry):
            _replace(turn, entry, retry_at=None, error=f"{entry.error}; not called again")
            continue
        _replace(turn, entry, retry_at=None)
        call = entry.call + 1
        first = entry.notification_id.rsplit(":call:", 1)[0]
        subject, body = texts.page_called_again(t, entry.kind, call, turn.policy)
        notifications.send(
            turn,
            "phone",
            entry.audience,
            entry.recipient,
            entry.kind,
            subject,
            body,
            None,
            email=turn.policy.levels[entry.level].contacts.email,
            notification_id=retry_id(first, call),
            call=call,
        )
    _next_retry(turn)


def _replace(turn: Turn, entry: NotificationEntry, **changes: object) -> None:
    notifications = turn.ticket.notifications
    index = next(
        i for i, n in enumerate(notifications) if n.notification_id == entry.notification_id
    )
    notifications[index] = notifications[index].model_copy(update=changes)


def _next_retry(turn: Turn) -> None:
    pending = [n.retry_at for n in turn.ticket.notifications if n.retry_at is not None]
    turn.ticket.deadlines.call_retry = min(pending, default=None)
