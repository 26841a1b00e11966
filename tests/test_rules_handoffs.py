"""The handoff templates carry the facts (Level 2, Level 3, Engineering), given by the agent or,
for an automatic escalation, taken from its trigger; "Not recorded" only for what nobody gave."""

import pytest

from tests.procedure_driver import HOUR, MINUTE, Ticket

FACTS = {
    "customer_impact": "All 40 agents of the customer cannot log in",
    "root_cause": "SSO certificate expired on the customer's IdP",
    "next_steps": "Ask the customer to rotate the certificate",
    "proposed_solution": "Accept both certificates during rotation",
    "expected_resolution": "today 17:00 UTC",
}
# The template line each field appears on, per receiving level.
LINES = {
    2: {"customer_impact": "Customer Impact", "next_steps": "Next Steps"},
    3: {
        "customer_impact": "System Impact",
        "root_cause": "Root Cause Analysis",
        "next_steps": "Recommended Actions",
    },
    4: {
        "customer_impact": "Impact Assessment",
        "root_cause": "Technical Analysis",
        "proposed_solution": "Proposed Solution",
        "expected_resolution": "Timeline",
    },
}
START = {2: ("P3", "password_resets"), 3: ("P3", "performance_issues"), 4: ("P3", "system_outages")}


def line(template: str, label: str) -> str:
    [found] = [row for row in template.splitlines() if row.startswith(f"{label}: ")]
    return found.removeprefix(f"{label}: ")


def escalated(to_level: int, **given: str) -> str:
    priority, category = START[to_level]
    ticket = Ticket(priority=priority, category=category)
    ticket.act("escalate", by="sam", reason="beyond_expertise", **given)
    [handoff] = ticket.record.handoffs
    assert handoff.to_level == to_level
    return handoff.template


@pytest.mark.parametrize(
    ("to_level", "field"), [(n, f) for n, fields in LINES.items() for f in fields]
)
def test_a_manual_escalation_puts_each_given_fact_on_its_template_line(to_level, field):
    template = escalated(to_level, **{field: FACTS[field]})
    assert FACTS[field] in line(template, LINES[to_level][field])


@pytest.mark.parametrize(
    ("to_level", "label"),
    [
        (2, "Next Steps"),
        (3, "Root Cause Analysis"),
        (3, "Recommended Actions"),
        (4, "Proposed Solution"),
    ],
)
def test_a_fact_nobody_gave_reads_not_recorded(to_level, label):
    assert line(escalated(to_level), label).startswith("Not recorded")


def test_attempted_solutions_list_each_attempt_with_its_outcome():
    ticket = Ticket(priority="P3", category="password_resets")
    ticket.act("resolution_attempt", agent="sam", action="Reset the password", succeeded=False)
    ticket.act("resolution_attempt", agent="kim", action="Cleared the session", succeeded=True)
    ticket.act("escalate", by="sam", reason="beyond_expertise")
    assert line(ticket.record.handoffs[0].template, "Attempted Solutions") == (
        "Reset the password (failed, sam, L1); Cleared the session (worked, kim, L1)"
    )


def test_the_engineering_timeline_gives_the_response_due_and_the_priority_resolution_target():
    timeline = line(escalated(4), "Timeline")
    # L4 responds within 1 h of the handoff; P3 is expected resolved 3 days after opening.
    assert timeline == (
        "L4 response due by Mon 2 Mar 2026 05:00 America/New_York; "
        "resolution expected by Thu 5 Mar 2026 04:00 America/New_York (P3 target)"
    )


def test_an_automatic_l1_to_l2_handoff_says_which_deadline_was_missed():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.wait(2 * HOUR)
    template = ticket.record.handoffs[0].template
    assert (
        "The L1 acknowledgment deadline, due Mon 2 Mar 2026 06:00 America/New_York, was missed"
        in line(template, "Customer Impact")
    )
    assert line(template, "Next Steps") == (
        "L2: acknowledge by Mon 2 Mar 2026 07:00 America/New_York, then respond to the customer by "
        "Mon 2 Mar 2026 10:00 America/New_York"
    )


def test_an_automatic_l2_to_l3_handoff_lists_the_failed_attempts():
    ticket = Ticket(priority="P3", category="performance_issues")
    ticket.act("resolution_attempt", agent="sam", action="Rebuilt the index", succeeded=False)
    ticket.act("resolution_attempt", agent="kim", action="Raised the cache", succeeded=False)
    [handoff] = ticket.record.handoffs
    assert handoff.to_level == 3
    assert line(handoff.template, "Root Cause Analysis") == (
        "2 failed attempts at L2: Rebuilt the index by sam: failed; Raised the cache by kim: failed"
    )


def test_an_automatic_handoff_on_a_customer_request_quotes_the_customer():
    ticket = Ticket(priority="P3", category="password_resets")
    ticket.act(
        "customer_message", message="Please put me through to a manager.", requests_escalation=True
    )
    assert 'The customer asked for escalation: "Please put me through to a manager."' in line(
        ticket.record.handoffs[0].template, "Customer Impact"
    )


def test_an_automatic_handoff_on_critical_words_carries_triage_evidence():
    ticket = Ticket(priority="P3", category="performance_issues")
    ticket.act("customer_message", message="Now the whole platform is down for all our users.")
    handoff = ticket.record.handoffs[-1]
    assert line(handoff.template, "Technical Analysis").startswith(
        "critical words in the customer's message: "
    )
    assert "down" in line(handoff.template, "Technical Analysis")


def test_an_automatic_l3_to_engineering_handoff_on_a_missed_response_says_by_how_much():
    ticket = Ticket(priority="P2", category="system_outages")
    ticket.act("acknowledge", agent="lee")
    ticket.wait(HOUR + MINUTE)
    handoff = ticket.record.handoffs[0]
    assert (handoff.from_level, handoff.to_level) == (3, 4)
    impact = line(handoff.template, "Impact Assessment")
    assert impact.startswith("P2 - Major functionality broken, significant impact. ")
    assert (
        "The L3 response deadline, due Mon 2 Mar 2026 05:00 America/New_York, was missed" in impact
    )


def test_a_priority_target_handoff_says_the_target_and_when_it_passed():
    ticket = Ticket(priority="P2", category="api_integration_problems")
    ticket.act("acknowledge", agent="sam")
    ticket.act("respond", agent="sam", message="Looking")
    ticket.wait(2 * HOUR)
    [handoff] = ticket.record.handoffs
    assert (
        "The P2 target (L3 within 2 hours of opening) passed at "
        "Mon 2 Mar 2026 06:00 America/New_York" in line(handoff.template, "System Impact")
    )
