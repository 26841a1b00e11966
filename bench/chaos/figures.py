"""What a chaos scenario promised and what happened, from plain data: the tickets' records (what
the workflows decided to send and when their deadlines fired), what the fake provider accepted,
the notification ledger's attempt counts and the fault windows. No Temporal here."""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from contract.status import NotificationEntry, TicketRecord
from tests.fake_providers import Seen

# Channels that reach a provider; dashboard alerts stay in the ledger.
PROVIDER_CHANNELS = ("email", "sms", "phone")
# Calls (and, with status callbacks, SMS) carry the id in a URL of the request's form.
_ID_IN_URL = re.compile(r"notification_id=([^&\"'<>\s]+)")


@dataclass(frozen=True)
class Window:
    """A fault, in wall-clock seconds: from when it began to when the service was back."""

    began: float
    ended: float
    stops_deadlines: bool  # no worker or no server: timers cannot fire meanwhile


@dataclass
class Figures:
    scenario: str
    tickets: int = 0
    faults: str = ""
    wanted: int = 0  # notifications the workflows decided to send through a provider
    sent: int = 0  # of those, how many reached the fake provider
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)  # accepted twice, not explained
    explained: list[str] = field(default_factory=list)  # ambiguous outcome re-sent (documented)
    stuck: list[str] = field(default_factory=list)  # "workflow id: why"
    recovery_to_last_delivery: float | None = None
    latest_deadline: float | None = None  # seconds a deadline fired after it could have
    server_errors: int = 0  # HTTP 500 answers
    records_missing: int = 0  # timeline entries absent from the records store
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(
            self.lost or self.duplicated or self.stuck or self.server_errors or self.records_missing
        )


def notification_id(seen: Seen) -> str | None:
    """The notification a provider request carried: SendGrid's custom arg, or the id in a
    Twilio request's callback URL (the call's TwiML; an SMS's status callback, where set)."""
    if seen.kind == "email":
        return seen.payload.get("custom_args", {}).get("notification_id")
    for value in seen.payload.values():
        found = _ID_IN_URL.search(str(value))
        if found:
            return unquote(found.group(1))
    return None


def wanted(records: Iterable[TicketRecord]) -> dict[str, NotificationEntry]:
    return {
        n.notification_id: n
        for record in records
        for n in record.notifications
        if n.channel in PROVIDER_CHANNELS
    }


def account(
    figures: Figures,
    records: list[TicketRecord],
    accepted: list[Seen],
    attempts: dict[str, int],
) -> None:
    """Wanted, sent, lost and duplicated. A duplicate is explained only as the documented re-send
    of a team message after an ambiguous outcome: the ledger that sent it counted a second
    attempt. A customer message, or one two ledgers each sent once, is not."""
    decided = wanted(records)
    copies = Counter(notification_id(seen) for seen in accepted)
    figures.tickets = len(records)
    figures.wanted = len(decided)
    figures.sent = sum(1 for nid in decided if copies[nid])
    figures.lost = sorted(nid for nid in decided if not copies[nid])
    for nid, count in sorted(copies.items(), key=lambda item: str(item[0])):
        if count < 2:
            continue
        entry = decided.get(nid or "")
        if (
            entry is not None
            and entry.audience == "team"
            and attempts.get(entry.notification_id, 0) > 1
        ):
            figures.explained.append(str(nid))
        else:
            figures.duplicated.append(str(nid))


def recovery_to_last_delivery(
    accepted: list[Seen], decided: Iterable[str], recovered: float
) -> float | None:
    """Seconds from the end of the last fault to the provider's first copy of the last wanted
    notification; None when everything was delivered before."""
    first: dict[str, float] = {}
    for seen in accepted:
        nid = notification_id(seen)
        if nid is not None:
            first[nid] = min(first.get(nid, seen.at), seen.at)
    last = max((first[nid] for nid in decided if nid in first), default=None)
    return None if last is None or last <= recovered else last - recovered


def allowed_from(due: float, windows: list[Window]) -> float:
    """The earliest a deadline could fire: its instant, or the end of the outage it fell in."""
    for window in windows:
        if window.stops_deadlines and window.began <= due <= window.ended:
            return window.ended
    return due


def deadline_lateness(
    figures: Figures,
    records: list[TicketRecord],
    windows: list[Window],
    now: float,
    margin: float,
) -> None:
    """Every breach fired within `margin` of when it could; no deadline is left overdue."""
    worst = 0.0
    for record in records:
        workflow = f"ticket-{record.ticket_id}"
        for breach in record.breaches:
            late = breach.at.timestamp() - allowed_from(breach.due.timestamp(), windows)
            worst = max(worst, late)
            if late > margin:
                figures.stuck.append(f"{workflow}: {breach.metric} breach fired {late:.1f} s late")
        for name, due in record.deadlines:
            if due is not None and allowed_from(due.timestamp(), windows) + margin < now:
                figures.stuck.append(f"{workflow}: {name} deadline {due} never fired")
    figures.latest_deadline = worst
