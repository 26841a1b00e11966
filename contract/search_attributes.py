"""Search attributes operators filter on in the Temporal UI and CLI; never personal data."""

from temporalio.common import SearchAttributeKey

TICKET_PRIORITY = SearchAttributeKey.for_keyword("TicketPriority")
TICKET_LEVEL = SearchAttributeKey.for_int("TicketLevel")
TICKET_STATE = SearchAttributeKey.for_keyword("TicketState")
SLA_BREACHED = SearchAttributeKey.for_bool("SlaBreached")
TICKET_CATEGORY = SearchAttributeKey.for_keyword("TicketCategory")
# The agent who owns the ticket (the `assign` action); unset until someone is assigned.
TICKET_ASSIGNEE = SearchAttributeKey.for_keyword("TicketAssignee")
# The earliest running deadline, for "deadlines in the next hour"; unset when none runs.
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
# Kinds of the dashboard alerts a ticket raised (sla_breach, new_ticket, delivery_failed, ...).
DASHBOARD_ALERTS = SearchAttributeKey.for_keyword_list("DashboardAlerts")

ALL = (
    TICKET_PRIORITY,
    TICKET_LEVEL,
    TICKET_STATE,
    SLA_BREACHED,
    TICKET_CATEGORY,
    NEXT_DEADLINE,
    DASHBOARD_ALERTS,
    TICKET_ASSIGNEE,
)
