"""Five tickets (and one opened before the window) whose KPIs test_reports computes by hand.

A  P4 password_resets          L1  ack +1h, resolved at L1 +5h citing reset-your-password, 5/5
B  P3 api_integration_problems L2  reply +30m, L2->L3 at +2h (0 s), L3 ack +2h30m, resolved at
                                   L3 +8h, 3/5
C  P2 technical_bugs_and_errors L2 ack missed (L2) -> L3 after 2 s, response missed (L3) -> L4
                                   after 4 s, ack +3h10m, unresolved
D  P1 system_outages           L4  reply +10m, resolved +1h, reopened +2h, resolved +4h citing
                                   getting-started, no survey                       (week 11)
E  P4 -> P2 uncategorized      L1  a rejected acknowledgment (does not count), nothing else
                                                                                     (week 11)
F  opened 2026-02-20, outside the window, with a handoff and a breach that must not count."""

from datetime import UTC, datetime, timedelta

from store.records import RecordStore

W10 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday of ISO week 2026-W10
W11 = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
SINCE = datetime(2026, 3, 1, tzinfo=UTC)
UNTIL = datetime(2026, 3, 16, tzinfo=UTC)
H, M, S = timedelta(hours=1), timedelta(minutes=1), timedelta(seconds=1)

# ticket: (category, opened at, [(offset, event, level, priority, extra facts)])
TICKETS = {
    "A": (
        "password_resets",
        W10,
        [
            (0 * H, "opened", 1, "P4", {}),
            (0 * H, "routed", 1, "P4", {}),
            (1 * H, "acknowledged", 1, "P4", {}),
            (5 * H, "resolved", 1, "P4", {"article": "reset-your-password"}),
            (6 * H, "survey_answered", 1, "P4", {"score": 5}),
            (6 * H, "closed", 1, "P4", {}),
        ],
    ),
    "B": (
        "api_integration_problems",
        W10 + H,
        [
            (0 * H, "opened", 2, "P3", {}),
            (30 * M, "responded", 2, "P3", {}),
            (2 * H, "escalated", 3, "P3", {}),
            (2 * H + 30 * M, "acknowledged", 3, "P3", {}),
            (8 * H, "resolved", 3, "P3", {}),
            (9 * H, "survey_answered", 3, "P3", {"score": 3, "details": "Slow, but it works"}),
        ],
    ),
    "C": (
        "technical_bugs_and_errors",
        W10 + 2 * H,
        [
            (0 * H, "opened", 2, "P2", {}),
            (1 * H, "breached", 2, "P2", {"reason": "acknowledgment_sla_missed"}),
            (1 * H + 2 * S, "escalated", 3, "P2", {}),
            (3 * H, "breached", 3, "P2", {"reason": "response_sla_missed"}),
            (3 * H + 4 * S, "escalated", 4, "P2", {}),
            (3 * H + 10 * M, "acknowledged", 4, "P2", {}),
        ],
    ),
    "D": (
        "system_outages",
        W11,
        [
            (0 * H, "opened", 4, "P1", {}),
            (10 * M, "responded", 4, "P1", {}),
            (1 * H, "resolved", 4, "P1", {}),
            (2 * H, "reopened", 4, "P1", {}),
            (4 * H, "resolved", 4, "P1", {"article": "getting-started"}),
        ],
    ),
    "E": (
        None,
        W11 + H,
        [
            (0 * H, "opened", 1, "P4", {}),
            (5 * M, "acknowledged", 1, "P4", {"rejected": True}),
            (20 * M, "customer_message", 1, "P4", {}),
            (20 * M, "priority_raised", 1, "P2", {}),
        ],
    ),
    "F": (
        "password_resets",
        datetime(2026, 2, 20, 9, 0, tzinfo=UTC),
        [
            (0 * H, "opened", 1, "P4", {}),
            (2 * H, "breached", 1, "P4", {"reason": "acknowledgment_sla_missed"}),
            (2 * H, "escalated", 2, "P4", {}),
        ],
    ),
}
# ticket: [(from, to, triggered offset, handed-off offset)]
HANDOFFS = {
    "B": [(2, 3, 2 * H, 2 * H)],
    "C": [(2, 3, 1 * H, 1 * H + 2 * S), (3, 4, 3 * H, 3 * H + 4 * S)],
    "F": [(1, 2, 2 * H, 2 * H)],
}


def load_fixture(store: RecordStore) -> None:
    for ticket_id, (category, opened, entries) in TICKETS.items():
        for seq, (offset, event, level, priority, facts) in enumerate(entries, start=1):
            store.add_event(
                {
                    "event_id": f"{ticket_id}:{seq}",
                    "ticket_id": ticket_id,
                    "seq": seq,
                    "event": event,
                    "at": opened + offset,
                    "actor": "system",
                    "level": level,
                    "priority": priority,
                    "category": category,
                    "rejected": False,
                    **facts,
                }
            )
        for number, (source, target, triggered, at) in enumerate(HANDOFFS.get(ticket_id, [])):
            store.add_records(
                [],
                [
                    {
                        "handoff_id": f"{ticket_id}:h{number}",
                        "ticket_id": ticket_id,
                        "from_level": source,
                        "to_level": target,
                        "reason": "fixture",
                        "by": "system",
                        "priority": "P2",
                        "triggered_at": opened + triggered,
                        "at": opened + at,
                        "subject": "Escalation",
                        "template": "...",
                    }
                ],
            )
