"""Notification activities outside a decision's batch (activities/decisions.py): a message
that had to wait, alone with Temporal's retries; a storm digest.

Plain `def` activities: the provider SDKs are synchronous and run on the worker's thread pool."""

from temporalio import activity

from activities.delivery import NotificationDelivery
from activities.messages import DeliveryReceipt, DigestRequest, OutgoingMessage


class NotificationActivities:
    def __init__(self, delivery: NotificationDelivery) -> None:
        self._delivery = delivery

    @activity.defn(name="send_notification")
    def send_notification(self, message: OutgoingMessage) -> DeliveryReceipt:
        return self._delivery.deliver(message, activity.info().attempt)

    @activity.defn(name="send_digest")
    def send_digest(self, request: DigestRequest) -> DeliveryReceipt | None:
        return self._delivery.send_digest(request)
