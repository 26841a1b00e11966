"""Delivery outcomes by channel and the providers' latency, from the ledger's facts.

Per channel: `notifications` created in the window; `sent` (the provider took it); `delivered`
(the provider reported it delivered); `undelivered` (taken, then reported lost: a bounce, a
dropped email, an undelivered SMS, a call not answered, busy or failed); `failed` (refused when
sent, never taken); `outcomes` (each reported failure by the provider's word); and the latency
from the provider taking a message to its delivery report, p50 and p95 in seconds."""

from collections import Counter
from typing import Any

from reports.kpis import percentile
from store.deliveries import DeliveryFacts

PROVIDERS = ("twilio", "sendgrid")


def delivery_outcomes(facts: list[DeliveryFacts]) -> dict[str, dict[str, Any]]:
    channels = sorted({f.channel for f in facts})
    return {channel: _channel([f for f in facts if f.channel == channel]) for channel in channels}


def _channel(facts: list[DeliveryFacts]) -> dict[str, Any]:
    taken = [f for f in facts if f.sent_at is not None or f.status == "delivered"]
    failed = [f for f in facts if f.status == "failed"]
    latencies = [
        (f.delivered_at - f.sent_at).total_seconds()
        for f in facts
        if f.sent_at is not None and f.delivered_at is not None and f.delivered_at >= f.sent_at
    ]
    return {
        "notifications": len(facts),
        "sent": len(taken),
        "delivered": sum(f.status == "delivered" for f in facts),
        "undelivered": sum(f.sent_at is not None for f in failed),
        "failed": sum(f.sent_at is None for f in failed),
        "outcomes": dict(sorted(Counter(filter(None, map(_reported, failed))).items())),
        "latency_count": len(latencies),
        "latency_p50_seconds": percentile(latencies, 0.5),
        "latency_p95_seconds": percentile(latencies, 0.95),
    }


def _reported(fact: DeliveryFacts) -> str | None:
    """The provider's word in a report's detail: `twilio no-answer` -> `no-answer`."""
    provider, _, rest = (fact.detail or "").partition(" ")
    if provider not in PROVIDERS or not rest:
        return None
    return rest.split(":", 1)[0].split(" ", 1)[0]
