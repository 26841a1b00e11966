"""The store's rows of a ticket's inputs, read back as the events `procedure.decide` took."""

from collections.abc import Iterable
from datetime import datetime

from policy.models import EscalationPolicy
from procedure.events import EVENT, DeliveryFailed, KnowledgeBaseSearched, Opened
from simulation.replay import Input, Moment, RecordedTicket
from store.inputs import StoredTicket


def read(stored: Iterable[StoredTicket], policies: dict[str, str]) -> list[RecordedTicket]:
    """Each stored ticket ready to replay, with the policy it was opened under."""
    parsed = {key: EscalationPolicy.model_validate_json(text) for key, text in policies.items()}
    return [_ticket(ticket, parsed) for ticket in stored]


def _ticket(stored: StoredTicket, policies: dict[str, EscalationPolicy]) -> RecordedTicket:
    policy = policies.get(stored.policy_id or "")
    opened, knowledge_base = None, None
    actions: list[Input] = []
    failures: list[Input] = []
    passes: dict[datetime, Moment] = {}
    timers: dict[datetime, list[Moment]] = {}
    for row in stored.inputs:
        if row.due is not None:  # a deadline handled: only when is replayed
            passes.setdefault(row.at, (row.at, row.position))
            timers.setdefault(row.due, []).append((row.at, row.position))
            continue
        item = Input(row.at, row.position, EVENT.validate_json(row.event))
        if isinstance(item.event, Opened):
            opened = item
        elif isinstance(item.event, KnowledgeBaseSearched):
            knowledge_base = item
        elif isinstance(item.event, DeliveryFailed):
            failures.append(item)
        else:
            actions.append(item)
    if opened is None or policy is None:
        raise ValueError(f"ticket {stored.ticket_id}: its opening or its policy is not recorded")
    return RecordedTicket(
        stored.ticket_id,
        policy,
        opened,
        actions,
        knowledge_base,
        failures,
        sorted(passes.values()),
        timers,
        (stored.inputs[-1].at, stored.inputs[-1].position),
    )
