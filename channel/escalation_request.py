"""Does a customer's reply ask for escalation? The one place the inbound webhook asks.

A stand-in until the triage package's detector lands: the integration replaces the body of
`requests_escalation` with triage's reading of the text (its `escalation_request` phrases, with
negation: "no need to escalate" asks for nothing), so replies and tickets are read alike."""

import re

# A phrase counts when it stands as written: not inside a longer word or a hyphenated one.
PHRASES = (
    "please escalate",
    "escalate this",
    "escalate my",
    "speak to a manager",
    "speak with a manager",
    "talk to a manager",
    "speak to your manager",
    "speak to a supervisor",
)
_PATTERN = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in PHRASES) + r")(?![\w-])",
    re.IGNORECASE,
)


def requests_escalation(text: str) -> bool:
    return _PATTERN.search(text) is not None
