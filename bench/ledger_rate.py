"""Notification ledger throughput: claims and settles per second on one thread, SQLite on disk.

    .venv/bin/python -m bench.ledger_rate [--notifications 2000]

Each notification is what a delivery writes: a claim before the provider call (with the storm
throttle's count) and a settle after it."""

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from activities.ledger import SqliteLedger
from activities.messages import OutgoingMessage


def rate(notifications: int, directory: Path) -> float:
    ledger = SqliteLedger(directory / "ledger.sqlite3")
    began = time.perf_counter()
    for index in range(notifications):
        message = OutgoingMessage(
            notification_id=f"T-{index}:1:sla_breach:L1:sms:team",
            ticket_id=f"T-{index}",
            channel="sms",
            audience="team",
            recipient=f"+1555{index % 50:07d}",
            kind="sla_breach",
            level=1,
            priority="P2",
            subject="SLA breach",
            body="L1 acknowledgment missed",
        )
        ledger.claim(message, resend_unknown=True, limit=5, window=timedelta(minutes=15))
        ledger.settle(message.notification_id, "sent", provider_id=f"SM{index}")
    return notifications / (time.perf_counter() - began)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notifications", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledger-") as scratch:
        print(f"ledger: {rate(args.notifications, Path(scratch)):.0f} notifications/s")
