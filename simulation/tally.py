"""What one policy's replays add up to, per priority and level.

Each figure counts where it happened: a breach at the level and priority the ticket had when it
breached, an escalation at the level it left, a handoff at the level it reached, a notification
at the level it went to. Rejected actions count nothing."""

from collections import Counter
from dataclasses import dataclass, field

from contract.status import TimelineEvent, breached_metric
from procedure.effects import Notify, RecordEntry, RecordHandoff
from procedure.turn import SYSTEM
from reports.kpis import percentile
from simulation.replay import Replayed

Cell = tuple[str, int]  # (priority, level)

# The figures, in the order they are shown; counts first, then times (seconds).
COUNTS = (
    "breaches.acknowledgment",
    "breaches.response",
    "escalations.automatic",
    "escalations.manual",
    "handoffs_received",
    "team.phone",
    "team.sms",
    "team.email",
    "team.dashboard",
    "customer.email",
    "customer_updates",
    "reached",
)
TIMES = ("time_to_reach.p50_seconds", "time_to_reach.p90_seconds")
FIGURES = COUNTS + TIMES


@dataclass
class Tally:
    tickets: int = 0
    counts: Counter[tuple[Cell, str]] = field(default_factory=Counter)
    # Seconds from the opening until the ticket reached the level (0 for the level it opened at).
    reached: dict[Cell, list[float]] = field(default_factory=dict)

    def add(self, replayed: Replayed) -> None:
        record = replayed.record
        self.tickets += 1
        opened = record.timeline[0]
        self._reach((opened.priority, opened.level), 0.0)
        for effect in replayed.effects:
            if isinstance(effect, Notify):
                message = effect.message
                cell = (message.priority, message.level)
                self.counts[cell, f"{message.audience}.{message.channel}"] += 1
            elif isinstance(effect, RecordHandoff):
                handoff = effect.record
                cause = "automatic" if handoff.by == SYSTEM else "manual"
                self.counts[(handoff.priority, handoff.from_level), f"escalations.{cause}"] += 1
                self.counts[(handoff.priority, handoff.to_level), "handoffs_received"] += 1
                since_opening = (handoff.at - record.opened_at).total_seconds()
                self._reach((handoff.priority, handoff.to_level), since_opening)
            elif isinstance(effect, RecordEntry) and not effect.record.rejected:
                entry = effect.record
                cell = (entry.priority, entry.level)
                if entry.event == TimelineEvent.BREACHED:
                    self.counts[cell, f"breaches.{breached_metric(entry.reason or '')}"] += 1
                elif entry.event == TimelineEvent.STATUS_UPDATE:
                    self.counts[cell, "customer_updates"] += 1

    def _reach(self, cell: Cell, seconds: float) -> None:
        self.counts[cell, "reached"] += 1
        self.reached.setdefault(cell, []).append(seconds)

    def merge(self, other: "Tally") -> None:
        self.tickets += other.tickets
        self.counts.update(other.counts)
        for cell, seconds in other.reached.items():
            self.reached.setdefault(cell, []).extend(seconds)

    def cells(self) -> set[Cell]:
        return {cell for cell, _ in self.counts}

    def figures(self, cell: Cell) -> dict[str, float | None]:
        times = self.reached.get(cell, [])
        return {name: self.counts[cell, name] for name in COUNTS} | {
            "time_to_reach.p50_seconds": percentile(times, 0.5),
            "time_to_reach.p90_seconds": percentile(times, 0.9),
        }
