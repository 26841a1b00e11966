"""Every SLA clock on the shipped calendars, against the pure core: P3/P4 tickets use their
windows during New York business hours (Mon-Fri 09:00-17:00, US holidays), P1/P2 run 24x7,
paused spans are cut out of business time, the follow-up window stays plain time."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from contract.status import TimelineEvent
from starter.cli.render import summary
from tests.helpers import events
from tests.procedure_driver import HOUR, SHIPPED_POLICY, Ticket, submission

NEW_YORK = ZoneInfo("America/New_York")


def new_york(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in November 2026 (EST all month; Thanksgiving is Thursday 26)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=NEW_YORK)


FRIDAY_EVENING = new_york(20, 18)


def p4_on_friday_evening() -> Ticket:
    return Ticket(SHIPPED_POLICY, at=FRIDAY_EVENING, priority="P4", category="password_resets")


def test_a_p4_opened_on_friday_evening_is_due_for_acknowledgment_on_monday_at_11():
    ticket = p4_on_friday_evening()
    assert ticket.record.deadlines.acknowledgment == new_york(23, 11)
    assert ticket.record.clock == "support"
    assert ticket.record.deadline_clocks["acknowledgment"] == "support"


def test_the_weekend_passes_with_the_ticket_still_at_level_1_and_nobody_paged():
    ticket = p4_on_friday_evening()
    ticket.wait(new_york(23, 10, 59) - ticket.now)
    assert (ticket.record.level, ticket.record.breaches) == (1, [])
    ticket.wait(timedelta(minutes=1))
    [breach] = ticket.record.breaches
    assert (breach.due, ticket.record.level) == (new_york(23, 11), 2)


def test_the_response_window_counts_business_hours_only():
    # P4 and L1 both allow 24 h: three business days, Monday to Wednesday closing time.
    assert p4_on_friday_evening().record.deadlines.response == new_york(25, 17)


def test_the_top_level_is_re_paged_each_business_hour_and_not_overnight():
    ticket = p4_on_friday_evening()
    ticket.wait(new_york(24, 11) - ticket.now)
    realerts = [e.at for e in ticket.record.timeline if e.event == TimelineEvent.REALERTED]
    # L1 ack 11:00, L2 ack 12:00, L3 ack 12:15, L4 response 13:15, then every business hour.
    assert [h.triggered_at for h in ticket.record.handoffs] == [
        new_york(23, 11),
        new_york(23, 12),
        new_york(23, 12, 15),
    ]
    # 16:15 plus a business hour: 45 minutes on Monday, 15 on Tuesday after 09:00.
    assert realerts == [
        new_york(23, 13, 15),
        new_york(23, 14, 15),
        new_york(23, 15, 15),
        new_york(23, 16, 15),
        new_york(24, 9, 15),
        new_york(24, 10, 15),
    ]


def test_customer_updates_keep_the_cadence_in_business_hours():
    ticket = Ticket(SHIPPED_POLICY, at=new_york(20, 15), priority="P4", category="password_resets")
    # 4 business hours from Friday 15:00: two on Friday, two on Monday morning.
    assert ticket.record.deadlines.customer_update == new_york(23, 11)


def test_the_check_in_after_a_handoff_is_half_the_response_window_in_business_time():
    ticket = Ticket(SHIPPED_POLICY, at=new_york(20, 16), priority="P4", category="password_resets")
    ticket.act("escalate", by="sam", reason="beyond_expertise")
    # L2 responds within 4 business hours: the check-in is 2 of them, Monday at 10:00.
    assert ticket.record.deadlines.check_in == new_york(23, 10)


def test_the_p3_escalation_target_skips_nights_weekends_and_holidays():
    ticket = Ticket(
        SHIPPED_POLICY, at=new_york(24, 9), priority="P3", category="general_product_inquiries"
    )
    # 24 business hours from Tuesday 09:00: Tue, Wed, Thanksgiving closed, Fri.
    assert ticket.record.deadlines.escalation == new_york(27, 17)


def test_a_pause_is_cut_out_of_the_business_hours_escalation_target():
    ticket = Ticket(
        SHIPPED_POLICY, at=new_york(16, 9), priority="P3", category="general_product_inquiries"
    )
    ticket.wait(HOUR)
    ticket.act("respond", agent="sam", message="Can you send a trace?", awaiting_customer=True)
    assert ticket.record.deadlines.escalation is None
    ticket.wait(new_york(17, 13) - ticket.now)  # paused 10:00 Monday to 13:00 Tuesday
    ticket.act("customer_message", message="Here it is")
    # 1 business hour before the pause, 23 after it: Tuesday 13:00-17:00, Wed, Thu, Fri 9-12.
    assert ticket.record.deadlines.escalation == new_york(20, 12)
    assert ticket.record.paused_total == new_york(17, 13) - new_york(16, 10)


def test_urgent_priorities_run_around_the_clock():
    ticket = Ticket(
        SHIPPED_POLICY, at=FRIDAY_EVENING, priority="P2", category="api_integration_problems"
    )
    assert ticket.record.deadlines.escalation == FRIDAY_EVENING + 2 * HOUR
    assert ticket.record.deadline_clocks["escalation"] == "24x7"


def test_the_follow_up_window_runs_on_plain_time():
    ticket = p4_on_friday_evening()
    ticket.act("resolve", by="sam", resolution="Password reset")
    assert ticket.record.deadlines.close == FRIDAY_EVENING + SHIPPED_POLICY.follow_up_window
    assert ticket.record.deadline_clocks == {"close": "24x7"}
    assert "resolved" in events(ticket.record)


def test_the_customer_reads_times_in_their_own_zone_and_the_team_in_its_own():
    ticket = p4_on_friday_evening()
    berlin = Ticket(
        SHIPPED_POLICY,
        at=FRIDAY_EVENING,
        priority="P4",
        category="password_resets",
        customer={"name": "Ada", "email": "ada@example.com", "timezone": "Europe/Berlin"},
    )
    berlin.search_done()
    ticket.search_done()
    [ack] = berlin.messages("acknowledgment", "customer")
    # The response is due Wednesday 17:00 in New York: 23:00 in Berlin.
    assert "expect a response by Wed 25 Nov 2026 23:00 Europe/Berlin" in ack.body
    [default] = ticket.messages("acknowledgment", "customer")
    assert "expect a response by Wed 25 Nov 2026 17:00 America/New_York" in default.body
    [page] = berlin.messages("new_ticket", "team")
    assert "Acknowledge by: Mon 23 Nov 2026 11:00 America/New_York" in page.body


def test_an_unknown_customer_time_zone_is_refused_naming_the_field():
    with pytest.raises(
        ValidationError, match=r"customer\.timezone\n.*unknown time zone 'Mars/Olympus'"
    ):
        submission(customer={"name": "Ada", "email": "ada@example.com", "timezone": "Mars/Olympus"})


def test_the_cli_status_counts_business_hours_and_shows_the_teams_local_time():
    ticket = p4_on_friday_evening()
    clock = SHIPPED_POLICY.calendars[ticket.record.clock].clock
    shown = summary(ticket.record, clock=clock, now=new_york(23, 8))
    assert "acknowledgment   in 2 business hours (Mon 23 Nov 2026 11:00 America/New_York)" in shown
    assert "Opened:    2 days 14 hours ago (Fri 20 Nov 2026 18:00 America/New_York)" in shown


def test_a_raised_priority_moves_the_ticket_onto_its_clock():
    ticket = Ticket(
        SHIPPED_POLICY, at=FRIDAY_EVENING, priority="P4", category="general_product_inquiries"
    )
    ticket.act("customer_message", message="Everything is broken now")
    assert (ticket.record.priority, ticket.record.clock) == ("P2", "24x7")
    # P2's 2 h target to L3 counts from the opening, around the clock.
    assert ticket.record.deadlines.escalation == FRIDAY_EVENING + 2 * HOUR
