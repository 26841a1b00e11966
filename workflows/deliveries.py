"""The shell's deliveries: a decision's messages, a message that waits, a storm digest.

Part of TicketWorkflow (workflows/ticket.py), which decides what comes of each outcome."""

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.messages import BatchDelivery, MessageBatch, OutgoingMessage
    from activities.notifications import NotificationActivities
    from policy.models import EscalationPolicy
    from procedure.effects import SendDigest
    from procedure.events import Delivered, DeliveryFailed, DigestSent, Event
    from procedure.ui_details import delivery_summary

DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)


def summary(message: OutgoingMessage) -> str:
    return delivery_summary(message.channel, message.audience, message.level, message.kind)


class Deliveries:
    """TicketWorkflow's delivery effects; the workflow provides `policy`, `_decide`,
    `_publish` and `_spawn`."""

    _undelivered: list[OutgoingMessage]
    policy: EscalationPolicy
    _decide: Callable[[Event], Any]
    _publish: Callable[[], None]
    _spawn: Callable[[Coroutine[Any, Any, None]], None]

    async def _deliver_decided(self) -> None:
        """The messages decided together go in one activity; one that must wait goes on alone."""
        messages, self._undelivered = self._undelivered, []
        try:
            ends = await self._delivery_activity(
                NotificationActivities.send_notifications,
                MessageBatch(messages=messages),
                "; ".join(summary(message) for message in messages),
                attempts=len(messages),
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

    async def _delivery_activity(
        self, method: Any, arg: BaseModel, summary: str, attempts: int = 1
    ) -> Any:
        """Provider calls: each within the policy's attempt timeout, retried for up to a day."""
        attempt = timedelta(seconds=self.policy.delivery.attempt_timeout_seconds)
        return await workflow.execute_activity_method(
            method,
            arg,
            start_to_close_timeout=attempt * attempts,
            schedule_to_close_timeout=timedelta(days=1),
            retry_policy=DELIVERY_RETRY,
            summary=summary,
        )
