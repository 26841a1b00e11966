"""Triage rules, one by one: pure functions of the policy and the text, no Temporal server."""

import re

import pytest

import triage
from policy import load_policy
from policy.models import EscalationPolicy
from procedure.routing import route

POLICY = load_policy(time_scale=1)


def read(text: str, policy: EscalationPolicy = POLICY) -> triage.Triage:
    return triage.assess(policy, text)


def signals(found: triage.Triage) -> set[str]:
    return {e.signal for e in found.evidence}


def discounted(found: triage.Triage) -> set[tuple[str, str]]:
    return {(e.text.lower(), e.reading) for e in found.discounted}


# --- the issue's measurements


@pytest.mark.parametrize(
    "text",
    [
        "The country drop-down on the settings page is 2px off",
        "Can we slow down the carousel animation on the homepage?",
        "Feature request: show usage broken down by region",
        "Do you offer step-down pricing when we reduce our seats?",
        "What is the cool-down period between two data exports?",
        "Please shut down our old workspace next month",
        "Has the post-mortem for last week's outage been published yet?",
        "The app is not down, but reports take 10 seconds to load",
    ],
)
def test_the_issues_false_pages_are_not_p1(text: str):
    routed = route(POLICY, text, None, None)
    assert routed.priority != "P1" and routed.level < 4


def test_the_issues_missed_emergency_is_p1_at_level_four_with_its_evidence():
    text = "After the upgrade the database is corrupted and the app shows garbage for everyone"
    routed = route(POLICY, text, None, None)
    assert (routed.priority, routed.level) == ("P1", 4)
    assert {"corrupted", "everyone"} <= {e.text for e in routed.evidence}
    assert "corrupted" in routed.because


@pytest.mark.parametrize(
    "text",
    [
        "How do I change the security question on my account?",
        "What security certifications do you hold?",
        "How does 2FA work when I get a new phone?",
    ],
)
def test_security_questions_stay_at_level_one(text: str):
    found = read(text)
    assert not found.security_concern and not found.security_incident
    assert route(POLICY, text, None, None).level == 1


def test_a_callers_p4_with_a_breach_is_raised_to_p1_with_the_evidence():
    routed = route(POLICY, "We found a security breach, customer data was leaked", "P4", None)
    assert (routed.priority, routed.level, routed.raised) == ("P1", 4, True)
    assert routed.security == ["breach", "leaked"]
    assert routed.raise_reason == "security_concern:breach,leaked"


# --- word forms and compounds


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("OUTAGES in the EU region", "outage"),
        ("Our servers went down an hour ago", "outage"),
        ("The import corrupted our contacts", "data_loss"),
        ("All invoices were deleted overnight", "data_loss"),
        ("The app crashed for every user in the company", "failure"),
        ("The portal is unavailable for all our staff", "outage"),
        ("Our admin account has been compromised", "security_incident"),
    ],
)
def test_word_forms_match_their_dictionary_form(text: str, signal: str):
    found = read(text)
    assert found.priority == "P1" and signal in signals(found)


@pytest.mark.parametrize(
    "text",
    [
        "Choose the country in the drop-down",
        "Can I get a breakdown of costs?",
        "The countdown in the SLA column is confusing",
        "Can I use markdown in replies?",
        "Where do I download the app?",
        "What is the cool-down between exports?",
        "Do you have step-down pricing?",
        "The top-down view cuts off long names",
    ],
)
def test_compounds_and_longer_words_are_not_the_keyword(text: str):
    found = read(text)
    assert "outage" not in signals(found) and found.priority in ("P3", "P4")


# --- requests, negation, past incidents, hypotheticals


def test_a_request_to_shut_something_down_is_a_request_not_an_outage():
    found = read("Please shut down our old workspace next month")
    assert found.priority == "P4" and "request" in signals(found)


def test_a_request_to_delete_data_is_no_data_loss():
    found = read("Can you please delete all test data from our sandbox?")
    assert found.priority == "P4"
    assert ("data_loss", "requested") in {(e.signal, e.reading) for e in found.discounted}


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("The app is not down, but reports take 10 seconds to load", "down"),
        ("No data was lost, the export just shows old numbers", "data was lost"),
        ("The data was not lost, only hidden", "data was not lost"),
        ("Nothing is broken, I have a question", "broken"),
        ("We haven't lost any data but the order is wrong", "lost any data"),
    ],
)
def test_negated_phrases_do_not_count(text: str, negated: str):
    found = read(text)
    assert found.priority != "P1"
    assert (negated, "negated") in discounted(found)


