"""Notification delivery activity: email, SMS, phone pages and dashboard alerts."""

from typing import Protocol

from temporalio import activity

from activities.messages import DeliveryReceipt, OutgoingMessage
from activities.outbox import Outbox


class NotificationSender(Protocol):
    """A delivery backend; real providers plug in here."""

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt: ...


class OutboxSender:
    """Keeps every message in the local outbox instead of delivering it."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    def deliver(self, message: OutgoingMessage) -> DeliveryReceipt:
        self._outbox.append("notifications", message.notification_id, message.model_dump())
        return DeliveryReceipt(status="outbox", detail="not delivered: kept in the local outbox")


class NotificationActivities:
    def __init__(self, sender: NotificationSender) -> None:
        self._sender = sender

    @activity.defn(name="send_notification")
    def send_notification(self, message: OutgoingMessage) -> DeliveryReceipt:
        return self._sender.deliver(message)
