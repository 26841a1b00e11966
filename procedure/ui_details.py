"""What the Temporal UI shows of a ticket: static summary and details (set by the starter),
current details in Markdown, and the summaries of its timers and activities."""

from contract.status import TicketRecord
from contract.tickets import Customer
from policy.models import Channel, EscalationPolicy
from procedure.message_texts import for_team, why

CHANNEL_NAMES: dict[str, str] = {
    "email": "Email",
    "sms": "SMS",
    "phone": "Phone call",
    "dashboard": "Dashboard alert",
}
TIMER_NAMES: dict[str, str] = {
    "acknowledgment": "acknowledgment SLA",
    "response": "response SLA",
    "customer_update": "customer status update",
    "escalation": "priority escalation target",
    "realert": "re-alert",
    "check_in": "handoff check-in",
    "close": "follow-up window end",
    "call_retry": "call again (unanswered page)",
}


def static_summary(ticket_id: str, priority: str, level: int, subject: str) -> str:
    """`T-1001 · P2 · L3 · subject`: the line the UI's workflow list shows."""
    return f"{ticket_id} · {priority} · L{level} · {subject}"


def static_details(customer: Customer, category: str | None, description: str) -> str:
    """Customer-facing facts at intake; contact details stay in the record, not on every page."""
    return "\n".join(
        [
            f"**Customer:** {customer.name}",
            f"**Category:** {category or 'uncategorized'}",
            "",
            description[:1000],
        ]
    )


def timer_summary(record: TicketRecord, deadline: str) -> str:
    """`L2 acknowledgment SLA`."""
    return f"L{record.level} {TIMER_NAMES.get(deadline, deadline)}"


def delivery_summary(channel: Channel, audience: str, level: int, kind: str) -> str:
    """`SMS to L4 on-call: handoff`; phone and SMS page the level's on-call."""
    if audience == "customer":
        who = "customer"
    elif channel in ("sms", "phone"):
        who = f"L{level} on-call"
    else:
        who = f"L{level} team"
    return f"{CHANNEL_NAMES.get(channel, channel)} to {who}: {kind}"


def _consequences(record: TicketRecord, top_level: int) -> dict[str, str]:
    up = (
        f"escalate to L{record.level + 1}" if record.level < top_level else f"re-alert L{top_level}"
    )
    return {
        "acknowledgment": f"breach, dashboard alert, {up}",
        "response": f"breach, dashboard alert, {up}",
        "escalation": "escalate to the level the priority demands",
        "realert": f"page L{top_level} again",
        "customer_update": "send the customer a status update",
        "check_in": "remind the level's team",
        "close": "close the ticket",
        "customer_reminder": "remind the customer to reply",
        "no_reply": "resolve as no reply",
        "call_retry": "call the on-call again",
    }


def current_details(record: TicketRecord, policy: EscalationPolicy) -> str:
    lines = [
        f"**{record.ticket_id} · {record.priority} · L{record.level} "
        f"({policy.levels[record.level].name}) · {record.state.value}**",
        "",
        f"**Assignee:** {record.assignee or 'unassigned'}",
        "",
    ]
    if record.evidence:
        lines += [why(record.evidence), ""]
    lines += [
        "| deadline | due | when it passes |",
        "|---|---|---|",
    ]
    consequences = _consequences(record, policy.top_level)
    running = sorted((due, name) for name, due in record.deadlines if due is not None)
    lines += [
        f"| {name} | {for_team(record, due)} | {consequences[name]} |" for due, name in running
    ]
    if not running:
        lines.append("| none | | |")
    if record.sla_breached:
        lines.append(f"\nSLA breached {len(record.breaches)} time(s).")
    return "\n".join(lines)
