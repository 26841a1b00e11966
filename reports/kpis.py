"""The "Metrics and KPIs" of the procedure, from the facts of the tickets opened in a window.

Durations are seconds. Percentiles interpolate linearly between the closest ranks (as
PostgreSQL's percentile_cont does). Rates are shares in [0, 1]; None where nothing was counted.

Time is counted twice, and labelled (`time_labels`): on the wall clock, and on each ticket's SLA
clock, the calendar the policy's [clocks] give its priority at the level it was opened at (a P4
opened on Friday evening and answered on Monday at 10:00 took 1 business hour). Breaches are
decided on the SLA clock; `sla_breaches_by_clock` splits their rate by that clock."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from calendars import AROUND_THE_CLOCK, BusinessClock
from policy.models import AROUND_THE_CLOCK_NAME, PRIORITY_ORDER, EscalationPolicy
from store.queries import TicketFacts

METRICS = ("acknowledgment", "response")

Report = dict[str, Any]


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def durations(values: Iterable[float]) -> dict[str, Any]:
    values = list(values)
    p50, p90 = percentile(values, 0.5), percentile(values, 0.9)
    return {
        "count": len(values),
        "p50_seconds": None if p50 is None else round(p50, 1),
        "p90_seconds": None if p90 is None else round(p90, 1),
    }


TIME_LABELS = {
    "first_response_time": "wall clock",
    "resolution_time": "wall clock",
    "escalation_time": "wall clock",
    "first_response_business_time": "SLA clock: the ticket's calendar (24x7 tickets: wall clock)",
    "resolution_business_time": "SLA clock: the ticket's calendar (24x7 tickets: wall clock)",
    "sla_breaches": "decided on each ticket's SLA clock",
}
ClockFor = Callable[[TicketFacts], BusinessClock]


def wall_clock(_ticket: TicketFacts) -> BusinessClock:
    return AROUND_THE_CLOCK


def clock_name(policy: EscalationPolicy | None, ticket: TicketFacts) -> str:
    """The calendar the ticket's SLA clocks ran on when it was opened."""
    if policy is None:
        return AROUND_THE_CLOCK_NAME
    return policy.clocks.calendar_for(ticket.opened_level, ticket.priority)


def first_response_seconds(
    tickets: list[TicketFacts], clock_for: ClockFor = wall_clock
) -> list[float]:
    return [
        clock_for(t).between(t.opened_at, t.first_response_at).total_seconds()
        for t in tickets
        if t.first_response_at is not None
    ]


def resolution_seconds(tickets: list[TicketFacts], clock_for: ClockFor = wall_clock) -> list[float]:
    return [
        clock_for(t).between(t.opened_at, t.resolved_at).total_seconds()
        for t in tickets
        if t.resolved_at is not None
    ]


def escalation_seconds(tickets: list[TicketFacts], to_level: int | None = None) -> list[float]:
    """Escalation time: from the trigger (a breach's due instant, the customer's request, the
    agent's escalate) to the receiving level's first acknowledgment after the handoff. Handoffs
    not yet acknowledged are left out."""
    return [
        (h.acknowledged_at - h.triggered_at).total_seconds()
        for t in tickets
        for h in t.handoffs
        if h.acknowledged_at is not None and to_level in (None, h.to_level)
    ]


def levels_handled(ticket: TicketFacts) -> set[int]:
    """The level it was routed to and every level a handoff gave it to."""
    return {ticket.opened_level, *(h.to_level for h in ticket.handoffs)}


def report_levels(tickets: list[TicketFacts], policy: EscalationPolicy | None) -> list[int]:
    """The policy's levels, lowest first; without one, every level a ticket was handled at."""
    if policy is not None:
        return sorted(policy.levels)
    return sorted({level for ticket in tickets for level in levels_handled(ticket)})


def satisfaction(tickets: list[TicketFacts]) -> dict[str, Any]:
    scores = [t.score for t in tickets if t.score is not None]
    resolved = sum(t.resolved_at is not None for t in tickets)
    return {
        "average": round(sum(scores) / len(scores), 2) if scores else None,
        "responses": len(scores),
        "response_rate": rate(len(scores), resolved),
    }


def survey_answers(tickets: list[TicketFacts], low_only: bool = False) -> list[dict[str, Any]]:
    """Answered surveys with a comment (or every low score), lowest score first."""
    return [
        {"ticket_id": t.ticket_id, "score": t.score, "comment": t.survey_comment}
        for t in sorted(tickets, key=lambda t: (t.score or 0, t.ticket_id))
        if t.score is not None and (t.low_satisfaction if low_only else bool(t.survey_comment))
    ]


def share(tickets: list[TicketFacts], test: Callable[[TicketFacts], bool]) -> dict[str, Any]:
    count = sum(1 for t in tickets if test(t))
    return {"tickets": count, "of": len(tickets), "rate": rate(count, len(tickets))}