def test_negation_ends_with_its_clause():
    found = read("The sync is not slow, but the site is down for everyone")
    assert found.priority == "P1" and "outage" in signals(found)


def test_not_only_is_no_negation():
    found = read("Not only is the export slow, it now also fails completely")
    assert found.priority == "P2" and "failure" in signals(found)


def test_a_not_inside_the_phrase_does_not_negate_the_scope_after_it():
    found = read("Login is not working for everyone since 9:00")
    assert found.priority == "P1" and "scope" in signals(found)


@pytest.mark.parametrize(
    "text",
    [
        "Has the post-mortem for last week's outage been published yet?",
        "Can you send the root cause analysis for the outage?",
        "Have you ever had a data breach?",
        "The outage is over for us, the site is back up",
    ],
)
def test_questions_about_past_or_resolved_incidents_are_not_incidents(text: str):
    found = read(text)
    assert found.priority in ("P3", "P4") and not found.security_concern
    assert any(e.reading in ("historical", "resolved") for e in found.discounted)


def test_an_ongoing_outage_is_not_past_even_with_a_date():
    assert read("The site has been down since yesterday").priority == "P1"


@pytest.mark.parametrize(
    "text",
    [
        "What happens to our data if your service goes down?",
        "In case of an outage, who do we call?",
        "What's your planned downtime for Saturday's maintenance?",
    ],
)
def test_hypothetical_and_planned_outages_are_questions(text: str):
    assert read(text).priority == "P4"


# --- quoted earlier messages


def test_a_quoted_earlier_message_is_not_read():
    text = (
        "Thanks, it works again. You can close the ticket.\n\n"
        "On Tue, Mar 3, 2026 at 9:14 AM Support <support@example.com> wrote:\n"
        "> We are aware the platform is down for all users.\n"
    )
    found = read(text)
    assert found.priority == "P4" and "outage" not in signals(found)


def test_an_outlook_original_message_and_a_reply_subject_are_not_read():
    text = (
        "Re: Platform down\n"
        "Any update on my invoice question?\n\n"
        "-----Original Message-----\n"
        "From: Support <support@example.com>\n"
        "Sent: Monday, March 2, 2026 10:00 AM\n"
        "Subject: Platform down\n\n"
        "The platform is down for everyone."
    )
    assert read(text).priority == "P4"


def test_a_spanish_gmail_quote_is_not_read():
    text = (
        "¿Alguna novedad sobre mi factura?\n\n"
        "El lun, 23 nov 2026 a las 10:04, Support (<support@example.com>) escribió:\n\n"
        "The platform is down for everyone.\n"
    )
    assert "outage" not in signals(read(text))


def test_quote_marks_without_a_header_are_not_read():
    assert read("the invoice total looks wrong\n> > our site is down\n").priority == "P3"


def test_the_customers_new_words_above_the_quote_are_read():
    text = "Now it is down again!\n\nOn Mon, Support wrote:\n> Fixed, please confirm."
    assert read(text).priority == "P1"


def test_only_the_top_of_a_long_message_is_read():
    text = "Where do I change my avatar?\n" + "x " * POLICY.triage.read_chars + "outage"
    assert read(text).priority == "P4"


# --- scope and impact


def test_a_failure_for_one_user_is_p2_and_for_everyone_p1():
    assert read("The export fails with an error").priority == "P2"
    found = read("The export fails with an error for all users")
    assert found.priority == "P1"
    assert {e.text for e in found.evidence} >= {"fails", "all users"}


@pytest.mark.parametrize(
    "text",
    [
        "Production API returns 500 errors",
        "Payments are failing since 11:05",
        "Every customer gets an error at checkout",
        "Nobody in the whole company can log in",
    ],
)
def test_scope_of_impact_raises_a_failure_to_p1(text: str):
    found = read(text)
    assert found.priority == "P1" and "scope" in signals(found)


def test_a_narrow_scope_cancels_the_wide_one():
    assert read("Payment failed for one customer with a card error").priority == "P2"


def test_one_user_locked_out_is_p3_and_everyone_locked_out_p1():
    assert read("I can't log in to my account").priority == "P3"
    assert read("Nobody can log in since this morning").priority == "P1"


def test_slowness_is_p3_and_p2_for_everyone():
    assert read("Search is slow").priority == "P3"
    assert read("Search is slow for all users").priority == "P2"


def test_stated_business_impact_raises_a_minor_fault_to_p2():
    found = read("The VAT on invoices is wrong. Big problem for our accounting.")
    assert found.priority == "P2" and "impact" in signals(found)


