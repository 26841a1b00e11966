"""Intake routing and trigger detection: pure functions of the policy and the ticket's text."""

import re
from dataclasses import dataclass

from policy.models import PRIORITY_ORDER, EscalationPolicy, PriorityName


def find_words(text: str, words: list[str]) -> list[str]:
    """The words (or phrases) that occur in text as whole words, case-insensitively."""
    return [
        word
        for word in words
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE)
    ]


def most_urgent(priorities: list[PriorityName]) -> PriorityName:
    return min(priorities, key=PRIORITY_ORDER.index)


def is_more_urgent(candidate: PriorityName, current: PriorityName) -> bool:
    return PRIORITY_ORDER.index(candidate) < PRIORITY_ORDER.index(current)


def critical_keywords(policy: EscalationPolicy, text: str) -> list[str]:
    return find_words(text, list(policy.critical_keywords))


def keyword_priority(policy: EscalationPolicy, keywords: list[str]) -> PriorityName | None:
    """The most urgent minimum priority the critical keywords imply, if any."""
    implied = [policy.critical_keywords[keyword] for keyword in keywords]
    return most_urgent(implied) if implied else None


def security_concern(policy: EscalationPolicy, text: str) -> list[str]:
    return find_words(text, policy.security_keywords)


def assess_priority(policy: EscalationPolicy, text: str, category: str | None) -> PriorityName:
    """Priority for a ticket that arrived without one: most urgent phrase or keyword match,
    else the default of the category's level, else the policy default."""
    matched = [
        priority
        for priority, phrases in policy.assessment.phrases.items()
        if find_words(text, phrases)
    ]
    implied = keyword_priority(policy, critical_keywords(policy, text))
    if implied:
        matched.append(implied)
    if matched:
        return most_urgent(matched)
    if category:
        return policy.levels[policy.category_level(category)].default_priority
    return policy.assessment.default_priority


def immediate_level(policy: EscalationPolicy, priority: PriorityName) -> int:
    """The level a priority demands at once (P1: L4); later targets run on a deadline."""
    rule = policy.priorities[priority]
    return rule.escalate_to_level if rule.escalate_within.total_seconds() <= 0 else 1


def start_level(policy: EscalationPolicy, category: str | None, priority: PriorityName) -> int:
    category_level = policy.category_level(category) if category else 1
    return max(category_level, immediate_level(policy, priority))


def intake_text(subject: str, description: str) -> str:
    """What intake searches for keywords and phrases."""
    return f"{subject}\n{description}"


@dataclass(frozen=True)
class Routing:
    """Where a new ticket starts; the starter computes it too, for the UI's static summary."""

    priority: PriorityName
    level: int
    keywords: list[str]
    security: list[str]
    raised: bool


def route(
    policy: EscalationPolicy,
    text: str,
    priority: PriorityName | None,
    category: str | None,
) -> Routing:
    """Intake: the caller's or the assessed priority, raised by critical keywords, then the
    higher of the category's and the priority's level, at least the security level if needed."""
    keywords = critical_keywords(policy, text)
    security = security_concern(policy, text)
    chosen = priority or assess_priority(policy, text, category)
    implied = keyword_priority(policy, keywords)
    raised = implied is not None and is_more_urgent(implied, chosen)
    if raised and implied is not None:
        chosen = implied
    level = start_level(policy, category, chosen)
    if security:
        level = max(level, policy.security_min_level)
    return Routing(chosen, level, keywords, security, raised)
