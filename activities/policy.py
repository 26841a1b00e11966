"""Hands the worker's validated policy to each new ticket, which keeps it for its lifetime."""

from temporalio import activity

from policy.models import EscalationPolicy


class PolicyActivities:
    def __init__(self, policy: EscalationPolicy) -> None:
        self._policy = policy

    @activity.defn(name="current_policy")
    async def current_policy(self) -> EscalationPolicy:
        return self._policy