def breach_rates(tickets: list[TicketFacts], levels: list[int]) -> dict[str, Any]:
    by_level = {}
    for level in levels:
        handled = [t for t in tickets if level in levels_handled(t)]
        by_level[str(level)] = share(handled, lambda t, L=level: any(b[1] == L for b in t.breaches))
    return {
        "overall": share(tickets, lambda t: bool(t.breaches)),
        "by_metric": {
            metric: share(tickets, lambda t, m=metric: any(b[0] == m for b in t.breaches))
            for metric in METRICS
        },
        "by_level": by_level,
        "by_priority": {
            priority: share(
                [t for t in tickets if t.priority == priority], lambda t: bool(t.breaches)
            )
            for priority in PRIORITY_ORDER
        },
    }


def resolution_by_level(tickets: list[TicketFacts], levels: list[int]) -> dict[str, Any]:
    """Of the tickets each level handled, the share it resolved itself."""
    result = {}
    for level in levels:
        handled = [t for t in tickets if level in levels_handled(t)]
        result[str(level)] = share(
            handled, lambda t, L=level: t.resolved_at is not None and t.resolved_level == L
        )
    return result


def knowledge_base(tickets: list[TicketFacts]) -> dict[str, Any]:
    resolved = [t for t in tickets if t.resolved_at is not None]
    articles: dict[str, int] = {}
    for ticket in resolved:
        if ticket.article:
            articles[ticket.article] = articles.get(ticket.article, 0) + 1
    cited = sum(articles.values())
    return {
        "resolutions_citing_an_article": cited,
        "share_of_resolutions": rate(cited, len(resolved)),
        "by_article": dict(sorted(articles.items(), key=lambda item: (-item[1], item[0]))),
    }


def summary(tickets: list[TicketFacts]) -> dict[str, Any]:
    """The headline figures of any group of tickets: breakdowns and weekly trends use it too."""
    return {
        "tickets": len(tickets),
        "escalation_rate": rate(sum(bool(t.handoffs) for t in tickets), len(tickets)),
        "resolution_rate": rate(sum(t.resolved_at is not None for t in tickets), len(tickets)),
        "sla_breach_rate": rate(sum(bool(t.breaches) for t in tickets), len(tickets)),
        "first_response_p50_seconds": durations(first_response_seconds(tickets))["p50_seconds"],
        "resolution_p50_seconds": durations(resolution_seconds(tickets))["p50_seconds"],
        "satisfaction_average": satisfaction(tickets)["average"],
    }


def group_by(
    tickets: list[TicketFacts], key: Callable[[TicketFacts], str]
) -> dict[str, dict[str, Any]]:
    return {name: summary(group) for name, group in sorted(grouped(tickets, key).items())}


def grouped(
    tickets: list[TicketFacts], key: Callable[[TicketFacts], str]
) -> dict[str, list[TicketFacts]]:
    groups: dict[str, list[TicketFacts]] = {}
    for ticket in tickets:
        groups.setdefault(key(ticket), []).append(ticket)
    return groups


def iso_week(instant: datetime) -> str:
    year, week, _ = instant.isocalendar()
    return f"{year}-W{week:02d}"


def build_report(
    tickets: list[TicketFacts],
    since: datetime,
    until: datetime,
    policy: EscalationPolicy | None = None,
) -> Report:
    """The report; policy gives each ticket's SLA clock (without one, every clock is 24x7) and
    the levels reported on."""
    escalated = [t for t in tickets if t.handoffs]
    levels = report_levels(tickets, policy)

    def sla_clock(ticket: TicketFacts) -> BusinessClock:
        return (
            AROUND_THE_CLOCK
            if policy is None
            else policy.clock(ticket.opened_level, ticket.priority)
        )

    return {
        "window": {"since": since.isoformat(), "until": until.isoformat()},
        **summary(tickets),
        "first_response_time": durations(first_response_seconds(tickets)),
        "resolution_time": durations(resolution_seconds(tickets)),
        "first_response_business_time": durations(first_response_seconds(tickets, sla_clock)),
        "resolution_business_time": durations(resolution_seconds(tickets, sla_clock)),
        "time_labels": TIME_LABELS,
        "escalation_time": durations(escalation_seconds(tickets)),
        "escalation_time_by_level": {
            # The lowest level receives no handoff: levels never drop.
            str(level): durations(escalation_seconds(tickets, level))
            for level in levels[1:]
        },
        "satisfaction": satisfaction(tickets),
        "survey_comments": survey_answers(tickets),
        "low_satisfaction": survey_answers(tickets, low_only=True),
        "escalations": {
            "tickets": len(escalated),
            "handoffs": sum(len(t.handoffs) for t in tickets),
            "repeat_tickets": sum(len(t.handoffs) > 1 for t in tickets),
            "repeat_rate": rate(sum(len(t.handoffs) > 1 for t in tickets), len(escalated)),
        },
        "resolution_rate_by_level": resolution_by_level(tickets, levels),
        "sla_breaches": breach_rates(tickets, levels),
        "sla_breaches_by_clock": {
            name: share(group, lambda t: bool(t.breaches))
            for name, group in sorted(grouped(tickets, lambda t: clock_name(policy, t)).items())
        },
        "knowledge_base": knowledge_base(tickets),
        "by_priority": group_by(tickets, lambda t: t.priority),
        "by_category": group_by(tickets, lambda t: t.category or "uncategorized"),
        "by_level": group_by(tickets, lambda t: f"L{t.opened_level}"),
        "trends": group_by(tickets, lambda t: iso_week(t.opened_at)),
    }
