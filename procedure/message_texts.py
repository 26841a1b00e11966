"""Wording of customer and team notifications; customer texts never show internal fields."""

from collections.abc import Iterable
from datetime import datetime

from calendars.formatting import local_time
from contract.status import TicketRecord
from policy.durations import format_duration
from policy.models import EscalationPolicy


def when(instant: datetime | None, zone: str = "UTC") -> str:
    """ "Mon 2 Mar 2026 10:00 America/New_York": the local time, always with its zone."""
    return local_time(instant, zone, with_date=True) if instant else "not scheduled"


def for_customer(record: TicketRecord, instant: datetime | None) -> str:
    """In the customer's own zone, the team's when the customer gave none."""
    return when(instant, record.customer.timezone or record.team_zone)


def for_team(record: TicketRecord, instant: datetime | None) -> str:
    return when(instant, record.team_zone)


def customer_acknowledgment(record: TicketRecord) -> tuple[str, str]:
    return (
        f"We received your request [#{record.ticket_id}]",
        f'Hello {record.customer.name},\n\nWe received your request "{record.subject}".\n'
        f"You can expect a response by {for_customer(record, record.deadlines.response)}.\n"
        + self_service_links(record),
    )


def self_service_links(record: TicketRecord) -> str:
    links = [f"- {m.title}: {m.url}" for m in record.kb_matches if m.fits]
    if not links:
        return ""
    return "\nThese articles may already answer your question:\n" + "\n".join(links) + "\n"


def customer_escalation_notice(record: TicketRecord) -> tuple[str, str]:
    return (
        f"Your request has been escalated [#{record.ticket_id}]",
        f'Hello {record.customer.name},\n\nYour request "{record.subject}" is now with a more '
        f"specialised team. You can expect a response by "
        f"{for_customer(record, record.deadlines.response)}.\n",
    )


def customer_status_update(record: TicketRecord, policy: EscalationPolicy) -> tuple[str, str]:
    return (
        f"Status update on your request [#{record.ticket_id}]",
        f'Hello {record.customer.name},\n\nWe are still working on "{record.subject}". '
        f"We will update you again within {format_duration(policy.customer_update_every)}.\n",
    )


def customer_resolution(record: TicketRecord, resolution: str) -> tuple[str, str]:
    return (
        f"Your request has been resolved [#{record.ticket_id}]",
        f'Hello {record.customer.name},\n\n"{record.subject}" has been resolved:\n\n'
        f"{resolution}\n\nReply to this message if the problem is not solved.\n",
    )


def customer_response(record: TicketRecord, message: str) -> tuple[str, str]:
    return (
        f"Re: {record.subject} [#{record.ticket_id}]",
        f"Hello {record.customer.name},\n\n{message}\n\nReply to this message to answer.\n",
    )


def customer_survey(record: TicketRecord) -> tuple[str, str]:
    return (
        f"How did we do? [#{record.ticket_id}]",
        f"Hello {record.customer.name},\n\nPlease rate the help you received on "
        f'"{record.subject}" from 1 (poor) to 5 (excellent).\n',
    )


def why(evidence: Iterable[object]) -> str:
    """`Why: outage "is down"; scope "for everyone"`: the deciding phrases, for the on-call."""
    return "Why: " + "; ".join(str(e) for e in evidence)


def _why_routed(record: TicketRecord) -> str:
    if record.evidence:
        return why(record.evidence)
    if record.priority_source == "caller":
        return f"Why: {record.priority} set by the caller; no evidence in the text"
    return "Why: no evidence in the text"


def team_new_ticket(record: TicketRecord) -> tuple[str, str]:
    because = _why_routed(record)
    return (
        f"New {record.priority} ticket at Level {record.level} - Ticket #{record.ticket_id}",
        f"Subject: {record.subject}\n{because}\n"
        f"Acknowledge by: {for_team(record, record.deadlines.acknowledgment)}\n"
        f"Respond by: {for_team(record, record.deadlines.response)}\n",
    )


def team_breach_alert(record: TicketRecord, metric: str, due: datetime) -> tuple[str, str]:
    return (
        f"SLA breach: {metric} - {record.priority} - Ticket #{record.ticket_id}",
        f"The Level {record.level} {metric} deadline ({for_team(record, due)}) "
        "passed without action.\n",
    )


