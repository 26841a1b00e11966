"""Notification ledger throughput: claims and settles per second on one thread, in the records
store (a SQLite file, or --database-url, e.g. an empty PostgreSQL database).

    .venv/bin/python -m bench.ledger_rate [--notifications 2000] [--database-url URL]

Each notification is what a delivery writes: a claim before the provider call (with the storm
throttle's count) and a settle after it."""

import argparse
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from activities.messages import OutgoingMessage
from store.database import create_store_engine
from store.ledger import ChannelRules, NotificationLedger
from store.migrate import migrate


def rate(notifications: int, engine: Engine) -> float:
    migrate(engine)
    ledger = NotificationLedger(engine)
    run = uuid.uuid4().hex[:8]  # a database used before keeps its rows: new ids each run
    # An SMS as delivered: storm limit, asked after an unknown outcome.
    rules = ChannelRules(
        "ask", limit=5, window=timedelta(minutes=15), in_flight=timedelta(seconds=30)
    )
    began = time.perf_counter()
    for index in range(notifications):
        message = OutgoingMessage(
            notification_id=f"T-{run}-{index}:1:sla_breach:L1:sms:team",
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
        ledger.claim(message, rules)
        ledger.settle(message.notification_id, "sent", provider_id=f"SM{index}")
    return notifications / (time.perf_counter() - began)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notifications", type=int, default=2000)
    parser.add_argument("--database-url", help="default: a SQLite file in a scratch folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledger-") as scratch:
        engine = create_store_engine(args.database_url or f"sqlite:///{Path(scratch) / 'l.db'}")
        print(f"ledger: {rate(args.notifications, engine):.0f} notifications/s")
        engine.dispose()
