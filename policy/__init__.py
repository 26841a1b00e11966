"""The escalation procedure as validated data."""

from policy.loader import PolicyError, describe_validation_error, load_policy
from policy.models import PRIORITY_ORDER, Channel, EscalationPolicy, PriorityName

__all__ = [
    "PRIORITY_ORDER",
    "Channel",
    "EscalationPolicy",
    "PolicyError",
    "PriorityName",
    "describe_validation_error",
    "load_policy",
]