def realert_reason(record: TicketRecord, policy: EscalationPolicy, now: datetime) -> str:
    """Why the top level is paged again: "still unacknowledged at Level 4 (Engineering Team)
    after 30 minutes - re-alerting the on-call and the manager"."""
    level = policy.levels[record.level]
    who = "the on-call and the manager" if level.manager else "the on-call"
    waited = format_duration(now - record.level_since)
    return (
        f"still unacknowledged at Level {record.level} ({level.name}) after {waited} - "
        f"re-alerting {who}"
    )


def team_realert(record: TicketRecord, reason: str) -> tuple[str, str]:
    return (
        f"RE-ALERT {record.priority} - Ticket #{record.ticket_id} still unacknowledged",
        f"Subject: {record.subject}\nWhy: {reason[0].upper()}{reason[1:]}.\n"
        f"Next re-alert: {for_team(record, record.deadlines.realert)}\n"
        "Acknowledge the ticket to stop these alerts.\n",
    )


def team_check_in(record: TicketRecord) -> tuple[str, str]:
    return (
        f"Check-in: Ticket #{record.ticket_id} awaits a response",
        f"Level {record.level} response due by {for_team(record, record.deadlines.response)}.\n",
    )


def team_reopened(record: TicketRecord, reason: str) -> tuple[str, str]:
    return (
        f"Reopened: Ticket #{record.ticket_id}",
        f"Reason: {reason}\nRespond by: {for_team(record, record.deadlines.response)}\n",
    )


def page_called_again(
    record: TicketRecord, kind: str, call: int, policy: EscalationPolicy
) -> tuple[str, str]:
    """A page rung again after an unanswered call. Its text is not kept: the call names the
    ticket and which call this is."""
    calls = policy.delivery.call_retries + 1
    return (
        f"{kind.replace('_', ' ').capitalize()} - Ticket #{record.ticket_id}, call {call} of "
        f"{calls}",
        f"Ticket #{record.ticket_id} ({record.priority}, Level {record.level}): {record.subject}\n"
        "The call before this one was not answered.\n",
    )


def undelivered_fallback(
    record: TicketRecord, channel: str, kind: str, level: int, outcome: str
) -> tuple[str, str]:
    """A provider reported a message undelivered after accepting it. Its text is not kept, so
    the fallback names the ticket and what failed."""
    what = kind.replace("_", " ")
    return (
        f"{what.capitalize()} - Ticket #{record.ticket_id}",
        f"Ticket #{record.ticket_id} ({record.priority}, Level {level}): {record.subject}\n"
        f"The {channel} {what} before this one did not reach you ({outcome}).\n",
    )


def team_delivery_failed(
    record: TicketRecord, channel: str, kind: str, error: str | None, done: bool
) -> tuple[str, str]:
    after = (
        f"The ticket is {record.state}: no fallback was sent."
        if done
        else "Fallback channels were used where the contact has them."
    )
    return (
        f"Delivery failed: {channel} ({kind}) - Ticket #{record.ticket_id}",
        f"The {channel} notification '{kind}' could not be delivered and will not be retried: "
        f"{error or 'no detail'}.\n{after}\n",
    )


def handoff_next_steps(record: TicketRecord) -> str:
    """What the receiving level of an automatic escalation must do, by when."""
    steps = []
    if record.deadlines.acknowledgment is not None:
        steps.append(f"acknowledge by {for_team(record, record.deadlines.acknowledgment)}")
    steps.append(f"respond to the customer by {for_team(record, record.deadlines.response)}")
    return f"L{record.level}: " + ", then ".join(steps)


def excerpt(text: str, limit: int = 500) -> str:
    """A customer's words as quoted to the team: the start of the message, on one line."""
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def customer_reply_reminder(record: TicketRecord) -> tuple[str, str]:
    return (
        f"We are waiting for your reply [#{record.ticket_id}]",
        f"Hello {record.customer.name},\n\nWe need a little more information from you to go on "
        f'with your request "{record.subject}". Please reply to this email; without an answer '
        f"we will close the request on {for_customer(record, record.deadlines.no_reply)}.\n",
    )


def team_low_satisfaction(record: TicketRecord, score: int, comment: str | None) -> tuple[str, str]:
    return (
        f"Low satisfaction {score}/5 - Ticket #{record.ticket_id}",
        f"Customer: {record.customer.name} ({record.customer.email})\n"
        f"Subject: {record.subject}\nResolved at Level {record.level}\n"
        f"Comment: {comment or 'none given'}\n",
    )
