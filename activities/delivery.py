"""Delivery of one notification: ledger first, then the provider, then the ledger again.

The ledger makes it "never twice"; the provider's answer decides between sent, retry later,
ambiguous (recorded as unknown) and permanent failure (non-retryable, so the workflow falls back).
"""

import logging
from datetime import timedelta
from typing import Protocol

from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.ledger import Claim, Ledger
from activities.messages import DeliveryReceipt, DigestRequest, OutgoingMessage
from activities.outbox import Outbox
from activities.provider_errors import Outcome, ProviderFailure
from activities.provider_settings import ProviderSettings
from activities.sendgrid_email import SendGridEmail
from activities.twilio_phone import TwilioPhone
from policy.models import Delivery

log = logging.getLogger(__name__)
NO_CREDENTIALS = "not delivered: no credentials"


class ChannelSender(Protocol):
    def send(self, message: OutgoingMessage) -> str:
        """Send through the provider and return its id; raises ProviderFailure."""
        ...


def provider_channels(settings: ProviderSettings, rules: Delivery) -> dict[str, ChannelSender]:
    """The live channels: those whose provider has credentials."""
    channels: dict[str, ChannelSender] = {}
    timeout = rules.http_timeout_seconds
    if settings.sendgrid:
        channels["email"] = SendGridEmail(settings.sendgrid, timeout)
    if settings.twilio:
        phone = TwilioPhone(settings.twilio, timeout, settings.public_api_url)
        channels["sms"] = channels["phone"] = phone
    return channels


def describe(message: OutgoingMessage) -> str:
    """Who a message is for, without personal data (for errors that land in history)."""
    who = "customer" if message.audience == "customer" else f"L{message.level} team"
    return f"{message.channel} {message.kind} to {who}"


class NotificationDelivery:
    def __init__(
        self,
        rules: Delivery,
        ledger: Ledger,
        channels: dict[str, ChannelSender],
        outbox: Outbox,
    ) -> None:
        self._rules = rules
        self._ledger = ledger
        self._channels = channels
        self._outbox = outbox

    def deliver(self, message: OutgoingMessage, attempt: int = 1) -> DeliveryReceipt:
        if message.channel == "dashboard":
            return self._record_alert(message)
        sender = self._channels.get(message.channel)
        if sender is None:
            self._outbox.append("notifications", message.notification_id, message.model_dump())
            return DeliveryReceipt(status="outbox", detail=NO_CREDENTIALS)
        # A duplicate page beats a missed one: team messages are sent again after an ambiguous
        # outcome; a customer never gets the same email twice.
        claim = self._ledger.claim(
            message,
            resend_unknown=message.audience == "team",
            limit=self._rules.limit(message.channel),
            window=self._rules.throttle_window,
        )
        if not claim.send:
            return self._earlier_outcome(message, claim)
        try:
            provider_id = sender.send(message)
        except ProviderFailure as failure:
            return self._failed(message, failure, attempt)
        self._ledger.settle(message.notification_id, "sent", provider_id)
        log.info("sent %s %s as %s", message.notification_id, message.channel, provider_id)
        return DeliveryReceipt(status="sent", provider_id=provider_id)

    def send_digest(self, request: DigestRequest) -> DeliveryReceipt | None:
        """One email with every message held back for this address; None when none is left."""
        held = self._ledger.take_digest(request.email, request.digest_id)
        if not held:
            return None
        lines = [
            f"- {h.channel} for ticket #{h.ticket_id}: {h.subject}"
            for h in held  # ticket ids and team subjects only: this goes to staff
        ]
        digest = OutgoingMessage(
            notification_id=request.digest_id,
            ticket_id=held[0].ticket_id,
            channel="email",
            audience="team",
            recipient=request.email,
            kind="digest",
            level=request.level,
            priority=request.priority,
            subject=f"Digest: {len(held)} notification(s) held back by the storm limit",
            body="These were not sent as SMS or calls because too many went to you within "
            f"{self._rules.throttle_window}:\n\n" + "\n".join(lines) + "\n",
        )
        return self.deliver(digest)

    def _record_alert(self, message: OutgoingMessage) -> DeliveryReceipt:
        claim = self._ledger.claim(
            message, resend_unknown=False, limit=None, window=self._rules.throttle_window
        )
        if claim.send:
            # A dashboard integration, when one is configured, gets each alert once as it is
            # recorded (the benchmark's recorder is one).
            integration = self._channels.get("dashboard")
            provider_id = integration.send(message) if integration else "dashboard"
            self._ledger.settle(message.notification_id, "sent", provider_id)
            return DeliveryReceipt(status="sent", provider_id=provider_id)
        return DeliveryReceipt(status="sent", provider_id="dashboard")

    def _earlier_outcome(self, message: OutgoingMessage, claim: Claim) -> DeliveryReceipt:
        if claim.status == "failed":
            raise permanent(message, claim.detail or "failed earlier")
        log.info("%s already %s; provider not called again", message.notification_id, claim.status)
        return DeliveryReceipt(
            status=claim.status, provider_id=claim.provider_id, detail=claim.detail
        )

    def _failed(
        self, message: OutgoingMessage, failure: ProviderFailure, attempt: int
    ) -> DeliveryReceipt:
        nid = message.notification_id
        if failure.outcome == Outcome.PERMANENT:
            self._ledger.settle(nid, "failed", detail=failure.message)
            raise permanent(message, failure.message)
        if failure.outcome == Outcome.AMBIGUOUS:
            self._ledger.settle(nid, "unknown", detail=failure.message)
            if message.audience != "team":
                log.warning("%s: outcome unknown, not sent again: %s", nid, failure.message)
                return DeliveryReceipt(
                    status="unknown", detail=f"{failure.message}; not sent again"
                )
        else:
            self._ledger.settle(nid, "retrying", detail=failure.message)
        delay = failure.retry_after if failure.retry_after is not None else self._backoff(attempt)
        log.warning("%s: retry in %.2f s: %s", nid, delay, failure.message)
        raise ApplicationError(
            f"{describe(message)}: {failure.message}",
            type="DeliveryDeferred",
            next_retry_delay=timedelta(seconds=delay),
            # An expected wait, already logged above: not an error trace per attempt.
            category=ApplicationErrorCategory.BENIGN,
        )

    def _backoff(self, attempt: int) -> float:
        initial, maximum = self._rules.retry_initial_seconds, self._rules.retry_maximum_seconds
        return min(maximum, initial * 2 ** max(0, attempt - 1))


def permanent(message: OutgoingMessage, detail: str) -> ApplicationError:
    return ApplicationError(
        f"{describe(message)}: {detail}", type="PermanentDeliveryFailure", non_retryable=True
    )
