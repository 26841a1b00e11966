"""One recorded ticket replayed through the procedure's core.

A replay feeds `procedure.decide` what the workflow fed it, in the same order: the opening, each
recorded action at its instant, and every deadline the policy sets, recomputed. The workflow
handles its deadlines when its timer fires, a few milliseconds after they fall due, and an
action may arrive in between; the record keeps each such pass (simulation/recording.py).

- `as_recorded`, under the policy the ticket was opened with: a deadline is handled at the
  first recorded pass at or after its due instant, and the knowledge base's answer and the
  providers' refusals arrive as they did. This makes the same decisions, at the same instants,
  as the workflow did.
- `as_proposed`, under another policy: a deadline is handled when the record's timer set for
  the very same instant fired, otherwise at its due instant, after whatever the record holds
  for that instant. The knowledge base answers this replay's own search; a refusal goes to its
  own n-th message of the same kind, level, channel and recipient, as long after sending as
  recorded (a message it never sends is never refused). Under the same policy this makes the
  same decisions as `as_recorded`, but where an action reached the ticket between a deadline's
  due instant and its timer's firing: there the deadline goes first."""

import bisect
import heapq
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from activities.messages import OutgoingMessage
from contract.status import NotificationEntry, TicketRecord
from policy.models import EscalationPolicy
from procedure import clocks, decide
from procedure.effects import Effect, Notify, SearchKnowledgeBase
from procedure.events import DeadlineDue, DeliveryFailed, Event, KnowledgeBaseSearched

# A message as a refusal finds it again: kind, level, channel, audience, recipient.
MessageKey = tuple[str, int, str, str, str]
Moment = tuple[datetime, float]  # an instant and the record's order within it


@dataclass(frozen=True, order=True)
class Input:
    at: datetime
    position: float  # the record's order; math.inf: after all the record holds for `at`
    event: Event | None = field(compare=False)  # None: the ticket's deadlines are looked at


@dataclass(frozen=True)
class RecordedTicket:
    """What the record holds of one ticket, ready to replay (simulation/recorded.py reads it)."""

    ticket_id: str
    policy: EscalationPolicy  # the one it was opened under
    opened: Input
    actions: list[Input]  # actions and unreadable signals
    knowledge_base: Input | None
    failures: list[Input]  # DeliveryFailed
    passes: list[Moment]  # when the workflow looked at its deadlines, in order
    timers: dict[datetime, list[Moment]]  # a timer's due instant -> when such timers fired
    last: Moment  # the record's last input


@dataclass(frozen=True)
class Refusal:
    """A provider refused the n-th message of its key for good, `after` it was sent."""

    key: MessageKey
    ordinal: int
    after: timedelta
    error: str
    position: float


@dataclass
class Replayed:
    record: TicketRecord
    effects: list[Effect]


def message_key(message: OutgoingMessage | NotificationEntry) -> MessageKey:
    return (message.kind, message.level, message.channel, message.audience, message.recipient)


def as_recorded(ticket: RecordedTicket, until: datetime) -> Replayed:
    """The ticket under the policy it was opened with, up to `until`."""
    return _Replay(ticket, ticket.policy, None).run(until)


def as_proposed(
    ticket: RecordedTicket, policy: EscalationPolicy, until: datetime, refusals: list[Refusal]
) -> Replayed:
    """The ticket as `policy` would have handled it, up to `until`; `refusals` from
    `refusals_of` its replay as recorded."""
    return _Replay(ticket, policy, refusals).run(until)


def refusals_of(ticket: RecordedTicket, replayed: Replayed) -> list[Refusal]:
    """The recorded refusals, found in the replay as recorded, as another policy's replay can
    find their messages again."""
    found: list[Refusal] = []
    if not ticket.failures:
        return found
    sent: dict[MessageKey, list[NotificationEntry]] = {}
    for notification in replayed.record.notifications:
        sent.setdefault(message_key(notification), []).append(notification)
    for failure in ticket.failures:
        assert isinstance(failure.event, DeliveryFailed)
        key = message_key(failure.event.message)
        same = sent.get(key, [])
        ordinal = [n.notification_id for n in same].index(failure.event.message.notification_id)
        after = failure.at - same[ordinal].at
        found.append(Refusal(key, ordinal + 1, after, failure.event.error, failure.position))
    return found


