"""Escalation: its triggers, the handoff to the receiving level, and breaches of the SLA clocks.

Automatic triggers: response time exceeds the SLA (`deadline_missed`), the priority's target level
is due (`priority_escalation_due`), multiple failed resolution attempts (`failed_attempt`), and in
a customer message: a request for escalation, critical keywords, a security concern
(`message_triggers`). Manual escalation is an action (procedure/actions.py)."""

from dataclasses import replace
from datetime import datetime

import triage
from activities.messages import HandoffRecord
from contract.status import Breach, BreachMetric, Handoff, TimelineEvent, breach_reason
from contract.tickets import TicketState
from policy.durations import format_duration
from policy.models import PriorityName
from procedure import clocks, evidence, routing
from procedure import message_texts as texts
from procedure.effects import RecordHandoff
from procedure.handoff_templates import HandoffFacts, render_handoff
from procedure.notifications import alert_dashboard, notify_customer, notify_level, send
from procedure.turn import SYSTEM, Turn, log


def escalate(
    turn: Turn,
    to_level: int,
    reason: str,
    by: str,
    note: str | None = None,
    triggered_at: datetime | None = None,
    facts: HandoffFacts | None = None,
    why: str | None = None,
) -> None:
    """Hand the ticket to a higher level (at most the top one): the level's clocks start again,
    the receiving level's template is filled in with the facts and recorded, both the level and
    the customer are told, and a check-in is set at a share of the new response window. `why`
    (the deciding phrases of a keyword or security escalation) opens the handoff's text.

    Automatic escalations pass no facts: the receiving level gets its own deadlines as next
    steps, which the trigger's facts complement."""
    t, policy, now = turn.ticket, turn.policy, turn.now
    from_level, to_level = t.level, min(to_level, policy.top_level)
    if to_level <= from_level:
        return
    clocks.resume(turn)
    t.level = to_level
    response_due = clocks.start_level_clocks(turn)
    window = policy.response_window(t.level, t.priority)
    t.deadlines.check_in = clocks.due_after(turn, now, window * policy.check_in_fraction)
    facts = facts or HandoffFacts()
    if facts.next_steps is None and by == SYSTEM:
        facts = replace(facts, next_steps=texts.handoff_next_steps(t))
    subject, body = render_handoff(policy, t, to_level, facts, response_due)
    if why:  # first, so that an SMS cut at its length limit still says it
        body = f"{why}\n\n{body}"
    handoff = Handoff(
        from_level=from_level,
        to_level=to_level,
        reason=reason,
        by=by,
        triggered_at=triggered_at or now,
        at=now,
        subject=subject,
        template=body,
    )
    t.handoffs.append(handoff)
    entry = log(
        turn,
        TimelineEvent.ESCALATED,
        by,
        reason=reason,
        details=f"L{from_level} -> L{to_level}" + (f": {note}" if note else ""),
    )
    turn.effects.append(
        RecordHandoff(
            HandoffRecord(
                handoff_id=f"{t.ticket_id}:{entry.seq}:handoff",
                ticket_id=t.ticket_id,
                priority=t.priority,
                **handoff.model_dump(),
            )
        )
    )
    notify_level(turn, "handoff", subject, body, seq=entry.seq)
    notify_customer(turn, "escalation_notice", *texts.customer_escalation_notice(t), seq=entry.seq)


def deadline_missed(turn: Turn, metric: BreachMetric, due: datetime) -> None:
    """A missed acknowledgment or response deadline: breach recorded, dashboard alert, and the
    ticket goes one level up; at the top level, re-alerts instead."""
    t = turn.ticket
    t.breaches.append(Breach(metric=metric, level=t.level, due=due, at=turn.now))
    t.sla_breached = True
    entry = log(
        turn,
        TimelineEvent.BREACHED,
        SYSTEM,
        reason=breach_reason(metric),
        details=f"L{t.level} {metric} was due {texts.when(due)}",
    )
    alert_dashboard(turn, "sla_breach", *texts.team_breach_alert(t, metric, due), seq=entry.seq)
    if t.level < turn.policy.top_level:
        late = turn.now - due
        missed = f"The L{t.level} {metric} deadline, due {texts.for_team(t, due)}, was missed" + (
            f" by {format_duration(late)}" if late.total_seconds() > 0 else ""
        )
        facts = HandoffFacts(customer_impact=f"{missed}.")
        escalate(turn, t.level + 1, breach_reason(metric), SYSTEM, triggered_at=due, facts=facts)
        return
    t.state = TicketState.OPEN
    t.deadlines.acknowledgment = t.deadlines.response = None
    realert(turn, due)


def realert(turn: Turn, due: datetime) -> None:
    """Nothing above the top level: page it again every response window until someone
    acknowledges, and tell its manager too."""
    t, policy = turn.ticket, turn.policy
    t.deadlines.realert = clocks.next_slot(turn, due, policy.response_window(t.level, t.priority))
    reason = texts.realert_reason(t, policy, turn.now)
    entry = log(turn, TimelineEvent.REALERTED, SYSTEM, reason=reason)
    notify_level(turn, "realert", *texts.team_realert(t, reason), seq=entry.seq)
    manager = policy.levels[t.level].manager
    if manager:  # an unanswered page goes up the management chain too
        send(
            turn,
            "email",
            "team",
            manager.email,
            "realert_manager",
            *texts.team_realert(t, reason),
            entry.seq,
        )


