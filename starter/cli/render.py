"""Text the CLI prints: ticket summaries, action outcomes, list rows and validation problems."""

from collections import Counter
from datetime import UTC, datetime

from pydantic import ValidationError
from temporalio.client import WorkflowExecution

from calendars import AROUND_THE_CLOCK, BusinessClock
from calendars.formatting import local_time, relative
from contract import search_attributes as sa
from contract.status import ActionOutcome, TicketRecord, TimelineEntry
from procedure.message_texts import why


def validation_lines(err: ValidationError) -> list[str]:
    """One `field.path: message` line per problem, so every mistake is named at once."""
    lines = []
    for error in err.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"{field}: {error['msg']}")
    return lines


def moment(
    instant: datetime,
    now: datetime | None = None,
    zone: str = "UTC",
    clock: BusinessClock = AROUND_THE_CLOCK,
) -> str:
    """How far away it is on the clock it runs on, since deadlines matter relative to now, then
    the local time with its zone: "in 3 business hours (Mon 23 Nov 2026 11:00 America/New_York)"."""
    away = relative(now or datetime.now(UTC), instant, clock)
    return f"{away} ({local_time(instant, zone, with_date=True)})"


def timeline_line(entry: TimelineEntry) -> str:
    parts = [f"#{entry.seq}", f"{entry.at:%Y-%m-%d %H:%M:%S}", f"L{entry.level}", entry.event]
    if entry.rejected:
        parts.append("REJECTED")
    parts.append(f"by {entry.actor}")
    if entry.reason:
        parts.append(f"[{entry.reason}]")
    if entry.details:
        parts.append(f"- {entry.details.splitlines()[0][:120]}")
    return " ".join(parts)


def summary(
    record: TicketRecord,
    last: int = 5,
    clock: BusinessClock = AROUND_THE_CLOCK,
    now: datetime | None = None,
) -> str:
    """The ticket for people, in the team's zone; clock is the business clock named by the
    record's `clock` (deadlines on it count business time), the plain clock when unknown."""
    now = now or datetime.now(UTC)
    zone = record.team_zone

    def on_its_clock(name: str, due: datetime) -> str:
        business = record.deadline_clocks.get(name, "24x7") != "24x7"
        return moment(due, now, zone, clock if business else AROUND_THE_CLOCK)

    lines = [
        f"Ticket:    {record.ticket_id} - {record.subject}",
        f"Customer:  {record.customer.name} <{record.customer.email}>",
        f"Priority:  {record.priority} ({record.priority_source})",
        f"Level:     L{record.level} since {moment(record.level_since, now, zone)}",
        f"State:     {record.state.value}",
        f"Category:  {record.category or 'uncategorized'}",
        f"Assignee:  {record.assignee or 'unassigned'}",
        f"Opened:    {moment(record.opened_at, now, zone)}",
        f"Breached:  {'yes' if record.sla_breached else 'no'}",
    ]
    if record.evidence:
        lines.append(why(record.evidence))
    running = sorted((due, name) for name, due in record.deadlines if due is not None)
    lines.append("Deadlines:" + ("" if running else " none running"))
    lines += [f"  {name:<16} {on_its_clock(name, due)}" for due, name in running]
    if record.breaches:
        lines.append("Breaches:")
        lines += [
            f"  L{b.level} {b.metric} due {b.due:%Y-%m-%d %H:%M:%S}, missed at {b.at:%H:%M:%S}"
            for b in record.breaches
        ]
    if record.handoffs:
        lines.append("Handoffs:")
        lines += [
            f"  L{h.from_level} -> L{h.to_level} {h.at:%Y-%m-%d %H:%M:%S} by {h.by} [{h.reason}]"
            for h in record.handoffs
        ]
    if record.notifications:
        counts = Counter(n.status for n in record.notifications)
        lines.append("Notified:  " + ", ".join(f"{n} {status}" for status, n in counts.items()))
    if record.dashboard_alerts:
        lines.append(f"Alerts:    {', '.join(dict.fromkeys(record.dashboard_alerts))}")
    shown = record.timeline[-last:] if last > 0 else []
    lines.append(f"Timeline (last {len(shown)} of {len(record.timeline)}):")
    lines += [f"  {timeline_line(entry)}" for entry in shown]
    return "\n".join(lines)


def outcome_line(outcome: ActionOutcome) -> str:
    return (
        f"{outcome.action}: {timeline_line(outcome.entry)}\n"
        f"ticket {outcome.ticket_id} is now {outcome.state.value} at L{outcome.level} "
        f"({outcome.priority})"
    )


def alert_row(execution: WorkflowExecution) -> str:
    """The ticket's list row, then the kinds of dashboard alert it raised."""
    raised = execution.typed_search_attributes.get(sa.DASHBOARD_ALERTS) or []
    return f"{list_row(execution)}  alerts: {', '.join(raised)}"


def list_row(execution: WorkflowExecution) -> str:
    """One line per ticket; a ticket still opening has no search attributes yet, shown as '-'."""
    attrs = execution.typed_search_attributes
    breached = attrs.get(sa.SLA_BREACHED)
    level = attrs.get(sa.TICKET_LEVEL)
    status = execution.status.name if execution.status else "UNKNOWN"
    return "  ".join(
        [
            f"{execution.id:<40}",
            f"{status:<10}",
            attrs.get(sa.TICKET_PRIORITY) or "-",
            f"L{level}" if level is not None else "L-",
            f"{attrs.get(sa.TICKET_STATE) or '-':<17}",
            {True: "BREACHED", False: "sla-ok", None: "-"}[breached],
            attrs.get(sa.TICKET_CATEGORY) or "-",
        ]
    )