def test_a_workaround_lowers_a_p2_fault_to_p3_but_never_a_p1():
    assert read("The export fails, but there is a workaround").priority == "P3"
    assert read("The site is down, a workaround would be nice").priority == "P1"


# --- security incident or question


@pytest.mark.parametrize(
    "text",
    [
        "We found a security breach, customer data was leaked",
        "Someone got unauthorised access to our workspace",
        "My account was compromised, someone logged in from abroad",
    ],
)
def test_a_security_incident_is_p1_and_needs_senior_support(text: str):
    found = read(text)
    assert found.security_incident and found.priority == "P1" and found.min_level == 4


def test_a_security_concern_goes_to_senior_support_without_a_page():
    found = read("We received a phishing email that uses your logo")
    assert (found.security_concern, found.security_incident) == (True, False)
    assert (found.priority, found.min_level) == ("P2", POLICY.security_min_level)


@pytest.mark.parametrize(
    "text",
    [
        "Are you ISO 27001 certified?",
        "Can you send your security whitepaper?",
        "How do I enforce 2FA for all users?",
        "What's your process for reporting a vulnerability?",
        "Was there a breach? Just asking for our annual review.",
    ],
)
def test_a_security_question_is_no_security_concern(text: str):
    found = read(text)
    assert not found.security_concern and found.min_level <= 2


def test_an_sla_breach_is_no_security_breach():
    assert not read("Our P2 ticket is an SLA breach again").security_concern


# --- the customer asking for escalation


@pytest.mark.parametrize(
    "text",
    [
        "Please escalate this.",
        "I want to speak to a manager",
        "Can I talk to your supervisor?",
        "Get me someone senior, this is the third time",
    ],
)
def test_a_customer_asking_for_escalation_is_recognised(text: str):
    found = read(text)
    assert found.escalation_requested and "escalation_request" in signals(found)


def test_no_need_to_escalate_is_no_request():
    assert not read("No need to escalate this, just letting you know").escalation_requested


# --- caller priority and evidence


def test_content_raises_a_callers_priority_on_p1_or_p2_evidence():
    assert triage.with_caller(POLICY.triage, read("Our site is down"), "P4") == ("P1", True)
    found = read("The export button is broken")
    assert triage.with_caller(POLICY.triage, found, "P3") == ("P2", True)


def test_content_never_lowers_a_callers_priority():
    found = read("How do I export my contacts?")
    assert found.priority == "P4"
    assert triage.with_caller(POLICY.triage, found, "P1") == ("P1", False)


def test_minor_content_does_not_raise_a_callers_p4():
    found = read("The tooltip is cut off")
    assert found.priority == "P3"
    assert triage.with_caller(POLICY.triage, found, "P4") == ("P4", False)


def test_route_without_evidence_uses_the_category_default():
    routed = route(POLICY, "Hello, see the attached file", None, "technical_bugs_and_errors")
    assert (routed.priority, routed.evidence) == ("P3", ())
    assert route(POLICY, "Hello, see the attached file", None, None).priority == "P3"


def test_the_evidence_quotes_the_customers_words():
    found = read("URGENT: the WHOLE platform is DOWN for our entire company")
    assert 'outage "DOWN"' in found.describe()
    assert found.critical == ("down",)


# --- the phrase lists are policy data


def tuned(**triage_changes: object) -> EscalationPolicy:
    rules = POLICY.triage.model_dump()
    rules.update(triage_changes)
    return POLICY.model_copy(update={"triage": type(POLICY.triage).model_validate(rules)})


def test_a_support_team_can_add_a_signal_in_the_policy():
    text = "Our invoice run stalled again"
    signals_ = POLICY.triage.model_dump()["signals"]
    signals_["billing_run"] = {"priority": "P2", "phrases": ["invoice run * stall|late"]}
    found = read(text, tuned(signals=signals_))
    assert found.priority == "P2" and "billing_run" in signals(found)


def test_a_support_team_can_change_what_counts_as_wide_scope():
    text = "Reports fail for the marketing team"
    assert read(text).priority == "P2"
    policy = tuned(scope=(*POLICY.triage.scope, "marketing team"))
    assert read(text, policy).priority == "P1"


@pytest.mark.parametrize(
    ("phrase", "message"),
    [("* down", "a * must stand between two words"), ("down!", "is not a word")],
)
def test_a_malformed_phrase_is_refused_naming_the_field(phrase: str, message: str):
    rules = POLICY.triage.model_dump()
    rules["scope"] = [phrase]
    with pytest.raises(ValueError, match=re.escape(message)) as refusal:
        type(POLICY.triage).model_validate(rules)
    assert "scope.0" in str(refusal.value)