def priority_escalation_due(turn: Turn, due: datetime) -> None:
    """P2 reaches L3 within 2 hours, P3 L2 within 24 hours (clocks.refresh_priority_escalation)."""
    t = turn.ticket
    rule = turn.policy.priorities[t.priority]
    window = format_duration(rule.escalate_within)
    reason = f"{t.priority}_unresolved_after_{window}"
    target = (
        f"The {t.priority} target (L{rule.escalate_to_level} within {window} of opening) "
        f"passed at {texts.for_team(t, due)} unresolved."
    )
    facts = HandoffFacts(customer_impact=target)
    escalate(turn, rule.escalate_to_level, reason, SYSTEM, triggered_at=due, facts=facts)


def failed_attempt(turn: Turn) -> None:
    """Multiple failed resolution attempts: the policy's failed attempt limit at one level
    escalates one level up; the count starts again at the new level."""
    t = turn.ticket
    t.failed_attempts_at_level += 1
    limit_reached = t.failed_attempts_at_level >= turn.policy.failed_attempt_limit
    if not limit_reached:
        return
    failed = [a for a in t.attempts if a.level == t.level and not a.succeeded]
    tried = "; ".join(f"{a.action} by {a.agent}: failed" for a in failed)
    findings = f"{len(failed)} failed attempts at L{t.level}: {tried}"
    if t.level < turn.policy.top_level:
        facts = HandoffFacts(root_cause=findings)
        escalate(turn, t.level + 1, "failed_attempt_limit", SYSTEM, facts=facts)
    else:
        tell_top_manager(turn, "failed_attempt_limit", findings)


def check_in_due(turn: Turn) -> None:
    """ "Set follow-up: schedule check-in points": the receiving level is reminded by email while
    its response is still due."""
    t = turn.ticket
    if t.deadlines.response is None:
        return
    entry = log(turn, TimelineEvent.CHECK_IN, SYSTEM, reason="handoff_follow_up")
    notify_level(turn, "check_in", *texts.team_check_in(t), seq=entry.seq, channels=["email"])


def raise_priority(turn: Turn, priority: PriorityName, reason: str) -> None:
    t = turn.ticket
    old, t.priority = t.priority, priority
    log(turn, TimelineEvent.PRIORITY_RAISED, SYSTEM, reason=reason, details=f"{old} -> {priority}")
    clocks.tighten_response(turn)
    clocks.refresh_priority_escalation(turn)


def message_triggers(turn: Turn, message: str, requests_escalation: bool) -> bool:
    """Escalation triggers in a customer message: the customer asks (one level up), a critical
    keyword not seen before on this ticket (one level up, raises the priority, and at least
    the level the priority demands at once), a security concern (at least the security level).
    True when the ticket escalated."""
    t, policy = turn.ticket, turn.policy
    target, reasons = t.level, []
    impact, findings = None, []
    if requests_escalation:
        target, reasons = t.level + 1, ["customer_request"]
        impact = f'The customer asked for escalation: "{texts.excerpt(message)}"'
    found = triage.assess(policy, message)
    keywords = [k for k in found.critical if k not in t.seen_keywords]
    security = [k for k in found.security if k not in t.seen_keywords]
    t.seen_keywords += keywords + security
    read_at = next(e.seq for e in reversed(t.timeline) if e.event == TimelineEvent.CUSTOMER_MESSAGE)
    evidence.keep(turn, found.evidence, read_at)
    # Critical words escalate when they tell more than the ticket's priority already says:
    # "it fails again" on a P2 ticket is no news, "now everything is down" is.
    if keywords and routing.is_more_urgent(found.priority, t.priority):
        raise_priority(turn, found.priority, f"critical_keyword:{','.join(keywords)}")
        target = max(target, t.level + 1, routing.immediate_level(policy, t.priority))
        reasons.append(f"critical_keyword:{','.join(keywords)}")
        overdue = t.deadlines.escalation
        if overdue is not None and overdue <= turn.now:
            # Raised late, the new priority's target has passed already: one handoff to the
            # final level (one customer notice), not two in a row.
            target = max(target, policy.priorities[t.priority].escalate_to_level)
        findings.append(f"critical words in the customer's message: {_evidence(found)}")
    if security:
        target = max(target, policy.security_min_level)
        reasons.append(f"security_concern:{','.join(security)}")
        findings.append(f"security concern in the customer's message: {_evidence(found)}")
    if target > t.level and t.level < policy.top_level:
        facts = HandoffFacts(customer_impact=impact, root_cause="; ".join(findings) or None)
        deciding = [e for e in t.evidence if e.seq == read_at] if keywords or security else []
        escalate(
            turn,
            target,
            "+".join(reasons),
            SYSTEM,
            facts=facts,
            why=texts.why(deciding) if deciding else None,
        )
        return True
    if reasons and t.level >= policy.top_level:
        tell_top_manager(turn, "+".join(reasons), "; ".join(filter(None, [impact, *findings])))
    return False


def tell_top_manager(turn: Turn, reason: str, facts: str) -> None:
    """Nothing above the top level: a trigger that would escalate is recorded and the top
    level's manager (else its team) is told, never silently dropped."""
    t, level = turn.ticket, turn.policy.levels[turn.ticket.level]
    entry = log(turn, TimelineEvent.ESCALATION_AT_TOP, SYSTEM, reason=reason, details=facts)
    recipient = (level.manager or level.contacts).email
    subject = f"Escalation trigger at L{t.level} - Ticket #{t.ticket_id}: {reason}"
    body = f"Subject: {t.subject}\nCustomer: {t.customer.name}\n{facts or reason}\n"
    send(turn, "email", "team", recipient, "top_level_trigger", subject, body, entry.seq)


def _evidence(found: triage.Triage) -> str:
    return "; ".join(str(e) for e in found.evidence)
