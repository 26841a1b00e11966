"""The Prometheus endpoint: the Temporal SDK's runtime serves it, with the SDK's metrics and ours.

Off unless METRICS_ADDRESS is set (host:port): tests run many workers on one machine, and two
of them on one port would collide."""

import os

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from metrics.deliveries import DEADLINE_TO_PROVIDER

# Around the 1 s target and the procedure's minutes: p99 estimates interpolate inside a
# bucket, so the SLO's boundary is one of them.
DEADLINE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0)


class MetricsSettingsError(ValueError):
    """METRICS_ADDRESS is not host:port, or its port cannot be bound."""


def metrics_address() -> str | None:
    """host:port from METRICS_ADDRESS; None (no endpoint) when unset or empty."""
    address = os.environ.get("METRICS_ADDRESS", "").strip()
    if not address:
        return None
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise MetricsSettingsError(f"METRICS_ADDRESS {address!r} is not host:port")
    return address


def prometheus_runtime(address: str) -> Runtime:
    """A runtime serving http://<address>/metrics. Durations in seconds, as Prometheus counts
    them; the SDK's own metrics keep the names of Temporal's SDK metrics reference (`temporal_`,
    no `_total` added: it would turn its `local_activity_total` into `..._total_total`)."""
    config = PrometheusConfig(
        bind_address=address,
        durations_as_seconds=True,
        histogram_bucket_overrides={DEADLINE_TO_PROVIDER: DEADLINE_BUCKETS},
    )
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=config))
    except ValueError as err:  # the SDK's words: "Address already in use", ...
        raise MetricsSettingsError(f"METRICS_ADDRESS {address}: {err}") from None
