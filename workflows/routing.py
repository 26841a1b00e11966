"""Intake routing and trigger detection: pure functions of the policy and the ticket's text."""

import re

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
