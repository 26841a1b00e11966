"""Who is told what, on which channel, and what happens when a delivery ends.

"Communication" by priority: P1 phone call + email + dashboard alert, P2 email + dashboard alert,
P3 and P4 email (`policy.priorities[...].channels`), sent to the level holding the ticket."""

from datetime import datetime

from activities.messages import DigestRequest, OutgoingMessage
from contract.notification_ids import NotificationId, digest_id, fallback_id
from contract.status import Audience, NotificationEntry, TimelineEvent
from policy.models import Channel
from procedure import message_texts as texts
from procedure.effects import Notify, SendDigest
from procedure.events import Delivered, DeliveryFailed, DeliveryReported, DigestSent
from procedure.turn import DONE, SYSTEM, Turn, log

# Where a permanently failed notification goes instead (SMS to the same number, email to the
# recipient's address). Fallbacks do not fall back again: phone already tries both.
# Outcomes that end a notification for good; a later report or receipt changes nothing.
REPORTED = ("delivered", "failed")
FALLBACKS: dict[str, tuple[Channel, ...]] = {"phone": ("sms", "email"), "sms": ("email",)}


def notify_customer(
    turn: Turn,
    kind: str,
    subject: str,
    body: str,
    seq: int | None = None,
    link_expires_at: datetime | None = None,
) -> None:
    """An email to the customer; `link_expires_at` ends the survey link the activity adds."""
    customer = turn.ticket.customer.email
    send(turn, "email", "customer", customer, kind, subject, body, seq, expires=link_expires_at)


def notify_level(
    turn: Turn,
    kind: str,
    subject: str,
    body: str,
    seq: int | None = None,
    channels: list[Channel] | None = None,
) -> None:
    """Tell the current level's team on the priority's channels."""
    t = turn.ticket
    contacts = turn.policy.levels[t.level].contacts
    for channel in channels or turn.policy.priorities[t.priority].channels:
        if channel == "email":
            send(turn, "email", "team", contacts.email, kind, subject, body, seq)
        elif channel == "dashboard":
            alert_dashboard(turn, kind, subject, body, seq)
        elif contacts.phone:
            send(
                turn,
                channel,
                "team",
                contacts.phone,
                kind,
                subject,
                body,
                seq,
                email=contacts.email,
            )


def alert_dashboard(turn: Turn, kind: str, subject: str, body: str, seq: int | None = None) -> None:
    t = turn.ticket
    t.dashboard_alerts.append(kind)
    send(turn, "dashboard", "team", f"L{t.level} dashboard", kind, subject, body, seq)


def send(
    turn: Turn,
    channel: Channel,
    audience: Audience,
    recipient: str,
    kind: str,
    subject: str,
    body: str,
    seq: int | None,
    email: str | None = None,
    replaces: NotificationEntry | None = None,
    expires: datetime | None = None,
    notification_id: str | None = None,
    call: int = 1,
) -> None:
    """One notification: an entry in the record and a delivery. Its id comes from the timeline
    entry that decided it (seq, by default the latest), so a replay decides the same id; a
    page's call again (call_retries) names its own."""
    t = turn.ticket
    seq = seq or len(t.timeline)
    level = replaces.level if replaces else t.level
    notification_id = notification_id or (
        fallback_id(replaces.notification_id, channel)
        if replaces
        else str(NotificationId(t.ticket_id, seq, kind, t.level, channel, audience))
    )
    t.notifications.append(
        NotificationEntry(
            notification_id=notification_id,
            channel=channel,
            audience=audience,
            recipient=recipient,
            kind=kind,
            level=level,
            at=turn.now,
            fallback_for=replaces.notification_id if replaces else None,
            call=call,
        )
    )
    message = OutgoingMessage(
        notification_id=notification_id,
        ticket_id=t.ticket_id,
        channel=channel,
        audience=audience,
        recipient=recipient,
        kind=kind,
        level=level,
        priority=t.priority,
        subject=subject,
        body=body,
        summary=t.subject,
        email=email if channel != "email" else None,
        link_expires_at=expires,
        due=turn.due,
    )
    turn.effects.append(Notify(message))


