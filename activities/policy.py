"""Names the worker's policy to each new ticket, which keeps that version for its lifetime.

The ticket keeps the digest only; the version joins the records store (`policies`) with the
opening's records, so a replay on any worker finds it (policy/versions.py)."""

from temporalio import activity

from policy.models import EscalationPolicy
from policy.versions import VERSIONS


class PolicyActivities:
    def __init__(self, policy: EscalationPolicy) -> None:
        self._policy_id = VERSIONS.add(policy)

    @activity.defn(name="current_policy_id")
    async def current_policy_id(self) -> str:
        return self._policy_id
