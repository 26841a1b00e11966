"""The notification ledger in the records store, on SQLite and PostgreSQL: never twice, the
storm limit, the provider lookup's matching, and the same guarantees between workers (separate
engines on one database, racing from many threads)."""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, Row, select

from activities.messages import OutgoingMessage
from store.database import create_store_engine
from store.ledger import (
    AMBIGUOUS,
    FOUND,
    IN_FLIGHT,
    NOT_FOUND,
    ONE_AT_A_TIME,
    STOPPED_MID_CALL,
    ChannelRules,
    NotificationLedger,
)
from store.schema import notification_events

WINDOW = timedelta(minutes=15)
# As delivery sets them for the shipped policy (3 calls, here 3 SMS too, per 15 minutes).
CALL = ChannelRules(
    "ask", limit=3, window=WINDOW, in_flight=timedelta(seconds=30), by_recipient_only=True
)
SMS = ChannelRules("ask", limit=3, window=WINDOW, in_flight=timedelta(seconds=30))
TEAM_EMAIL, CUSTOMER_EMAIL = ChannelRules("resend"), ChannelRules("keep")
T = TypeVar("T")


def page(ticket: int, channel: str = "phone", audience: str = "team") -> OutgoingMessage:
    """Ticket `ticket`'s page to L4's phone (or SMS, or email)."""
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
    assert ledger.claim(message, CALL).send
    ledger.settle(message.notification_id, "sent", "CA1")
    again = ledger.claim(message, CALL)
    assert (again.send, again.status, again.provider_id) == (False, "sent", "CA1")


def test_two_workers_racing_for_one_notification_call_the_provider_once(
    two_workers: list[NotificationLedger],
):
    claims = race(two_workers, 12, lambda ledger, _: ledger.claim(page(1, "sms"), SMS))
    assert sum(claim.send for claim in claims) == 1
    # the others found the first claim's attempt under way, outcome not known yet
    assert {claim.status for claim in claims if not claim.send} == {"checking"}


def test_two_workers_racing_for_one_recipients_sms_stay_within_the_storm_limit(
    two_workers: list[NotificationLedger],
):
    claims = race(two_workers, 12, lambda ledger, i: ledger.claim(page(i, "sms"), SMS))
    assert sorted(claim.status for claim in claims) == ["pending"] * 3 + ["throttled"] * 9
    assert all("held back: 3 sms" in (c.detail or "") for c in claims if not c.send)


def test_two_workers_racing_to_call_one_recipient_call_one_at_a_time(
    two_workers: list[NotificationLedger],
):
    claims = race(two_workers, 12, lambda ledger, i: ledger.claim(page(i), CALL))
    [calling] = [i for i, claim in enumerate(claims) if claim.send]
    assert all(c.wait and c.detail == ONE_AT_A_TIME for c in claims if not c.send)
    two_workers[0].settle(page(calling).notification_id, "sent", "CA1")
    waited = next(i for i in range(12) if i != calling)
    assert two_workers[1].claim(page(waited), CALL).send


def test_a_call_waits_while_another_call_to_the_recipient_has_an_unknown_outcome(
    ledger: NotificationLedger,
):
    unsure, waiting = page(1), page(2)
    ledger.claim(unsure, CALL)
    ledger.settle(unsure.notification_id, "unknown", detail="twilio HTTP 500")
    assert ledger.claim(waiting, CALL).wait  # CA1 must stay attributable
    since = ledger.claim(unsure, CALL).since
    assert since
    assert ledger.resolve(unsure, ["CA1"], since, CALL).provider_id == "CA1"
    assert ledger.claim(waiting, CALL).send


