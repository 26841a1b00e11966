"""Delivery metrics, recorded by the delivery activity where a delivery settles.

Through the activity's metric meter: the runtime's Prometheus endpoint exports them with the
SDK's own, labelled with the namespace, task queue and activity type; without an endpoint the
meter does nothing."""

from datetime import UTC, datetime, timedelta
from typing import Literal

from temporalio import activity

from activities.messages import OutgoingMessage

DEADLINE_TO_PROVIDER = "escalation_deadline_to_provider_seconds"
DELIVERIES = "escalation_deliveries_total"
# The pages a passed deadline sends, by the `kind` label they are measured under.
MEASURED_KINDS = {"sla_breach": "breach", "handoff": "handoff", "realert": "realert"}

# sent: accepted now; outbox: no credentials; duplicate: done before (the ledger or the provider
# says so), provider not called again; throttled: held by the storm limit; unknown: ambiguous,
# not sent again; failed: permanent (the workflow falls back); deferred: retried later.
DeliveryOutcome = Literal[
    "sent", "outbox", "duplicate", "throttled", "unknown", "failed", "deferred"
]


def delivery_settled(message: OutgoingMessage, outcome: DeliveryOutcome) -> None:
    """Count the outcome on the message's channel. A page a deadline sent that its provider
    (or the dashboard) accepted just now also observes how long after the deadline that was."""
    if not activity.in_activity():  # driven directly (a test, a script): no worker exports it
        return
    meter = activity.metric_meter()
    meter.create_counter(DELIVERIES, "Notification deliveries by channel and outcome.").add(
        1, {"channel": message.channel, "outcome": outcome}
    )
    kind = MEASURED_KINDS.get(message.kind)
    if outcome != "sent" or kind is None or message.due is None:
        return
    # The worker's clock against the server's deadline: synchronised clocks, as Temporal's
    # timers assume; a skew that makes it negative counts as on time.
    late = max(datetime.now(UTC) - message.due, timedelta(0))
    meter.create_histogram_timedelta(
        DEADLINE_TO_PROVIDER,
        "From a deadline's due instant to its page accepted by the provider or the dashboard.",
    ).record(late, {"kind": kind, "channel": message.channel})
