"""Intake routing: pure functions of the policy and the ticket's text; the text is read by the
triage package."""

from dataclasses import dataclass

import triage
from policy.models import PRIORITY_ORDER, EscalationPolicy, PriorityName


def is_more_urgent(candidate: PriorityName, current: PriorityName) -> bool:
    return PRIORITY_ORDER.index(candidate) < PRIORITY_ORDER.index(current)


def immediate_level(policy: EscalationPolicy, priority: PriorityName) -> int:
    """The level a priority demands at once (P1: L4); later targets run on a deadline."""
    return policy.immediate_level(priority)


def start_level(policy: EscalationPolicy, category: str | None, priority: PriorityName) -> int:
    category_level = policy.category_level(category) if category else 1
    return max(category_level, immediate_level(policy, priority))


def intake_text(subject: str, description: str) -> str:
    """What intake reads."""
    return f"{subject}\n{description}"


@dataclass(frozen=True)
class Routing:
    """Where a new ticket starts; the starter computes it too, for the UI's static summary."""

    priority: PriorityName
    level: int
    keywords: list[str]
    security: list[str]
    raised: bool
    # The phrases that decided, for the routed reason, the page and the UI.
    evidence: tuple[triage.Evidence, ...] = ()

    @property
    def because(self) -> str:
        return "; ".join(str(e) for e in self.evidence) or "no evidence in the text"

    @property
    def raise_reason(self) -> str:
        """Why the content raised the caller's priority: `critical_keyword:down`."""
        reasons = []
        if self.keywords:
            reasons.append(f"critical_keyword:{','.join(self.keywords)}")
        if self.security:
            reasons.append(f"security_concern:{','.join(self.security)}")
        return "+".join(reasons)


def route(
    policy: EscalationPolicy,
    text: str,
    priority: PriorityName | None,
    category: str | None,
) -> Routing:
    """Intake: the caller's priority, raised (never lowered) by P1/P2 evidence in the text, or
    the text's own; with no evidence at all, the default of the category's level. Then the
    higher of the category's and the priority's level, at least the security level if needed."""
    found = triage.assess(policy, text)
    chosen, raised = triage.with_caller(policy.triage, found, priority)
    if priority is None and not found.evidence and category:
        chosen = policy.levels[policy.category_level(category)].default_priority
    level = start_level(policy, category, chosen)
    if found.security_concern:
        level = max(level, policy.security_min_level)
    return Routing(
        chosen, level, list(found.critical), list(found.security), raised, found.evidence
    )
