"""Notification ledger: one row per notification id, written before the provider call.

Providers offer no idempotency key, so "never twice" comes from here: a retry, a worker crash or
a replay finds the row and its outcome instead of calling the provider again. The Ledger protocol
is what the delivery code needs; the records store (issue 4) can take it over. Until then
SqliteLedger keeps it in DATA_DIR/ledger.sqlite3."""

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal, Protocol

from activities.messages import OutgoingMessage

# pending: a provider call may be under way (or died with its worker); retrying: known not sent;
# unknown: the provider may or may not have sent it; throttled: held back for a digest.
LedgerStatus = Literal["pending", "retrying", "sent", "unknown", "failed", "throttled"]
# Rows that count against a recipient's throttle: sent, or about to be, or possibly sent.
_COUNTED = ("pending", "retrying", "sent", "unknown")


@dataclass(frozen=True)
class Claim:
    """What the ledger decided for one delivery attempt."""

    send: bool  # call the provider now
    status: LedgerStatus
    provider_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class HeldMessage:
    notification_id: str
    ticket_id: str
    channel: str
    subject: str
    held_at: float


class Ledger(Protocol):
    def claim(
        self, message: OutgoingMessage, resend_unknown: bool, limit: int | None, window: timedelta
    ) -> Claim:
        """Record the attempt before the provider call; send=False when it must not call."""
        ...

    def settle(
        self,
        notification_id: str,
        status: LedgerStatus,
        provider_id: str | None = None,
        detail: str | None = None,
    ) -> None: ...

    def take_digest(self, email: str, digest_id: str) -> list[HeldMessage]:
        """The held messages for this address, bound to digest_id (the same ones on a retry)."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    notification_id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    email TEXT,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    provider_id TEXT,
    detail TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    attempted_at REAL,
    digest_id TEXT
);
CREATE INDEX IF NOT EXISTS notifications_throttle
    ON notifications (channel, recipient, attempted_at);
CREATE INDEX IF NOT EXISTS notifications_digest ON notifications (email, status, digest_id);
"""


class SqliteLedger:
    """The ledger in one SQLite file; safe across the worker's threads and processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # One connection for the worker's life: opening one per transaction cost ~5 ms each
        # (closing the last one checkpoints the WAL), which queued a burst's deliveries behind
        # the lock for seconds. The lock serializes this process's threads on it.
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock first: the throttle count and the insert that
        # depends on it cannot interleave with another worker's.
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # Also after a failed COMMIT: the shared connection must not stay in a transaction.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def claim(
        self, message: OutgoingMessage, resend_unknown: bool, limit: int | None, window: timedelta
    ) -> Claim:
        now = time.time()
        with self._transaction() as db:
            row = db.execute(
                "SELECT status, provider_id, detail FROM notifications WHERE notification_id = ?",
                (message.notification_id,),
            ).fetchone()
            if row is None:
                return self._first_claim(db, message, limit, window, now)
            status, provider_id, detail = row
            ambiguous = status in ("pending", "unknown")
            if status == "retrying" or (ambiguous and resend_unknown):
                db.execute(
                    "UPDATE notifications SET status = 'pending', attempts = attempts + 1, "
                    "attempted_at = ? WHERE notification_id = ?",
                    (now, message.notification_id),
                )
                return Claim(send=True, status="pending")
            if status == "pending":
                # The last attempt died inside the provider call: it may have been sent.
                detail = "worker stopped during the provider call; not sent again"
                db.execute(
                    "UPDATE notifications SET status = 'unknown', detail = ? "
                    "WHERE notification_id = ?",
                    (detail, message.notification_id),
                )
                return Claim(send=False, status="unknown", detail=detail)
            return Claim(send=False, status=status, provider_id=provider_id, detail=detail)

    def _first_claim(
        self,
        db: sqlite3.Connection,
        message: OutgoingMessage,
        limit: int | None,
        window: timedelta,
        now: float,
    ) -> Claim:
        held = limit is not None and self._recent(db, message, window, now) >= limit
        status: LedgerStatus = "throttled" if held else "pending"
        db.execute(
            "INSERT INTO notifications (notification_id, ticket_id, channel, recipient, email, "
            "subject, status, attempts, created_at, attempted_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                message.notification_id,
                message.ticket_id,
                message.channel,
                message.recipient,
                message.email,
                message.subject,
                status,
                0 if held else 1,
                now,
                None if held else now,
            ),
        )
        if held:
            return Claim(
                send=False,
                status="throttled",
                detail=f"held back: {limit} {message.channel} per recipient per window; "
                "goes out in the digest email",
            )
        return Claim(send=True, status="pending")

    @staticmethod
    def _recent(
        db: sqlite3.Connection, message: OutgoingMessage, window: timedelta, now: float
    ) -> int:
        placeholders = ",".join("?" * len(_COUNTED))
        (count,) = db.execute(
            "SELECT COUNT(*) FROM notifications WHERE channel = ? AND recipient = ? "
            f"AND attempted_at >= ? AND status IN ({placeholders})",
            (message.channel, message.recipient, now - window.total_seconds(), *_COUNTED),
        ).fetchone()
        return int(count)

    def settle(
        self,
        notification_id: str,
        status: LedgerStatus,
        provider_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE notifications SET status = ?, provider_id = ?, detail = ? "
                "WHERE notification_id = ?",
                (status, provider_id, detail, notification_id),
            )

    def take_digest(self, email: str, digest_id: str) -> list[HeldMessage]:
        with self._transaction() as db:
            db.execute(
                "UPDATE notifications SET digest_id = ? "
                "WHERE email = ? AND status = 'throttled' AND digest_id IS NULL",
                (digest_id, email),
            )
            rows = db.execute(
                "SELECT notification_id, ticket_id, channel, subject, created_at "
                "FROM notifications WHERE digest_id = ? ORDER BY created_at",
                (digest_id,),
            ).fetchall()
        return [HeldMessage(*row) for row in rows]

    def status(self, notification_id: str) -> LedgerStatus | None:
        """The row's status; operators and tests read the ledger through this."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT status FROM notifications WHERE notification_id = ?", (notification_id,)
            ).fetchone()
        return row[0] if row else None
