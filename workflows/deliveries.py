"""The shell's effects: a decision's records and messages, a message that waits, a storm digest.

Part of TicketWorkflow (workflows/ticket.py), which decides what comes of each outcome."""

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.decisions import DecisionActivities
    from activities.messages import BatchDelivery, DecisionBatch, OutgoingMessage
    from activities.notifications import NotificationActivities
    from policy.models import EscalationPolicy
    from procedure.effects import SendDigest
    from procedure.events import Delivered, DeliveryFailed, DigestSent, Event
    from procedure.ui_details import delivery_summary

# Unlimited attempts within the timeouts: a store outage delays records, never drops them.
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
DELIVERY_WINDOW = timedelta(days=1)


def summary(message: OutgoingMessage) -> str:
    return delivery_summary(message.channel, message.audience, message.level, message.kind)


def batch_summary(batch: DecisionBatch) -> str:
    parts = []
    if batch.events:
        parts.append(
            f"Record {len(batch.events)} event(s): {', '.join(e.event for e in batch.events)}"
        )
    if batch.handoffs:
        parts.append(f"{len(batch.handoffs)} handoff(s)")
    return "; ".join(parts + [summary(message) for message in batch.messages])


class Deliveries:
    """TicketWorkflow's effects; the workflow provides `_decided`, `policy`, `_decide`,
    `_publish` and `_spawn`."""

    _decided: DecisionBatch
    policy: EscalationPolicy
    _decide: Callable[[Event], Any]
    _publish: Callable[[], None]
    _spawn: Callable[[Coroutine[Any, Any, None]], None]

    async def _carry_out_decided(self) -> None:
        """What a workflow task decided, in one activity: its records written (in the background,
        so timers never wait on the store), then its messages sent; one that must wait goes on
        alone. Records are never dropped: a batch that holds some has no overall deadline."""
        batch, self._decided = self._decided, DecisionBatch()
        messages = batch.messages
        # The records' write and each message within the policy's attempt timeout: a worker
        # that died in the batch is found out, and its batch retried elsewhere, that soon.
        attempt = timedelta(seconds=self.policy.delivery.attempt_timeout_seconds)
        steps = len(messages) + (1 if batch.records() or batch.inputs else 0)
        try:
            ends = await workflow.execute_activity_method(
                DecisionActivities.record_and_send,
                batch,
                start_to_close_timeout=attempt * steps,
                schedule_to_close_timeout=None if batch.records() else DELIVERY_WINDOW,
                retry_policy=RETRY,
                summary=batch_summary(batch),
            )
        except ActivityError as err:
            ends = [BatchDelivery(failure=str(err.cause or err))] * len(messages)
        for message, end in zip(messages, ends, strict=True):
            if end.receipt is not None:
                self._decide(Delivered(message=message, receipt=end.receipt))
            elif end.failure is not None:
                self._decide(DeliveryFailed(message=message, error=end.failure))
                self._publish()
            else:
                self._spawn(self._deliver(message, end.retry_after_seconds))

    async def _deliver(self, message: OutgoingMessage, after: float | None = None) -> None:
        if after:
            await workflow.sleep(after, summary=f"Provider asked to wait: {message.kind}")
        try:
            receipt = await self._delivery_activity(
                NotificationActivities.send_notification,
                message,
                summary(message),
            )
        except ActivityError as err:
            self._decide(DeliveryFailed(message=message, error=str(err.cause or err)))
            self._publish()
            return
        self._decide(Delivered(message=message, receipt=receipt))

    async def _send_digest(self, digest: SendDigest) -> None:
        await workflow.sleep(digest.after, summary="Storm limit: digest at window end")
        receipt = await self._delivery_activity(
            NotificationActivities.send_digest,
            digest.request,
            f"Digest email to L{digest.request.level} team",
        )
        self._decide(DigestSent(request=digest.request, receipt=receipt))

    async def _delivery_activity(self, method: Any, arg: BaseModel, summary: str) -> Any:
        """Provider calls: each within the policy's attempt timeout, retried for up to a day."""
        return await workflow.execute_activity_method(
            method,
            arg,
            start_to_close_timeout=timedelta(seconds=self.policy.delivery.attempt_timeout_seconds),
            schedule_to_close_timeout=DELIVERY_WINDOW,
            retry_policy=RETRY,
            summary=summary,
        )
