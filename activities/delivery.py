"""Delivery of one notification: ledger first, then the provider, then the ledger again.

The ledger makes it "never twice"; the provider's answer decides between sent, retry later,
ambiguous (recorded as unknown) and permanent failure (non-retryable, so the workflow falls back).
After an ambiguous outcome a team message is sent again, unless its provider can be asked
whether it has it (Twilio): then only when the provider has no record of it.
"""

import logging
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.customer_links import CustomerLinks
from activities.messages import DeliveryReceipt, DigestRequest, OutgoingMessage
from activities.outbox import Outbox
from activities.provider_errors import Outcome, ProviderFailure
from activities.provider_settings import ProviderSettings
from activities.sendgrid_email import SendGridEmail
from activities.twilio_phone import TwilioPhone
from metrics.deliveries import delivery_settled
from policy.models import Delivery
from store.ledger import ChannelRules, Claim, IfUnsure, NotificationLedger

log = logging.getLogger(__name__)
NO_CREDENTIALS = "not delivered: no credentials"
# Provider records are matched from the first claim on, less this much clock difference between
# the workers and the provider (Twilio's timestamps have whole seconds).
CLOCK_SKEW = timedelta(seconds=60)


class ChannelSender(Protocol):
    def send(self, message: OutgoingMessage) -> str:
        """Send through the provider and return its id; raises ProviderFailure."""
        ...


