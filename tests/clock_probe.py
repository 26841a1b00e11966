"""A minimal workflow that computes a deadline on the policy's clocks inside the sandbox, as the
ticket workflow will: the policy arrives in the payload, already carrying its holiday dates."""

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from policy.models import EscalationPolicy, PriorityName


class ClockProbeInput(BaseModel):
    policy: EscalationPolicy
    level: int
    priority: PriorityName
    window: timedelta


class ClockProbeResult(BaseModel):
    now: datetime
    due: datetime


@workflow.defn
class ClockProbeWorkflow:
    @workflow.run
    async def run(self, probe: ClockProbeInput) -> ClockProbeResult:
        clock = probe.policy.clock(probe.level, probe.priority)
        now = workflow.now()
        return ClockProbeResult(now=now, due=clock.add(now, probe.window))
