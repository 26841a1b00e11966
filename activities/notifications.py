"""Notification activities: deliver a decision's messages, deliver one, send a storm digest.

Plain `def` activities: the provider SDKs are synchronous and run on the worker's thread pool."""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery import NotificationDelivery
from activities.messages import (
    BatchDelivery,
    DeliveryReceipt,
    DigestRequest,
    MessageBatch,
    OutgoingMessage,
)


class NotificationActivities:
    def __init__(self, delivery: NotificationDelivery) -> None:
        self._delivery = delivery

    @activity.defn(name="send_notifications")
    def send_notifications(self, batch: MessageBatch) -> list[BatchDelivery]:
        """Every message a decision made, in one activity: one completion and one workflow
        task, not one per message. The ledger keeps each once-only, so a retried batch never
        sends one twice; what must wait comes back as such and goes on alone."""
        attempt = activity.info().attempt
        return [self._attempt(message, attempt) for message in batch.messages]

    def _attempt(self, message: OutgoingMessage, attempt: int) -> BatchDelivery:
        try:
            return BatchDelivery(receipt=self._delivery.deliver(message, attempt))
        except ApplicationError as err:
            if err.non_retryable:
                return BatchDelivery(failure=str(err))
            delay = err.next_retry_delay.total_seconds() if err.next_retry_delay else 0.0
            return BatchDelivery(retry_after_seconds=delay)

    @activity.defn(name="send_notification")
    def send_notification(self, message: OutgoingMessage) -> DeliveryReceipt:
        return self._delivery.deliver(message, activity.info().attempt)

    @activity.defn(name="send_digest")
    def send_digest(self, request: DigestRequest) -> DeliveryReceipt | None:
        return self._delivery.send_digest(request)
