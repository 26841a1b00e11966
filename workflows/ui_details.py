"""Markdown for the Temporal UI's current details: where the ticket stands and what comes next."""

from contract.status import TicketRecord
from policy.models import EscalationPolicy
from workflows.message_texts import when


def _consequences(record: TicketRecord) -> dict[str, str]:
    up = f"escalate to L{record.level + 1}" if record.level < 4 else "re-alert L4"
    return {
        "acknowledgment": f"breach, dashboard alert, {up}",
        "response": f"breach, dashboard alert, {up}",
        "escalation": "escalate to the level the priority demands",
        "realert": "page L4 again",
        "customer_update": "send the customer a status update",
        "check_in": "remind the level's team",
        "close": "close the ticket",
    }


def current_details(record: TicketRecord, policy: EscalationPolicy) -> str:
    lines = [
        f"**{record.ticket_id} · {record.priority} · L{record.level} "
        f"({policy.levels[record.level].name}) · {record.state.value}**",
        "",
        "| deadline | due | when it passes |",
        "|---|---|---|",
    ]
    consequences = _consequences(record)
    running = sorted((due, name) for name, due in record.deadlines if due is not None)
    lines += [f"| {name} | {when(due)} | {consequences[name]} |" for due, name in running]
    if not running:
        lines.append("| none | | |")
    if record.sla_breached:
        lines.append(f"\nSLA breached {len(record.breaches)} time(s).")
    return "\n".join(lines)
