"""The notification ledger in the records store: one row per notification id, written before the
provider call and settled after it, shared by every worker that uses the database.

Providers offer no idempotency key, so "never twice" comes from here: a retry, a worker crash, a
replay or another worker finds the row and its outcome instead of calling the provider again.
What must not interleave runs under row locks, taken in this order: a recipient's (its
throttle_windows row: the storm count, one call at a time, matching the provider's records),
then the notification's (SELECT ... FOR UPDATE on PostgreSQL). SQLite has one writer at a time:
each transaction takes the write lock at BEGIN IMMEDIATE. Every status change is also appended
to notification_events."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    bindparam,
    func,
    insert,
    select,
    update,
)

from activities.messages import OutgoingMessage
from store.records import insert_once
from store.schema import notification_events, notifications, throttle_windows

# pending: a provider call may be under way (or died with its worker); checking: asking the
# provider whether an earlier attempt reached it; retrying: known not sent; unknown: the provider
# may or may not have it; throttled: held back for a digest; delivered: the provider reported it
# reached the recipient.
LedgerStatus = Literal[
    "pending", "checking", "retrying", "sent", "delivered", "unknown", "failed", "throttled"
]
# A provider's report after the call (status callback, event webhook) ends a notification.
Reported = Literal["delivered", "failed"]
# When an earlier attempt's outcome is unknown: keep it so (never twice), send again (a
# duplicate beats a miss), or ask the provider first and send only if it has no record.
IfUnsure = Literal["keep", "resend", "ask"]
_UNSURE = ("pending", "checking", "unknown")
# Rows that count against a recipient's throttle: sent, or about to be, or possibly sent.
_COUNTED = ("pending", "checking", "retrying", "sent", "delivered", "unknown")
# Outcomes no later report changes: providers repeat reports and send them out of order.
_FINAL = ("delivered", "failed")
STOPPED_MID_CALL = "worker stopped during the provider call; not sent again"
FOUND = "found at the provider after an unknown outcome; not sent again"
NOT_FOUND = "the provider has no record of an earlier attempt; sending again"
AMBIGUOUS = (
    "the provider's records may all be other messages' to this recipient (outcomes unknown); "
    "sending again"
)
IN_FLIGHT = "another message to this recipient may be in flight; asking the provider again later"
ONE_AT_A_TIME = "another call to this recipient is under way or its outcome unknown; one at a time"


@dataclass(frozen=True)
class ChannelRules:
    """How the ledger treats a message of its channel."""

    if_unsure: IfUnsure
    limit: int | None = None  # at most this many per recipient per window; the rest held back
    window: timedelta = timedelta(0)
    # An unsettled attempt younger than this may still be under way (the attempt timeout).
    in_flight: timedelta = timedelta(0)
    # The provider's records tell this message from others to the recipient by nothing but the
    # recipient (calls): one at a time per recipient, none while another's outcome is unknown,
    # and an earlier record is taken only when there are more than other messages to the
    # recipient with unknown outcomes may have left.
    by_recipient_only: bool = False


@dataclass(frozen=True)
class Claim:
    """What the ledger decided for one delivery attempt."""

    send: bool  # call the provider now
    status: LedgerStatus
    provider_id: str | None = None
    detail: str | None = None
    # status checking: when the notification was first claimed (no record of it is older).
    since: datetime | None = None
    wait: bool = False  # not now: try again shortly (detail says why)


@dataclass(frozen=True)
class HeldMessage:
    notification_id: str
    ticket_id: str
    channel: str
    subject: str
    held_at: datetime


class NotificationLedger:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._engine.connect() as db:
            if db.dialect.name == "sqlite":
                # The write lock before the first read: a claim's count and the insert that
                # depends on it cannot interleave with another process's.
                db.exec_driver_sql("BEGIN IMMEDIATE")
            yield db
            db.commit()  # leaving by an exception rolls back as the connection closes

    def claim(self, message: OutgoingMessage, rules: ChannelRules) -> Claim:
        """Record the attempt before the provider call; send=False when it must not call."""
        now = _now()
        with self._transaction() as db:
            if rules.limit is not None or rules.by_recipient_only:
                _lock_recipient(db, message)
            row = _locked(db, message.notification_id)
            if row is None:
                first = self._first_claim(db, message, rules, now)
                if first is not None:
                    return first
                row = _locked(db, message.notification_id)  # another worker inserted it first
                assert row is not None
            return self._again(db, message, row, rules, now)

    def _first_claim(
        self, db: Connection, message: OutgoingMessage, rules: ChannelRules, now: datetime
    ) -> Claim | None:
        """None when another worker's claim inserted the row meanwhile."""
        recent = _recipient(message, since=now - rules.window)
        held = rules.limit is not None and db.execute(_RECENT, recent).scalar_one() >= rules.limit
        if not held and _busy(db, message, rules, now, looked_up=False):
            return Claim(send=False, status="pending", detail=ONE_AT_A_TIME, wait=True)
        status: LedgerStatus = "throttled" if held else "pending"
        row = {
            "notification_id": message.notification_id,
            "ticket_id": message.ticket_id,
            "channel": message.channel,
            "audience": message.audience,
            "kind": message.kind,
            "recipient": message.recipient,
            "email": message.email,
            "subject": message.subject,
            "status": status,
            "attempts": 0 if held else 1,
            "created_at": now,
            "attempted_at": None if held else now,
        }
        if not insert_once(db, notifications, row):
            return None
        if held:
            detail = (
                f"held back: {rules.limit} {message.channel} per recipient per window; "
                "goes out in the digest email"
            )
            _event(db, message.notification_id, now, row["attempts"], status, detail=detail)
            return Claim(send=False, status="throttled", detail=detail)
        _event(db, message.notification_id, now, row["attempts"], status)
        return Claim(send=True, status="pending")

    def _again(
        self,
        db: Connection,
        message: OutgoingMessage,
        row: Row[Any],
        rules: ChannelRules,
        now: datetime,
    ) -> Claim:
        nid, status = row.notification_id, row.status
        if status == "retrying" or (status in _UNSURE and rules.if_unsure == "resend"):
            return _send_again(db, message, row, rules, now)
        if status in _UNSURE and rules.if_unsure == "ask":
            _set(db, nid, now, status="checking")
            return Claim(send=False, status="checking", since=_utc(row.created_at))
        if status in ("pending", "checking"):
            _set(db, nid, now, status="unknown", detail=STOPPED_MID_CALL)
            return Claim(send=False, status="unknown", detail=STOPPED_MID_CALL)
        return Claim(send=False, status=status, provider_id=row.provider_id, detail=row.detail)

    def resolve(
        self, message: OutgoingMessage, found: list[str], since: datetime, rules: ChannelRules
    ) -> Claim:
        """After `claim` said checking and the provider was asked: `found` are the provider's
        ids of messages like this one since `since`, oldest first. The first that no other
        notification holds is this one's (sent, not again); none: send now. When the records
        show only the recipient, more must be unclaimed than other messages with unknown
        outcomes may have left, else send again. While another message to the recipient may be
        in flight, its id may be among them: wait."""
        now = _now()
        with self._transaction() as db:
            _lock_recipient(db, message)  # two notifications never take the same record
            row = _locked(db, message.notification_id)
            assert row is not None
            if row.status != "checking":  # another attempt of it got here first
                return Claim(
                    False, row.status, row.provider_id, row.detail, wait=row.status == "retrying"
                )
            nid = row.notification_id
            if _in_flight(db, message, rules, now):
                _set(db, nid, now, status="checking", detail=IN_FLIGHT)
                return Claim(send=False, status="checking", detail=IN_FLIGHT, wait=True)
            taken = set(db.execute(_TAKEN, {"found": found}).scalars()) if found else set()
            unclaimed = [provider_id for provider_id in found if provider_id not in taken]
            if not unclaimed:
                return _send_again(db, message, row, rules, now, NOT_FOUND, looked_up=True)
            if rules.by_recipient_only:
                # One of them is this message's only if there are more than the others may
                # have left.
                others = _recipient(message, since=since, nid=nid)
                left = sum(db.execute(q, others).scalar_one() for q in _OTHERS_MAY_HAVE_LEFT)
                if len(unclaimed) <= left:
                    return _send_again(db, message, row, rules, now, AMBIGUOUS, looked_up=True)
            _set(db, nid, now, status="sent", provider_id=unclaimed[0], detail=FOUND)
            return Claim(send=False, status="sent", provider_id=unclaimed[0], detail=FOUND)

    def settle(
        self,
        notification_id: str,
        status: LedgerStatus,
        provider_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        with self._transaction() as db:
            row = _locked(db, notification_id)
            if row is not None and row.status in _FINAL and status not in _FINAL:
                return  # the provider's report came before the worker settled: it stands
            _set(db, notification_id, _now(), status=status, provider_id=provider_id, detail=detail)

    def open_ticket_of(self, notification_id: str) -> str | None:
        """The notification's ticket while its outcome is open to a provider's report; None for
        an unknown notification or one whose outcome is final (a duplicate or late report)."""
        with self._engine.connect() as db:
            row = db.execute(_TICKET_STATUS, {"nid": notification_id}).first()
        return None if row is None or row.status in _FINAL else str(row.ticket_id)

    def report(
        self, notification_id: str, status: Reported, provider_id: str | None, detail: str
    ) -> bool:
        """A provider's report on a sent notification; False when its outcome was final already
        (then nothing is recorded)."""
        with self._transaction() as db:
            row = _locked(db, notification_id)
            if row is None or row.status in _FINAL:
                return False
            provider_id = row.provider_id or provider_id
            _set(db, notification_id, _now(), status=status, provider_id=provider_id, detail=detail)
            return True

    def take_digest(self, email: str, digest_id: str) -> list[HeldMessage]:
        """The held messages for this address, bound to digest_id (the same ones on a retry)."""
        with self._transaction() as db:
            db.execute(_BIND_DIGEST, {"held_for": email, "digest": digest_id})
            rows = db.execute(_DIGEST, {"digest": digest_id}).all()
        return [HeldMessage(*row[:4], _utc(row.created_at)) for row in rows]

    def status(self, notification_id: str) -> LedgerStatus | None:
        """The row's status; operators and tests read the ledger through this."""
        with self._engine.connect() as db:
            return db.execute(_STATUS, {"nid": notification_id}).scalar()


def _send_again(
    db: Connection,
    message: OutgoingMessage,
    row: Row[Any],
    rules: ChannelRules,
    now: datetime,
    detail: str | None = None,
    looked_up: bool = False,
) -> Claim:
    if _busy(db, message, rules, now, looked_up):
        return Claim(send=False, status=row.status, detail=ONE_AT_A_TIME, wait=True)
    changes: dict[str, Any] = {"detail": detail} if detail else {}
    attempt = row.attempts + 1
    _set(
        db,
        row.notification_id,
        now,
        status="pending",
        attempts=attempt,
        attempted_at=now,
        **changes,
    )
    return Claim(send=True, status="pending", detail=detail)


def _busy(
    db: Connection, message: OutgoingMessage, rules: ChannelRules, now: datetime, looked_up: bool
) -> bool:
    """One call at a time per recipient (the caller holds the recipient's lock): none while
    another may be under way, nor while another's outcome is unknown, until its retry has asked
    the provider (it has by twice the attempt timeout). One just looked up is that retry."""
    if not rules.by_recipient_only:
        return False
    if looked_up:
        return _in_flight(db, message, rules, now)
    others = _recipient(message, since=now - 2 * rules.in_flight, nid=message.notification_id)
    return db.execute(_OTHERS_UNSURE, others).scalar_one() > 0


def _in_flight(
    db: Connection, message: OutgoingMessage, rules: ChannelRules, now: datetime
) -> bool:
    """Another message to the recipient may be being sent right now."""
    others = _recipient(message, since=now - rules.in_flight, nid=message.notification_id)
    return db.execute(_IN_FLIGHT, others).first() is not None


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(instant: datetime) -> datetime:
    """SQLite gives back naive datetimes; every instant here is UTC."""
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


# Statements built once and executed with parameters: building one costs several times what
# executing it does, and a delivery runs about ten of them.
_NID = bindparam("nid")
_ROW = select(notifications).where(notifications.c.notification_id == _NID).with_for_update()
_SINCE = bindparam("since")
_TO = (  # messages to the recipient
    notifications.c.channel == bindparam("channel"),
    notifications.c.recipient == bindparam("recipient"),
)
_OTHER = (*_TO, notifications.c.notification_id != _NID)
_RECENT = (
    select(func.count())
    .select_from(notifications)
    .where(*_TO, notifications.c.attempted_at >= _SINCE, notifications.c.status.in_(_COUNTED))
)
# Another message to this recipient being sent (its attempt began since `since`).
_IN_FLIGHT = (
    select(notifications.c.notification_id)
    .where(*_OTHER, notifications.c.attempted_at >= _SINCE, notifications.c.status == "pending")
    .limit(1)
)
_LOCK_RECIPIENT = (
    select(throttle_windows.c.channel)
    .where(
        throttle_windows.c.channel == bindparam("channel"),
        throttle_windows.c.recipient == bindparam("recipient"),
    )
    .with_for_update()
)
# Records of the provider's that other messages to the recipient may have left unclaimed: one
# per message still unsure, one per resend after ambiguous records (a message found at the
# provider holds its record; one the provider had no record of left none).
_OTHERS_UNSURE = (
    select(func.count())
    .select_from(notifications)
    .where(*_OTHER, notifications.c.attempted_at >= _SINCE)
    .where(notifications.c.status.in_(_UNSURE))
)
_OTHERS_SENT_AGAIN = (
    select(func.count())
    .select_from(
        notification_events.join(
            notifications,
            notification_events.c.notification_id == notifications.c.notification_id,
        )
    )
    .where(*_OTHER, notification_events.c.at >= _SINCE)
    .where(notification_events.c.detail == AMBIGUOUS)
)
_OTHERS_MAY_HAVE_LEFT = (_OTHERS_UNSURE, _OTHERS_SENT_AGAIN)
_TAKEN = select(notifications.c.provider_id).where(
    notifications.c.provider_id.in_(bindparam("found", expanding=True))
)
_UPDATE = (
    update(notifications)
    .where(notifications.c.notification_id == _NID)
    .returning(notifications.c.attempts)
)
_EVENT = insert(notification_events)
_BIND_DIGEST = (
    update(notifications)
    .where(
        notifications.c.email == bindparam("held_for"),
        notifications.c.status == "throttled",
        notifications.c.digest_id.is_(None),
    )
    .values(digest_id=bindparam("digest"))
)
_DIGEST = (
    select(
        notifications.c.notification_id,
        notifications.c.ticket_id,
        notifications.c.channel,
        notifications.c.subject,
        notifications.c.created_at,
    )
    .where(notifications.c.digest_id == bindparam("digest"))
    .order_by(notifications.c.created_at)
)
_STATUS = select(notifications.c.status).where(notifications.c.notification_id == _NID)
_TICKET_STATUS = select(notifications.c.ticket_id, notifications.c.status).where(
    notifications.c.notification_id == _NID
)


def _locked(db: Connection, notification_id: str) -> Row[Any] | None:
    return db.execute(_ROW, {"nid": notification_id}).first()


def _recipient(message: OutgoingMessage, **more: Any) -> dict[str, Any]:
    return {"channel": message.channel, "recipient": message.recipient, **more}


def _lock_recipient(db: Connection, message: OutgoingMessage) -> None:
    """Until commit, no other transaction counts or matches this recipient's messages."""
    key = _recipient(message)
    if db.execute(_LOCK_RECIPIENT, key).first() is None:
        insert_once(db, throttle_windows, key)
        db.execute(_LOCK_RECIPIENT, key)


def _set(db: Connection, notification_id: str, now: datetime, **values: Any) -> None:
    """Change the row and append the change to its events."""
    attempts = db.execute(_UPDATE, {"nid": notification_id, **values}).scalar_one()
    _event(
        db,
        notification_id,
        now,
        attempts,
        values["status"],
        values.get("provider_id"),
        values.get("detail"),
    )


def _event(
    db: Connection,
    notification_id: str,
    now: datetime,
    attempt: int,
    status: str,
    provider_id: str | None = None,
    detail: str | None = None,
) -> None:
    db.execute(
        _EVENT,
        {
            "notification_id": notification_id,
            "at": now,
            "status": status,
            "attempt": attempt,
            "provider_id": provider_id,
            "detail": detail,
        },
    )
