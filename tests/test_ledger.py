"""The notification ledger in the records store, on SQLite and PostgreSQL: never twice, the
storm limit, the provider lookup's matching, and the same guarantees between workers (separate
engines on one database, racing from many threads)."""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, Row, select

from activities.messages import OutgoingMessage
from store.database import create_store_engine
from store.ledger import FOUND, IN_FLIGHT, NOT_FOUND, STOPPED_MID_CALL, NotificationLedger
from store.schema import notification_events

WINDOW = timedelta(minutes=15)
IN_FLIGHT_WINDOW = timedelta(seconds=30)
T = TypeVar("T")


def page(ticket: int, channel: str = "phone", audience: str = "team") -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=f"T-{ticket}:1:new_ticket:L4:{channel}:{audience}",
        ticket_id=f"T-{ticket}",
        channel=channel,
        audience=audience,
        recipient="+15550100004",
        kind="new_ticket",
        level=4,
        priority="P1",
        subject=f"New P1 ticket at Level 4 - Ticket #T-{ticket}",
        body="Checkout fails",
        email="l4-oncall@support.example.com",
    )


@pytest.fixture
def ledger(engine: Engine) -> NotificationLedger:
    return NotificationLedger(engine)


@pytest.fixture
def two_workers(engine: Engine) -> Iterator[list[NotificationLedger]]:
    """Two ledgers with their own connection pools on the test's database, as two workers'."""
    other = create_store_engine(engine.url.render_as_string(hide_password=False))
    yield [NotificationLedger(engine), NotificationLedger(other)]
    other.dispose()


def race(
    ledgers: list[NotificationLedger], calls: int, work: Callable[[NotificationLedger, int], T]
) -> list[T]:
    """`calls` threads, spread over the ledgers, released together."""
    start = threading.Barrier(calls)

    def one(index: int) -> T:
        start.wait()
        return work(ledgers[index % len(ledgers)], index)

    with ThreadPoolExecutor(max_workers=calls) as pool:
        return list(pool.map(one, range(calls)))


def test_a_notification_is_claimed_once_and_every_retry_gets_its_outcome(
    ledger: NotificationLedger,
):
    message = page(1)
    assert ledger.claim(message, "ask", 3, WINDOW).send
    ledger.settle(message.notification_id, "sent", "CA1")
    again = ledger.claim(message, "ask", 3, WINDOW)
    assert (again.send, again.status, again.provider_id) == (False, "sent", "CA1")


def test_two_workers_racing_for_one_notification_call_the_provider_once(
    two_workers: list[NotificationLedger],
):
    claims = race(two_workers, 12, lambda ledger, _: ledger.claim(page(1), "ask", 3, WINDOW))
    assert sum(claim.send for claim in claims) == 1
    # the others found the first claim's attempt under way, outcome not known yet
    assert {claim.status for claim in claims if not claim.send} == {"checking"}


def test_two_workers_racing_for_one_recipients_calls_stay_within_the_storm_limit(
    two_workers: list[NotificationLedger],
):
    claims = race(two_workers, 12, lambda ledger, i: ledger.claim(page(i), "ask", 3, WINDOW))
    assert sorted(claim.status for claim in claims) == ["pending"] * 3 + ["throttled"] * 9
    assert all("held back: 3 phone" in (c.detail or "") for c in claims if not c.send)


def test_the_storm_limit_counts_what_may_have_gone_out_and_frees_what_failed(
    ledger: NotificationLedger,
):
    for ticket, outcome in ((1, "sent"), (2, "unknown"), (3, "failed")):
        assert ledger.claim(page(ticket), "ask", 3, WINDOW).send
        ledger.settle(page(ticket).notification_id, outcome)
    assert ledger.claim(page(4), "ask", 3, WINDOW).send  # the failed call used no slot
    assert ledger.claim(page(5), "ask", 3, WINDOW).status == "throttled"
    assert ledger.claim(page(6, "sms"), "ask", 3, WINDOW).send  # SMS count on their own


def test_a_customer_message_whose_worker_died_mid_call_is_unknown_and_not_sent_again(
    ledger: NotificationLedger,
):
    message = page(1, "email", "customer")
    assert ledger.claim(message, "keep", None, WINDOW).send
    # the worker died here; the retry finds the attempt pending
    again = ledger.claim(message, "keep", None, WINDOW)
    assert (again.send, again.status, again.detail) == (False, "unknown", STOPPED_MID_CALL)
    assert ledger.status(message.notification_id) == "unknown"