def _settle(turn: Turn, notification_id: str, **outcome: str | None) -> NotificationEntry:
    """The notification's entry with its delivery outcome, replacing the pending one."""
    notifications = turn.ticket.notifications
    for index in range(len(notifications) - 1, -1, -1):
        if notifications[index].notification_id == notification_id:
            notifications[index] = notifications[index].model_copy(update=outcome)
            return notifications[index]
    raise ValueError(f"ticket {turn.ticket.ticket_id} sent no notification {notification_id}")


def delivered(turn: Turn, event: Delivered) -> None:
    """A delivery ended; held back by the storm limit, it goes out in a digest at window end.
    A provider's report that came first (a fast status callback) stands."""
    receipt, message = event.receipt, event.message
    reported = latest(turn, message.notification_id)
    if reported is not None and reported.status in REPORTED:
        return
    _settle(
        turn,
        message.notification_id,
        status=receipt.status,
        provider_id=receipt.provider_id,
        error=receipt.detail,
    )
    if receipt.status == "throttled" and message.email:
        request = DigestRequest(
            digest_id=digest_id(message.notification_id),
            email=message.email,
            level=message.level,
            priority=message.priority,
        )
        turn.effects.append(SendDigest(request, turn.policy.delivery.throttle_window))


def delivery_failed(turn: Turn, event: DeliveryFailed) -> None:
    """A permanent failure: the other channels take over and the dashboard says so. Once the
    ticket is resolved, a page that failed is not sent again another way: it pages nobody."""
    message = event.message
    done = turn.ticket.state in DONE
    entry = _settle(turn, message.notification_id, status="failed", error=event.error)
    failed = log(
        turn,
        TimelineEvent.DELIVERY_FAILED,
        SYSTEM,
        reason=f"{message.channel}_failed",
        details=entry.error,
    )
    if entry.fallback_for is None and not done:
        for channel in FALLBACKS.get(message.channel, ()):
            recipient = message.recipient if channel == "sms" else message.email
            if recipient:
                send(
                    turn,
                    channel,
                    message.audience,
                    recipient,
                    message.kind,
                    message.subject,
                    message.body,
                    failed.seq,
                    email=message.email,
                    replaces=entry,
                )
    alert_dashboard(
        turn,
        f"{message.channel}_delivery_failed",
        *texts.team_delivery_failed(turn.ticket, message.channel, message.kind, entry.error, done),
        seq=failed.seq,
    )


def delivery_reported(turn: Turn, event: DeliveryReported) -> None:
    """The provider's later report: delivered is noted; a bounce, a failed message or an
    unanswered call is a permanent failure after all, and the fallbacks take over. A report on
    a notification already delivered or failed changes nothing: the first outcome is final
    (providers repeat themselves and their reports may arrive out of order)."""
    entry = latest(turn, event.notification_id)
    if entry is None or entry.status in REPORTED:
        return
    if event.outcome == "delivered":
        _settle(turn, entry.notification_id, status="delivered")
        return
    t = turn.ticket
    contacts = turn.policy.levels[entry.level].contacts
    subject, body = texts.undelivered_fallback(
        t, entry.channel, entry.kind, entry.level, event.outcome
    )
    message = OutgoingMessage(
        notification_id=entry.notification_id,
        ticket_id=t.ticket_id,
        channel=entry.channel,
        audience=entry.audience,
        recipient=entry.recipient,
        kind=entry.kind,
        level=entry.level,
        priority=t.priority,
        subject=subject,
        body=body,
        summary=t.subject,
        email=contacts.email if entry.audience == "team" else None,
    )
    error = f"{entry.channel} {event.outcome}" + (f": {event.detail}" if event.detail else "")
    delivery_failed(turn, DeliveryFailed(message=message, error=error))


def latest(turn: Turn, notification_id: str) -> NotificationEntry | None:
    found = [n for n in turn.ticket.notifications if n.notification_id == notification_id]
    return found[-1] if found else None


def digest_sent(turn: Turn, event: DigestSent) -> None:
    """A digest that carried held messages joins the record (none: another digest took them)."""
    receipt, request = event.receipt, event.request
    if receipt is None:
        return
    turn.ticket.notifications.append(
        NotificationEntry(
            notification_id=request.digest_id,
            channel="email",
            audience="team",
            recipient=request.email,
            kind="digest",
            level=request.level,
            at=turn.now,
            status=receipt.status,
            provider_id=receipt.provider_id,
            error=receipt.detail,
        )
    )
