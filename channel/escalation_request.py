"""Does a customer's reply ask for escalation? The one place the inbound webhook asks, answered by
triage (its `escalation_request` phrases, with negation: "no need to escalate" asks for nothing),
so replies by email and ticket text are read by one detector."""

import triage
from policy import EscalationPolicy, load_policy


def requests_escalation(text: str, policy: EscalationPolicy | None = None) -> bool:
    """The policy the API process loads by default: the worker's, from the same file."""
    return triage.assess(policy or load_policy(), text).escalation_requested
