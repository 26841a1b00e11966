"""The public contract of TicketWorkflow: names, inputs, signals and the status record."""

import os

DEFAULT_TASK_QUEUE = "support-escalation"
WORKFLOW_TYPE = "TicketWorkflow"


def task_queue() -> str:
    return os.environ.get("TASK_QUEUE", DEFAULT_TASK_QUEUE)


def workflow_id(ticket_id: str) -> str:
    return f"ticket-{ticket_id}"