class _Replay:
    def __init__(
        self, ticket: RecordedTicket, policy: EscalationPolicy, refusals: list[Refusal] | None
    ) -> None:
        self.ticket, self.policy = ticket, policy
        self.recorded = refusals is None
        self.record: TicketRecord | None = None
        self.effects: list[Effect] = []
        self.pending = ticket.actions + (ticket.failures if self.recorded else [])
        heapq.heapify(self.pending)
        self.refused = {(r.key, r.ordinal): r for r in refusals or []}
        self.sent: Counter[MessageKey] = Counter()
        self.moment: Moment = (ticket.opened.at, ticket.opened.position)

    def run(self, until: datetime) -> Replayed:
        self._decide(self.ticket.opened.event, self.ticket.opened.at)
        while (step := self._next(until)) is not None:
            self.moment = (step.at, step.position)
            if step.event is None:
                self._look_at_deadlines(step.at)
            else:
                self._decide(step.event, step.at)
        assert self.record is not None
        return Replayed(self.record, self.effects)

    def _next(self, until: datetime) -> Input | None:
        """The earlier of the next input and the next look at the deadlines, up to `until`."""
        assert self.record is not None
        candidates = self.pending[:1]
        upcoming = clocks.next_deadline(self.record)
        if upcoming is not None:
            candidates.append(Input(*self._handled(upcoming[1]), None))
        step = min(candidates, default=None)
        if step is None or step.at > until:
            return None
        if step.event is not None:
            heapq.heappop(self.pending)
        return step

    def _handled(self, due: datetime) -> Moment:
        """When the workflow looks at a deadline due at `due` (see the module's docstring).
        One set in the past (a raised priority shortens the response) is looked at at once."""
        soonest = max((due, -math.inf), self.moment)
        if self.recorded:
            passes = self.ticket.passes
            index = bisect.bisect_left(passes, soonest)
            if index < len(passes):
                return passes[index]
            # The workflow has not looked since: not before the end of the record.
            return max((due, math.inf), (self.ticket.last[0], self.ticket.last[1] + 0.5))
        for fired in self.ticket.timers.get(due, ()):
            if fired >= soonest:  # the record's timer for this instant, not an earlier one's
                return fired
        return (due, math.inf) if due >= self.moment[0] else (self.moment[0], self.moment[1] + 0.5)

    def _look_at_deadlines(self, at: datetime) -> None:
        """What the workflow does when its timer fires: each deadline due, in order."""
        for deadline in clocks.DEADLINE_ORDER:
            assert self.record is not None
            if clocks.is_due(self.record, deadline, at):
                self._decide(DeadlineDue(deadline=deadline), at)

    def _decide(self, event: Event, at: datetime) -> None:
        self.record, effects = decide(self.record, self.policy, event, at)
        self.effects += effects
        for effect in effects:
            if isinstance(effect, SearchKnowledgeBase):
                self._answer(effect)
            elif isinstance(effect, Notify) and self.refused:
                self._deliver(effect.message, at)

    def _answer(self, search: SearchKnowledgeBase) -> None:
        answer = self.ticket.knowledge_base
        if answer is None or not isinstance(answer.event, KnowledgeBaseSearched):
            return
        event = answer.event.model_copy(update={"seq": search.seq})
        heapq.heappush(self.pending, Input(answer.at, answer.position, event))

    def _deliver(self, message: OutgoingMessage, at: datetime) -> None:
        key = message_key(message)
        self.sent[key] += 1
        refusal = self.refused.get((key, self.sent[key]))
        if refusal is not None:
            failed = DeliveryFailed(message=message, error=refusal.error)
            heapq.heappush(self.pending, Input(at + refusal.after, refusal.position, failed))