@runtime_checkable
class ProviderLookup(Protocol):
    def sent_since(self, message: OutgoingMessage, since: datetime) -> list[str]:
        """The provider's ids of what it accepted like this message since then, oldest first;
        raises ProviderFailure."""
        ...

    def tells_apart(self, message: OutgoingMessage) -> bool:
        """Whether the provider's records show this message's content (an SMS's text), not
        only its recipient (a call)."""
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
        ledger: NotificationLedger,
        channels: dict[str, ChannelSender],
        outbox: Outbox,
        links: CustomerLinks | None = None,
    ) -> None:
        self._rules = rules
        self._ledger = ledger
        self._channels = channels
        self._outbox = outbox
        self._links = links or CustomerLinks(None)

    def deliver(self, message: OutgoingMessage, attempt: int = 1) -> DeliveryReceipt:
        if message.channel == "dashboard":
            return self._record_alert(message)
        message = self._links.add(message)
        sender = self._channels.get(message.channel)
        if sender is None:
            self._outbox.append("notifications", message.notification_id, message.model_dump())
            delivery_settled(message, "outbox")
            return DeliveryReceipt(status="outbox", detail=NO_CREDENTIALS)
        rules = self._channel_rules(message, sender)
        claim = self._ledger.claim(message, rules)
        if claim.status == "checking" and isinstance(sender, ProviderLookup):
            claim = self._ask_provider(message, sender, claim, rules, attempt)
        if claim.wait:
            # On another attempt, over within a provider call: again soon, without backoff.
            wait = self._rules.retry_initial_seconds
            raise self._deferred(message, claim.detail or "waiting", wait, attempt)
        if not claim.send:
            return self._earlier_outcome(message, claim)
        try:
            provider_id = sender.send(message)
        except ProviderFailure as failure:
            return self._failed(message, failure, attempt)
        self._ledger.settle(message.notification_id, "sent", provider_id)
        delivery_settled(message, "sent")
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
        claim = self._ledger.claim(message, ChannelRules("keep"))
        if claim.send:
            # A dashboard integration, when one is configured, gets each alert once as it is
            # recorded (the benchmark's recorder is one).
            integration = self._channels.get("dashboard")
            provider_id = integration.send(message) if integration else "dashboard"
            self._ledger.settle(message.notification_id, "sent", provider_id)
            delivery_settled(message, "sent")
            return DeliveryReceipt(status="sent", provider_id=provider_id)
        delivery_settled(message, "duplicate")
        return DeliveryReceipt(status="sent", provider_id="dashboard")

    def _channel_rules(self, message: OutgoingMessage, sender: ChannelSender) -> ChannelRules:
        unsure = if_unsure(message, sender)
        return ChannelRules(
            if_unsure=unsure,
            limit=self._rules.limit(message.channel),
            window=self._rules.throttle_window,
            in_flight=timedelta(seconds=self._rules.attempt_timeout_seconds),
            by_recipient_only=isinstance(sender, ProviderLookup)
            and unsure == "ask"
            and not sender.tells_apart(message),
        )

    def _ask_provider(
        self,
        message: OutgoingMessage,
        lookup: ProviderLookup,
        claim: Claim,
        rules: ChannelRules,
        attempt: int,
    ) -> Claim:
        """An earlier attempt may have reached the provider: its records decide."""
        nid = message.notification_id
        assert claim.since is not None
        since = claim.since - CLOCK_SKEW
        try:
            found = lookup.sent_since(message, since)
        except ProviderFailure as failure:
            if failure.outcome != Outcome.PERMANENT:
                self._ledger.settle(nid, "unknown", detail=f"lookup: {failure.message}")
                raise self._deferred(
                    message, failure.message, failure.retry_after, attempt
                ) from None
            # e.g. a key that may send but not list: a duplicate page beats a missed one.
            log.warning("%s: lookup refused, sending again: %s", nid, failure.message)
            found = []
        resolved = self._ledger.resolve(message, found, since, rules)
        if resolved.status == "sent":
            log.info("%s found at the provider as %s", nid, resolved.provider_id)
        elif resolved.send:
            log.warning("%s: %s", nid, resolved.detail)
        return resolved

    def _earlier_outcome(self, message: OutgoingMessage, claim: Claim) -> DeliveryReceipt:
        delivery_settled(message, "throttled" if claim.status == "throttled" else "duplicate")
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
            delivery_settled(message, "failed")
            raise permanent(message, failure.message)
        if failure.outcome == Outcome.AMBIGUOUS:
            self._ledger.settle(nid, "unknown", detail=failure.message)
            if message.audience != "team":
                log.warning("%s: outcome unknown, not sent again: %s", nid, failure.message)
                delivery_settled(message, "unknown")
                return DeliveryReceipt(
                    status="unknown", detail=f"{failure.message}; not sent again"
                )
        else:
            self._ledger.settle(nid, "retrying", detail=failure.message)
        raise self._deferred(message, failure.message, failure.retry_after, attempt)

    def _deferred(
        self, message: OutgoingMessage, reason: str, retry_after: float | None, attempt: int
    ) -> ApplicationError:
        delay = retry_after if retry_after is not None else self._backoff(attempt)
        delivery_settled(message, "deferred")
        log.warning("%s: retry in %.2f s: %s", message.notification_id, delay, reason)
        return ApplicationError(
            f"{describe(message)}: {reason}",
            type="DeliveryDeferred",
            next_retry_delay=timedelta(seconds=delay),
            # An expected wait, already logged above: not an error trace per attempt.
            category=ApplicationErrorCategory.BENIGN,
        )

    def _backoff(self, attempt: int) -> float:
        initial, maximum = self._rules.retry_initial_seconds, self._rules.retry_maximum_seconds
        return min(maximum, initial * 2 ** max(0, attempt - 1))


def if_unsure(message: OutgoingMessage, sender: ChannelSender) -> IfUnsure:
    """After an ambiguous outcome: a customer never gets the same email twice; a team message is
    sent again (a duplicate page beats a missed one), after asking its provider when it can tell."""
    if message.audience != "team":
        return "keep"
    return "ask" if isinstance(sender, ProviderLookup) else "resend"


def permanent(message: OutgoingMessage, detail: str) -> ApplicationError:
    return ApplicationError(
        f"{describe(message)}: {detail}", type="PermanentDeliveryFailure", non_retryable=True
    )
