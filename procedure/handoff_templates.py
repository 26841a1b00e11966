"""Fill the procedure's handoff templates with a ticket's facts; missing facts say so.

The facts the escalating side knows (`HandoffFacts`) come from the agent's `escalate` or, for an
automatic escalation, from its trigger (procedure/escalation.py); "Not recorded" stands only
for a fact nobody gave."""

import re
from dataclasses import dataclass, fields
from datetime import datetime

from contract.status import TicketRecord
from policy.models import EscalationPolicy
from procedure.message_texts import for_team

NOT_RECORDED = "Not recorded"
_PLACEHOLDER = re.compile(r"\[([^\[\]]+)\]")


@dataclass(frozen=True)
class HandoffFacts:
    """What the receiving level needs to know; the field names are EscalateInput's."""

    customer_impact: str | None = None
    root_cause: str | None = None
    next_steps: str | None = None
    proposed_solution: str | None = None
    expected_resolution: str | None = None

    @classmethod
    def given(cls, source: object) -> "HandoffFacts":
        """The facts an escalate action carries (its fields of the same names)."""
        return cls(**{f.name: getattr(source, f.name) for f in fields(cls)})


def title(category: str | None) -> str:
    return category.replace("_", " ").capitalize() if category else "Uncategorized"


def _attempts(record: TicketRecord) -> str:
    if not record.attempts:
        return "None recorded"
    return "; ".join(
        f"{a.action} ({'worked' if a.succeeded else 'failed'}, {a.agent}, L{a.level})"
        for a in record.attempts
    )


def _impact(policy: EscalationPolicy, record: TicketRecord, facts: HandoffFacts) -> str:
    definition = f"{record.priority} - {policy.priorities[record.priority].definition}"
    return f"{definition}. {facts.customer_impact}" if facts.customer_impact else definition


def _timeline(
    policy: EscalationPolicy, record: TicketRecord, facts: HandoffFacts, response_due: datetime
) -> str:
    expected = facts.expected_resolution
    target = policy.priorities[record.priority].resolve_within
    if expected is None and target is not None:
        resolve_by = record.opened_at + target + record.paused_total
        expected = f"{for_team(record, resolve_by)} ({record.priority} target)"
    return (
        f"L{record.level} response due by {for_team(record, response_due)}; "
        f"resolution expected by {expected or NOT_RECORDED}"
    )


def handoff_facts(
    policy: EscalationPolicy,
    record: TicketRecord,
    facts: HandoffFacts,
    response_due: datetime,
) -> dict[str, str]:
    issue = title(record.category)
    impact = _impact(policy, record, facts)
    next_steps = facts.next_steps or NOT_RECORDED
    attempts = _attempts(record)
    findings = facts.root_cause or NOT_RECORDED
    return {
        "ID": record.ticket_id,
        "Name": record.customer.name,
        "Email": record.customer.email,
        "Issue Type": issue,
        "Technical Issue": issue if record.category else record.subject,
        "Critical Issue": issue if record.category else record.subject,
        "Brief Description": record.subject,
        "High-level description": record.subject,
        "Detailed description": record.description,
        "P1/P2/P3/P4": f"{record.priority} ({policy.priorities[record.priority].name})",
        "List of actions taken": attempts,
        "Technical actions taken": attempts,
        "Description of impact": impact,
        "Scope of issue": impact,
        "Business and technical impact": impact,
        "Findings so far": findings,
        # Engineering's template has no attempts field; they belong with the findings.
        "Detailed findings": f"{findings}. Attempts: {attempts}",
        "Recommended actions": next_steps,
        "Suggested next steps": next_steps,
        "Recommended approach": facts.proposed_solution or next_steps,
        "Expected resolution time": _timeline(policy, record, facts, response_due),
    }


def render(text: str, facts: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: facts.get(match.group(1), NOT_RECORDED), text)


def render_handoff(
    policy: EscalationPolicy,
    record: TicketRecord,
    to_level: int,
    facts: HandoffFacts,
    response_due: datetime,
) -> tuple[str, str]:
    """Subject and body of the template for the receiving level (2, 3 or Engineering)."""
    template = policy.templates[to_level]
    filled = handoff_facts(policy, record, facts, response_due)
    return render(template.subject, filled), render(template.body.strip(), filled)
