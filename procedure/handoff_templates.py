"""Fill the procedure's handoff templates with a ticket's facts; missing facts say so."""

import re
from datetime import datetime

from contract.status import TicketRecord, TimelineEvent
from policy.models import EscalationPolicy
from procedure.message_texts import for_team

NOT_RECORDED = "Not recorded"
_PLACEHOLDER = re.compile(r"\[([^\[\]]+)\]")


def title(category: str | None) -> str:
    return category.replace("_", " ").capitalize() if category else "Uncategorized"


def _attempts(record: TicketRecord) -> str:
    if not record.attempts:
        return "None recorded"
    return "; ".join(
        f"{a.action} ({'worked' if a.succeeded else 'failed'}, {a.agent}, L{a.level})"
        for a in record.attempts
    )


def _findings(record: TicketRecord) -> str:
    replies = [entry.details for entry in record.timeline if entry.event == TimelineEvent.RESPONDED]
    return " / ".join(reply for reply in replies if reply) or NOT_RECORDED


def _impact(policy: EscalationPolicy, record: TicketRecord, reason: str) -> str:
    definition = policy.priorities[record.priority].definition
    return f"{record.priority} - {definition} (escalated: {reason.replace('_', ' ')})"


def handoff_facts(
    policy: EscalationPolicy,
    record: TicketRecord,
    reason: str,
    note: str | None,
    response_due: datetime,
) -> dict[str, str]:
    issue = title(record.category)
    impact = _impact(policy, record, reason)
    next_steps = note or NOT_RECORDED
    attempts = _attempts(record)
    findings = _findings(record)
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
        "Recommended approach": next_steps,
        "Expected resolution time": f"Response due by {for_team(record, response_due)}",
    }


def render(text: str, facts: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: facts.get(match.group(1), NOT_RECORDED), text)


def render_handoff(
    policy: EscalationPolicy,
    record: TicketRecord,
    to_level: int,
    reason: str,
    note: str | None,
    response_due: datetime,
) -> tuple[str, str]:
    """Subject and body of the template for the receiving level (2, 3 or Engineering)."""
    template = policy.templates[to_level]
    facts = handoff_facts(policy, record, reason, note, response_due)
    return render(template.subject, facts), render(template.body.strip(), facts)