def test_the_storm_limit_counts_what_may_have_gone_out_and_frees_what_failed(
    ledger: NotificationLedger,
):
    for ticket, outcome in ((1, "sent"), (2, "unknown"), (3, "failed")):
        assert ledger.claim(page(ticket, "sms"), SMS).send
        ledger.settle(page(ticket, "sms").notification_id, outcome)
    assert ledger.claim(page(4, "sms"), SMS).send  # the failed SMS used no slot
    assert ledger.claim(page(5, "sms"), SMS).status == "throttled"
    assert ledger.claim(page(6), CALL).send  # calls count on their own


def test_a_customer_message_whose_worker_died_mid_call_is_unknown_and_not_sent_again(
    ledger: NotificationLedger,
):
    message = page(1, "email", "customer")
    assert ledger.claim(message, CUSTOMER_EMAIL).send
    # the worker died here; the retry finds the attempt pending
    again = ledger.claim(message, CUSTOMER_EMAIL)
    assert (again.send, again.status, again.detail) == (False, "unknown", STOPPED_MID_CALL)
    assert ledger.status(message.notification_id) == "unknown"


def test_a_team_email_whose_outcome_is_unknown_is_sent_again(ledger: NotificationLedger):
    message = page(1, "email")
    assert ledger.claim(message, TEAM_EMAIL).send
    ledger.settle(message.notification_id, "unknown", detail="sendgrid HTTP 500")
    assert ledger.claim(message, TEAM_EMAIL).send


def test_an_unsure_page_takes_the_providers_record_that_no_other_notification_holds(
    ledger: NotificationLedger,
):
    sent, unsure = page(1), page(2)
    ledger.claim(sent, CALL)
    ledger.settle(sent.notification_id, "sent", "CA1")
    ledger.claim(unsure, CALL)  # its worker died in the provider call
    checking = ledger.claim(unsure, CALL)
    assert (checking.send, checking.status) == (False, "checking") and checking.since
    resolved = ledger.resolve(unsure, ["CA1", "CA2"], checking.since, CALL)
    assert (resolved.send, resolved.status, resolved.provider_id) == (False, "sent", "CA2")
    assert resolved.detail == FOUND
    assert ledger.claim(unsure, CALL).provider_id == "CA2"


def test_an_unsure_page_the_provider_has_no_record_of_is_sent_again(
    ledger: NotificationLedger, engine: Engine
):
    held, unsure = page(1), page(2)
    ledger.claim(held, CALL)
    ledger.settle(held.notification_id, "sent", "CA1")
    ledger.claim(unsure, CALL)
    ledger.settle(unsure.notification_id, "unknown", detail="twilio: no answer within 10 s")
    since = ledger.claim(unsure, CALL).since
    assert since
    resolved = ledger.resolve(unsure, ["CA1"], since, CALL)  # CA1 is another page's
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


def test_an_answer_waits_while_another_message_to_the_recipient_is_in_flight(
    ledger: NotificationLedger,
):
    in_flight, unsure = page(1, "sms"), page(2, "sms")
    ledger.claim(unsure, SMS)
    ledger.claim(in_flight, SMS)  # being sent right now: SM9 may be its record
    since = ledger.claim(unsure, SMS).since
    assert since
    waiting = ledger.resolve(unsure, ["SM9"], since, SMS)
    assert (waiting.send, waiting.wait, waiting.detail) == (False, True, IN_FLIGHT)
    ledger.settle(in_flight.notification_id, "sent", "SM9")
    ledger.claim(unsure, SMS)
    assert ledger.resolve(unsure, ["SM9"], since, SMS).send  # SM9 was the other's


def test_two_unsure_sms_with_the_same_text_never_take_the_same_record(
    two_workers: list[NotificationLedger],
):
    texts = [page(1, "sms"), page(2, "sms")]
    for message in texts:
        two_workers[0].claim(message, SMS)
        two_workers[0].settle(message.notification_id, "unknown")
    since = two_workers[0].claim(texts[0], SMS).since
    two_workers[0].claim(texts[1], SMS)
    assert since
    # one SMS reached the provider: one takes it, the other is sent again
    resolved = race(two_workers, 2, lambda ledger, i: ledger.resolve(texts[i], ["SM1"], since, SMS))
    assert sorted((r.status, r.provider_id) for r in resolved) == [
        ("pending", None),
        ("sent", "SM1"),
    ]


