"""The reports' delivery section against hand-worked ledger records, on SQLite and PostgreSQL:
per channel, what the providers took, delivered, lost or refused, and their latency from
accepting a message to reporting it delivered."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert

from reports.build import make_report, render
from store.schema import notification_events, notifications
from tests.report_fixture import SINCE, UNTIL, W10
from tests.test_reports import cli_report

BOUNCE = "sendgrid bounce: 550 5.1.1 no such user"
# id: (channel, created at, [(seconds after, status, detail)]): the ledger's rows as workers and
# the delivery webhooks write them.
LEDGER = {
    "E1": ("email", W10, [(0, "pending", None), (1, "sent", None), (3, "delivered", None)]),
    "E2": ("email", W10, [(0, "pending", None), (1, "sent", None), (5, "delivered", None)]),
    "E3": ("email", W10, [(0, "sent", None), (9, "failed", BOUNCE)]),
    "E4": ("email", W10, [(0, "pending", None)]),
    "S1": ("sms", W10, [(0, "sent", None), (10, "delivered", None)]),
    "S2": ("sms", W10, [(0, "pending", None), (1, "failed", "400 invalid number")]),
    "P1": ("phone", W10, [(0, "sent", None), (40, "failed", "twilio no-answer")]),
    "P2": ("phone", W10, [(0, "sent", None), (30, "delivered", None)]),
    "P3": ("phone", SINCE - timedelta(days=1), [(0, "sent", None), (5, "delivered", None)]),
}


def load_ledger(engine: Engine) -> None:
    with engine.begin() as db:
        for nid, (channel, created, history) in LEDGER.items():
            status, detail = history[-1][1:]
            db.execute(
                insert(notifications),
                {
                    "notification_id": nid,
                    "ticket_id": "A",
                    "channel": channel,
                    "audience": "team",
                    "kind": "new_ticket",
                    "recipient": "l4@example.com",
                    "subject": "New ticket",
                    "status": status,
                    "detail": detail,
                    "attempts": 1,
                    "created_at": created,
                },
            )
            for offset, event, event_detail in history:
                db.execute(
                    insert(notification_events),
                    {
                        "notification_id": nid,
                        "at": created + timedelta(seconds=offset),
                        "status": event,
                        "attempt": 1,
                        "detail": event_detail,
                    },
                )


def test_delivery_outcomes_and_provider_latency_by_channel(engine: Engine) -> None:
    load_ledger(engine)
    deliveries = make_report(engine, SINCE, UNTIL)["deliveries"]
    assert deliveries == {
        "email": {
            "notifications": 4,
            "sent": 3,
            "delivered": 2,
            "undelivered": 1,
            "failed": 0,
            "outcomes": {"bounce": 1},
            "latency_count": 2,
            "latency_p50_seconds": 3.0,  # 2 s and 4 s from taken to delivered
            "latency_p95_seconds": pytest.approx(3.9),
        },
        "phone": {  # P3 was created before the window
            "notifications": 2,
            "sent": 2,
            "delivered": 1,
            "undelivered": 1,
            "failed": 0,
            "outcomes": {"no-answer": 1},
            "latency_count": 1,
            "latency_p50_seconds": 30.0,
            "latency_p95_seconds": 30.0,
        },
        "sms": {
            "notifications": 2,
            "sent": 1,
            "delivered": 1,
            "undelivered": 0,
            "failed": 1,  # refused when sent: never taken, so no provider outcome
            "outcomes": {},
            "latency_count": 1,
            "latency_p50_seconds": 10.0,
            "latency_p95_seconds": 10.0,
        },
    }


async def test_the_report_command_shows_the_delivery_section_in_every_format(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    load_ledger(engine)
    window = ("--since", SINCE.date().isoformat(), "--until", UNTIL.date().isoformat())
    code, out, _ = await cli_report(engine, monkeypatch, capsys, *window, "--format", "json")
    assert code == 0 and json.loads(out)["deliveries"]["phone"]["outcomes"] == {"no-answer": 1}
    _, out, _ = await cli_report(engine, monkeypatch, capsys, *window)
    assert (
        "email                    4             3             2             1             0"
        "          3.0s          3.9s  reported: bounce 1"
    ) in out
    _, out, _ = await cli_report(engine, monkeypatch, capsys, *window, "--format", "html")
    assert "<h2>Deliveries by channel</h2>" in out
    assert "<tr><td>phone</td><td>2</td><td>2</td><td>1</td><td>1</td><td>0</td>" in out
    assert "<td>no-answer 1</td></tr>" in out


def test_a_report_without_notifications_says_so(engine: Engine) -> None:
    report = make_report(engine, SINCE, UNTIL)
    assert report["deliveries"] == {}
    assert "(no notifications)" in render(report, "table")