def test_a_team_email_whose_outcome_is_unknown_is_sent_again(ledger: NotificationLedger):
    message = page(1, "email")
    assert ledger.claim(message, "resend", None, WINDOW).send
    ledger.settle(message.notification_id, "unknown", detail="sendgrid HTTP 500")
    assert ledger.claim(message, "resend", None, WINDOW).send


def test_an_unsure_page_takes_the_providers_record_that_no_other_notification_holds(
    ledger: NotificationLedger,
):
    sent, unsure = page(1), page(2)
    ledger.claim(sent, "ask", 3, WINDOW)
    ledger.settle(sent.notification_id, "sent", "CA1")
    ledger.claim(unsure, "ask", 3, WINDOW)  # its worker died in the provider call
    checking = ledger.claim(unsure, "ask", 3, WINDOW)
    assert (checking.send, checking.status) == (False, "checking") and checking.since
    resolved = ledger.resolve(unsure, ["CA1", "CA2"], IN_FLIGHT_WINDOW)
    assert (resolved.send, resolved.status, resolved.provider_id) == (False, "sent", "CA2")
    assert resolved.detail == FOUND
    assert ledger.claim(unsure, "ask", 3, WINDOW).provider_id == "CA2"


def test_an_unsure_page_the_provider_has_no_record_of_is_sent_again(
    ledger: NotificationLedger, engine: Engine
):
    held, unsure = page(1), page(2)
    ledger.claim(held, "ask", 3, WINDOW)
    ledger.settle(held.notification_id, "sent", "CA1")
    ledger.claim(unsure, "ask", 3, WINDOW)
    ledger.settle(unsure.notification_id, "unknown", detail="twilio: no answer within 10 s")
    ledger.claim(unsure, "ask", 3, WINDOW)
    resolved = ledger.resolve(unsure, ["CA1"], IN_FLIGHT_WINDOW)  # CA1 is another page's
    assert (resolved.send, resolved.status) == (True, "pending")
    ledger.settle(unsure.notification_id, "sent", "CA3")
    assert [e.status for e in events(engine, unsure)] == [
        "pending",
        "unknown",
        "checking",
        "pending",
        "sent",
    ]
    assert [(e.attempt, e.detail) for e in events(engine, unsure)][3] == (2, NOT_FOUND)


def test_an_answer_waits_while_another_page_to_the_recipient_is_in_flight(
    ledger: NotificationLedger,
):
    in_flight, unsure = page(1), page(2)
    ledger.claim(unsure, "ask", 3, WINDOW)
    ledger.claim(in_flight, "ask", 3, WINDOW)  # being sent right now: CA9 may be its record
    ledger.claim(unsure, "ask", 3, WINDOW)
    waiting = ledger.resolve(unsure, ["CA9"], IN_FLIGHT_WINDOW)
    assert (waiting.send, waiting.status, waiting.detail) == (False, "checking", IN_FLIGHT)
    ledger.settle(in_flight.notification_id, "sent", "CA9")
    ledger.claim(unsure, "ask", 3, WINDOW)
    assert ledger.resolve(unsure, ["CA9"], IN_FLIGHT_WINDOW).send  # CA9 was the other's


def test_two_unsure_pages_never_take_the_same_record(two_workers: list[NotificationLedger]):
    pages = [page(1), page(2)]
    for message in pages:
        two_workers[0].claim(message, "ask", 3, WINDOW)
        two_workers[0].claim(message, "ask", 3, WINDOW)
    # one call reached the provider: one page takes it, the other is sent again
    resolved = race(
        two_workers, 2, lambda ledger, i: ledger.resolve(pages[i], ["CA1"], IN_FLIGHT_WINDOW)
    )
    assert sorted((r.status, r.provider_id) for r in resolved) == [
        ("pending", None),
        ("sent", "CA1"),
    ]


def test_held_messages_go_into_one_digest_the_same_on_a_retry(ledger: NotificationLedger):
    for ticket in range(5):
        ledger.claim(page(ticket), "ask", 3, WINDOW)
    first = ledger.take_digest("l4-oncall@support.example.com", "D1")
    assert [h.ticket_id for h in first] == ["T-3", "T-4"]
    assert ledger.take_digest("l4-oncall@support.example.com", "D1") == first
    assert ledger.take_digest("l4-oncall@support.example.com", "D2") == []


def events(engine: Engine, message: OutgoingMessage) -> list[Row[Any]]:
    with engine.connect() as db:
        return db.execute(
            select(notification_events)
            .where(notification_events.c.notification_id == message.notification_id)
            .order_by(notification_events.c.event_id)
        ).all()