def two_unsure_calls(ledger: NotificationLedger) -> tuple[OutgoingMessage, ...]:
    """Two pages to one phone whose outcomes are unknown (a 500 each), the second sent when
    the first's retry was overdue: calls carry nothing Twilio shows but the recipient, so its
    records cannot say whose is whose."""
    calls = page(1), page(2)
    overdue = replace(CALL, in_flight=timedelta(0))
    for message in calls:
        assert ledger.claim(message, overdue).send
        ledger.settle(message.notification_id, "unknown", detail="twilio HTTP 500")
    for message in calls:
        assert ledger.claim(message, CALL).status == "checking"
    return calls


def test_a_call_record_that_may_be_another_unsure_calls_is_not_taken(
    ledger: NotificationLedger, engine: Engine
):
    first, second = two_unsure_calls(ledger)
    since = datetime.now(UTC) - timedelta(minutes=1)
    resend = ledger.resolve(first, ["CA1"], since, CALL)  # CA1 may be either page's
    assert (resend.send, ledger.status(first.notification_id)) == (True, "pending")
    ledger.settle(first.notification_id, "sent", "CA2")
    # CA1 may still be the first page's earlier attempt
    assert ledger.resolve(second, ["CA1"], since, CALL).send
    assert [e.detail for e in events(engine, second)][-1] == AMBIGUOUS


def test_two_unsure_calls_that_both_reached_twilio_both_take_a_record(
    ledger: NotificationLedger,
):
    first, second = two_unsure_calls(ledger)
    since = datetime.now(UTC) - timedelta(minutes=1)
    taken = ledger.resolve(first, ["CA1", "CA2"], since, CALL)
    assert (taken.send, taken.provider_id) == (False, "CA1")
    assert ledger.resolve(second, ["CA1", "CA2"], since, CALL).provider_id == "CA2"


def test_held_messages_go_into_one_digest_the_same_on_a_retry(ledger: NotificationLedger):
    for ticket in range(5):
        if ledger.claim(page(ticket), CALL).send:
            ledger.settle(page(ticket).notification_id, "sent")
    first = ledger.take_digest("l4-oncall@support.example.com", "D1")
    assert [h.ticket_id for h in first] == ["T-3", "T-4"]
    assert ledger.take_digest("l4-oncall@support.example.com", "D1") == first
    assert ledger.take_digest("l4-oncall@support.example.com", "D2") == []


def test_a_providers_report_is_final_even_when_it_comes_before_the_workers_settle(
    ledger: NotificationLedger, engine: Engine
):
    message = page(1)
    nid = message.notification_id
    assert ledger.open_ticket_of(nid) is None  # not claimed: nothing to report on
    assert ledger.claim(message, CALL).send
    assert ledger.open_ticket_of(nid) == "T-1"
    assert ledger.report(nid, "delivered", "CA1", "twilio completed")
    ledger.settle(nid, "sent", "CA1")  # the worker hears back from Twilio after the callback
    assert not ledger.report(nid, "failed", "CA1", "twilio busy")  # late, out of order
    assert (ledger.status(nid), ledger.open_ticket_of(nid)) == ("delivered", None)
    assert [e.status for e in events(engine, message)] == ["pending", "delivered"]
    again = ledger.claim(message, CALL)  # a retry of the activity finds the outcome
    assert (again.send, again.status) == (False, "delivered")


def events(engine: Engine, message: OutgoingMessage) -> list[Row[Any]]:
    with engine.connect() as db:
        return db.execute(
            select(notification_events)
            .where(notification_events.c.notification_id == message.notification_id)
            .order_by(notification_events.c.event_id)
        ).all()
