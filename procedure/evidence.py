"""The phrases that decided, kept in the ticket's record: the routed evidence at intake, then what
later customer messages add, so the status, the pages and the UI say why."""

from collections.abc import Iterable

import triage
from contract.status import EvidenceItem
from procedure.turn import Turn

# A later message's questions and requests explain nothing a page needs: only faults, scope,
# impact, security and an escalation request are added after intake.
_NOT_ADDED_LATER = frozenset({"question", "request", "inquiry"})


def keep(turn: Turn, found: Iterable[triage.Evidence], seq: int, intake: bool = False) -> None:
    """Add what is new (by list and words) to the record, from the timeline entry `seq`."""
    t = turn.ticket
    known = {(e.signal, e.text.lower()) for e in t.evidence}
    for e in found:
        key = (e.signal, e.text.lower())
        if key in known or (not intake and e.signal in _NOT_ADDED_LATER):
            continue
        known.add(key)
        t.evidence.append(EvidenceItem(signal=e.signal, text=e.text, suggests=e.suggests, seq=seq))
