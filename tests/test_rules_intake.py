"""Step 1, initial assessment, against the pure core: routing, priority, first pages, knowledge
base and the customer's acknowledgment. (tests/test_intake.py checks the wiring on a server.)"""

from activities.messages import KbQuery
from contract.kb import KbMatch
from contract.status import TimelineEvent
from procedure.effects import RecordEntry, SearchKnowledgeBase
from procedure.intake import category_problem
from tests.helpers import events, sent
from tests.procedure_driver import HOUR, MINUTE, POLICY, Ticket


def test_p1_goes_immediately_to_level_four_and_pages_by_phone_email_and_dashboard():
    ticket = Ticket(priority="P1", category=None)
    assert ticket.record.level == 4
    assert ticket.record.deadlines.response == ticket.now + 15 * MINUTE
    pages = ticket.messages("new_ticket", "team")
    assert [m.channel for m in pages] == ["phone", "email", "dashboard"]
    assert pages[0].recipient == POLICY.levels[4].contacts.phone
    assert pages[0].email == POLICY.levels[4].contacts.email  # the phone page's fallback
    assert ticket.record.dashboard_alerts == ["new_ticket"]


def test_p2_is_told_by_email_and_dashboard_alert():
    ticket = Ticket(priority="P2", category="api_integration_problems")
    assert [m.channel for m in ticket.messages("new_ticket")] == ["email", "dashboard"]


def test_p3_and_p4_are_told_by_email():
    for priority in ("P3", "P4"):
        ticket = Ticket(priority=priority, category="password_resets")
        assert [m.channel for m in ticket.messages("new_ticket")] == ["email"]


def test_level_one_acknowledges_within_two_hours_and_responds_within_a_day():
    ticket = Ticket(priority="P4", category="password_resets")
    deadlines = ticket.record.deadlines
    assert (ticket.record.level, deadlines.acknowledgment) == (1, ticket.now + 2 * HOUR)
    assert deadlines.response == ticket.now + 24 * HOUR


def test_level_two_acknowledges_within_an_hour_and_responds_within_the_stricter_window():
    ticket = Ticket(priority="P4", category="technical_bugs_and_errors")
    deadlines = ticket.record.deadlines
    assert (ticket.record.level, deadlines.acknowledgment) == (2, ticket.now + HOUR)
    assert deadlines.response == ticket.now + 4 * HOUR  # L2's 4 h beats P4's 24 h


def test_level_three_is_paged_at_once_and_acknowledges_within_fifteen_minutes():
    ticket = Ticket(priority="P2", category="system_outages")
    assert ticket.record.level == 3
    assert ticket.messages("new_ticket", "team")
    assert ticket.record.deadlines.acknowledgment == ticket.now + 15 * MINUTE
    assert ticket.record.deadlines.response == ticket.now + HOUR  # P2's 1 h beats L3's 2 h


def test_category_level_wins_over_a_lower_priority():
    assert Ticket(priority="P4", category="security_vulnerabilities").record.level == 4


def test_without_priority_it_is_assessed_from_the_content():
    ticket = Ticket(priority=None, category=None, subject="We have data loss after the import")
    assert (ticket.record.priority, ticket.record.priority_source) == ("P1", "assessed")


def test_without_priority_or_matching_phrase_the_category_levels_default_applies():
    ticket = Ticket(
        priority=None,
        category="api_integration_problems",
        subject="Webhooks",
        description="We set up webhooks for order events last week.",
    )
    assert (ticket.record.priority, ticket.record.level) == ("P3", 2)


def test_critical_keywords_outage_down_broken_raise_the_callers_priority():
    ticket = Ticket(priority="P4", category=None, subject="Dashboard is down since noon")
    assert (ticket.record.priority, ticket.record.level) == ("P1", 4)
    raised = [e for e in ticket.record.timeline if e.event == TimelineEvent.PRIORITY_RAISED]
    assert [(e.reason, e.details) for e in raised] == [
        ("critical_keyword:down", 'P4 -> P1; evidence: outage "down"')
    ]


def test_keywords_match_whole_words_only():
    ticket = Ticket(priority="P4", category=None, subject="How to download the breakdown")
    assert (ticket.record.priority, ticket.record.level) == ("P4", 1)


def test_security_concern_routes_to_at_least_level_three():
    ticket = Ticket(priority="P4", category=None, subject="Possible phishing email")
    assert ticket.record.level == POLICY.security_min_level == 3
    [routed] = [e for e in ticket.record.timeline if e.event == TimelineEvent.ROUTED]
    assert "security concern (phishing) needs L3+" in (routed.reason or "")


def test_opening_records_opened_and_routed_in_the_system_of_record():
    ticket = Ticket()
    assert events(ticket.record) == ["opened", "routed"]
    records = [e.record for e in ticket.effects if isinstance(e, RecordEntry)]
    assert [(r.event_id, r.event) for r in records] == [("T-1:1", "opened"), ("T-1:2", "routed")]


def test_the_knowledge_base_is_checked_before_the_customer_is_acknowledged():
    ticket = Ticket(category="basic_billing_questions")
    [search] = [e for e in ticket.effects if isinstance(e, SearchKnowledgeBase)]
    assert search.query == KbQuery(
        text="Question about invoices\nWhere can I download last month's invoice?",
        category="basic_billing_questions",
    )
    assert ticket.messages(audience="customer") == []
    fits = KbMatch(slug="invoices", title="Invoices", url="https://kb/invoices", score=1, fits=True)
    other = KbMatch(slug="api", title="API keys", url="https://kb/api", score=0.5, fits=False)
    ticket.search_done(fits, other)
    [ack] = ticket.messages("acknowledgment", "customer")
    assert ack.recipient == "ada@example.com"
    assert "expect a response by Tue 3 Mar 2026 04:00 America/New_York" in ack.body  # L1's 24 h
    assert "- Invoices: https://kb/invoices" in ack.body and "API keys" not in ack.body
    assert ticket.record.kb_matches == [fits, other]


def test_a_failed_knowledge_base_search_still_acknowledges_without_links():
    ticket = Ticket()
    ticket.search_done()
    [ack] = ticket.messages("acknowledgment")
    assert "articles" not in ack.body
    assert [n.kind for n in sent(ticket.record, "acknowledgment")] == ["acknowledgment"]


def test_an_unknown_category_is_named():
    problem = category_problem(POLICY, "quantum_problems")
    assert problem and problem.startswith("category: 'quantum_problems' is not one of")
    assert category_problem(POLICY, "password_resets") is None
    assert category_problem(POLICY, None) is None
