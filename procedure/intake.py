"""Step 1, initial assessment: categorize and route the ticket, start its clocks, page the level,
check the knowledge base, and acknowledge the customer with the expected response time."""

from datetime import datetime

from activities.messages import KbQuery
from contract.status import TicketRecord, TimelineEvent
from contract.ticket_input import TicketSubmission
from contract.tickets import TicketState
from policy.models import EscalationPolicy
from procedure import clocks, evidence, routing
from procedure import message_texts as texts
from procedure.effects import SearchKnowledgeBase
from procedure.notifications import notify_level
from procedure.turn import SYSTEM, Turn, log


def category_problem(policy: EscalationPolicy, category: str | None) -> str | None:
    """Why the ticket's category cannot be routed, or None: the caller's error, named."""
    if category and category not in policy.categories:
        return f"category: {category!r} is not one of {', '.join(policy.categories)}"
    return None


def open_ticket(policy: EscalationPolicy, ticket: TicketSubmission, now: datetime) -> Turn:
    """The routed record (routing.route), its timeline's first entries, its clocks, a search of
    the knowledge base (the customer's acknowledgment follows it) and the level's first page."""
    text = routing.intake_text(ticket.subject, ticket.description)
    routed = routing.route(policy, text, ticket.priority, ticket.category)
    record = TicketRecord(
        ticket_id=ticket.ticket_id,
        customer=ticket.customer,
        subject=ticket.subject,
        description=ticket.description,
        category=ticket.category,
        priority=routed.priority,
        priority_source="caller" if ticket.priority else "assessed",
        level=routed.level,
        state=TicketState.OPEN,
        opened_at=now,
        level_since=now,
        seen_keywords=routed.keywords + routed.security,
        team_zone=policy.team_zone,
        related_to=ticket.related_to,
    )
    turn = Turn(record, policy, now)
    follows = f"follow-up to {ticket.related_to}" if ticket.related_to else None
    log(turn, TimelineEvent.OPENED, "customer", reason=follows, details=ticket.subject)
    if routed.raised:
        log(
            turn,
            TimelineEvent.PRIORITY_RAISED,
            SYSTEM,
            reason=routed.raise_reason,
            details=f"{ticket.priority} -> {routed.priority}; evidence: {routed.because}",
        )
    routed_entry = log(turn, TimelineEvent.ROUTED, SYSTEM, reason=routing_reason(turn, routed))
    evidence.keep(turn, routed.evidence, routed_entry.seq, intake=True)
    clocks.start_level_clocks(turn)
    clocks.next_customer_update(turn, now)
    turn.effects.append(
        SearchKnowledgeBase(KbQuery(text=text, category=ticket.category), seq=len(record.timeline))
    )
    notify_level(turn, "new_ticket", *texts.team_new_ticket(record))
    return turn


def routing_reason(turn: Turn, routed: routing.Routing) -> str:
    t, policy = turn.ticket, turn.policy
    reasons = [f"priority {routed.priority} ({t.priority_source})"]
    if t.category:
        reasons.append(f"category {t.category} is L{policy.category_level(t.category)}")
    reasons.append(
        f"{routed.priority} demands L{routing.immediate_level(policy, t.priority)} at once"
    )
    if routed.security:
        reasons.append(
            f"security concern ({', '.join(routed.security)}) needs L{policy.security_min_level}+"
        )
    reasons.append(f"evidence: {routed.because}")
    return f"L{t.level}: " + "; ".join(reasons)
