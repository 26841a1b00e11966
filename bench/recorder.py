"""The bench's fake provider: records the wall-clock instant each notification reaches it.

Runs inside the worker process as the NotificationSender; the bench process reads the file.
One line per first delivery, `<unix time> <notification_id>`, flushed at once so the reader
sees a page as soon as it is handed over."""

import threading
import time
from pathlib import Path

from activities.messages import OutgoingMessage


class RecordingSender:
    """A ChannelSender for every channel: the delivery (ledger, throttle) runs as in production
    and hands each message here instead of to SendGrid or Twilio."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        # Line-buffered: each record is visible to the bench as soon as it is written.
        self._out = path.open("a", encoding="utf-8", buffering=1)

    def send(self, message: OutgoingMessage) -> str:
        handed_at = time.time()  # first thing: the instant the activity hands the page over
        with self._lock:
            if message.notification_id not in self._seen:
                self._seen.add(message.notification_id)
                self._out.write(f"{handed_at:.6f} {message.notification_id}\n")
        return "bench"


def read_records(path: Path) -> dict[str, float]:
    """notification_id -> the instant it was handed to the sender (the first one per id)."""
    records: dict[str, float] = {}
    if not path.exists():
        return records
    text = path.read_text(encoding="utf-8")
    # A line being written right now has no newline yet: leave it for the next read.
    for line in text[: text.rfind("\n") + 1].splitlines():
        stamp, _, notification_id = line.partition(" ")
        if notification_id and notification_id not in records:
            records[notification_id] = float(stamp)
    return records
