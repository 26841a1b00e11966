"""`list`: the visibility query (same language as the Temporal UI and `temporal workflow list`)."""

from dataclasses import dataclass

from contract import WORKFLOW_TYPE
from contract import search_attributes as sa


@dataclass(frozen=True)
class TicketFilter:
    priority: str | None = None
    level: int | None = None
    state: str | None = None
    category: str | None = None
    assignee: str | None = None
    breached: bool = False
    alerts: bool = False
    raw: str | None = None


def quote(value: str) -> str:
    """A string literal; escaping keeps a stray apostrophe from ending it early."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def build_query(ticket_filter: TicketFilter) -> str:
    f = ticket_filter
    clauses = [f"WorkflowType = {quote(WORKFLOW_TYPE)}"]
    if f.priority:
        clauses.append(f"{sa.TICKET_PRIORITY.name} = {quote(f.priority)}")
    if f.level is not None:
        clauses.append(f"{sa.TICKET_LEVEL.name} = {int(f.level)}")
    if f.state:
        clauses.append(f"{sa.TICKET_STATE.name} = {quote(f.state)}")
    if f.category:
        clauses.append(f"{sa.TICKET_CATEGORY.name} = {quote(f.category)}")
    if f.assignee:
        clauses.append(f"{sa.TICKET_ASSIGNEE.name} = {quote(f.assignee)}")
    if f.breached:
        clauses.append(f"{sa.SLA_BREACHED.name} = true")
    if f.alerts:
        clauses.append(f"{sa.DASHBOARD_ALERTS.name} IS NOT NULL")
    if f.raw:
        # Parenthesised so an OR inside the raw query cannot escape the ticket filter.
        clauses.append(f"({f.raw})")
    return " AND ".join(clauses)
