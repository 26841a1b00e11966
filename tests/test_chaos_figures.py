"""How `make chaos` counts (bench/chaos/figures.py): which notification a provider request
carried, and what counts as lost, duplicated, explained, or late. The suite itself runs outside
`make test` (it takes minutes); its counting is checked here, in milliseconds."""

from datetime import UTC, datetime, timedelta

import pytest

from activities.delivery import provider_channels
from activities.messages import OutgoingMessage
from bench.chaos.figures import Figures, Window, account, deadline_lateness, notification_id
from contract.status import Breach, Deadlines, NotificationEntry, TicketRecord
from policy import load_policy
from tests.fake_providers import FakeProviders, Seen

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def message(channel: str, audience: str = "team") -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=f"T-1:4:handoff:L4:{channel}:{audience}",
        ticket_id="T-1",
        channel=channel,
        audience=audience,
        recipient="l4-oncall@support.example.com" if channel == "email" else "+15550100004",
        kind="handoff",
        level=4,
        priority="P2",
        subject="Escalation to Engineering",
        body="Customer: Ada",
        summary="Checkout latency",
    )


def entry(notification_id: str, audience: str = "team") -> NotificationEntry:
    channel = notification_id.split(":")[4]
    return NotificationEntry(
        notification_id=notification_id,
        channel=channel,
        audience=audience,
        recipient="someone",
        kind="handoff",
        level=4,
        at=T0,
        status="sent",
    )


def record(*notifications: NotificationEntry, **fields: object) -> TicketRecord:
    return TicketRecord.model_validate(
        {
            "ticket_id": "T-1",
            "customer": {"name": "Ada", "email": "ada@example.com"},
            "subject": "Checkout latency",
            "description": "Slow",
            "category": "system_outages",
            "priority": "P2",
            "priority_source": "caller",
            "level": 4,
            "state": "open",
            "opened_at": T0,
            "level_since": T0,
            "notifications": notifications,
            **fields,
        }
    )


def accepted(notification_id: str, at: float = 0.0) -> Seen:
    """An email the fake accepted, as SendGrid's SDK sends it."""
    payload = {"custom_args": {"notification_id": notification_id}}
    return Seen("email", "someone", payload, at, True, "sg1")


def test_an_email_and_a_phone_page_name_their_notification_at_the_provider(
    fake: FakeProviders,
) -> None:
    channels = provider_channels(fake.settings(), load_policy(time_scale=1).delivery)
    sent = [message("email"), message("phone")]
    for outgoing in sent:
        channels[outgoing.channel].send(outgoing)
    assert [notification_id(seen) for seen in fake.accepted()] == [m.notification_id for m in sent]


def test_what_the_provider_never_got_is_lost_and_what_it_got_twice_is_duplicated() -> None:
    email, phone, customer = (
        "T-1:4:handoff:L4:email:team",
        "T-1:4:handoff:L4:phone:team",
        "T-1:4:escalation_notice:L4:email:customer",
    )
    figures = Figures("case")
    account(
        figures,
        [record(entry(email), entry(phone), entry(customer, "customer"))],
        [accepted(email), accepted(email), accepted(customer), accepted(customer)],
        attempts={email: 1, customer: 1},
    )
    assert (figures.wanted, figures.sent) == (3, 2)
    assert figures.lost == [phone]
    assert figures.duplicated == [customer, email]
    assert figures.explained == []
    assert figures.failed


def test_only_a_team_message_its_ledger_sent_twice_is_an_explained_duplicate() -> None:
    team, customer = "T-1:4:handoff:L4:email:team", "T-1:4:escalation_notice:L4:email:customer"
    figures = Figures("case")
    account(
        figures,
        [record(entry(team), entry(customer, "customer"))],
        [accepted(team), accepted(team), accepted(customer), accepted(customer)],
        attempts={team: 2, customer: 2},  # a customer message is never re-sent on purpose
    )
    assert figures.explained == [team]
    assert figures.duplicated == [customer]


@pytest.mark.parametrize(
    ("fired_after", "outage", "late"),
    [
        (timedelta(seconds=3), None, False),
        (timedelta(seconds=30), None, True),
        (
            timedelta(seconds=30),
            (-5.0, 25.0, True),
            False,
        ),  # fell in an outage: counted from its end
        (timedelta(seconds=30), (-5.0, 25.0, False), True),  # a provider outage stops no timer
    ],
)
def test_a_breach_is_late_past_the_margin_from_when_it_could_fire(
    fired_after: timedelta, outage: tuple[float, float, bool] | None, late: bool
) -> None:
    due = T0.timestamp()
    windows = [Window(due + outage[0], due + outage[1], outage[2])] if outage else []
    breach = Breach(metric="response", level=3, due=T0, at=T0 + fired_after)
    figures = Figures("case")
    deadline_lateness(figures, [record(breaches=[breach])], windows, due + 60, margin=10)
    assert bool(figures.stuck) == late


def test_a_deadline_still_pending_long_after_its_instant_never_fired() -> None:
    overdue = record(deadlines=Deadlines(response=T0))
    figures = Figures("case")
    deadline_lateness(figures, [overdue], [], T0.timestamp() + 60, margin=10)
    assert figures.stuck == ["ticket-T-1: response deadline 2026-11-27 12:00:00+00:00 never fired"]
    figures = Figures("case")
    deadline_lateness(figures, [overdue], [], T0.timestamp() + 5, margin=10)
    assert figures.stuck == []
