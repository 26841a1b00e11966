"""What a provider's answer means for delivery: retry, ambiguous, or permanent.

Messages name the provider, the HTTP status and the provider's own error code, never the
credentials or the request, so they are safe in workflow history and logs."""

import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from enum import StrEnum


class Outcome(StrEnum):
    RETRY = "retry"  # certainly not sent (429, 503, no connection): send again later
    AMBIGUOUS = "ambiguous"  # may have been sent (5xx, read timeout, connection lost mid-answer)
    PERMANENT = "permanent"  # the provider refuses this message (other 4xx): never retry


class ProviderFailure(Exception):
    def __init__(self, outcome: Outcome, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.retry_after = retry_after


def outcome_of_status(status: int) -> Outcome:
    # 429 is never processed (both providers say so) and 503 means the service could not take
    # the request: retrying them is safe for everyone. Other 5xx may follow a send.
    if status in (429, 503):
        return Outcome.RETRY
    if status >= 500:
        return Outcome.AMBIGUOUS
    return Outcome.PERMANENT


def http_failure(
    provider: str, status: int, detail: str, headers: Mapping[str, str] | None
) -> ProviderFailure:
    return ProviderFailure(
        outcome_of_status(status),
        f"{provider} HTTP {status}: {detail}",
        retry_after(headers or {}) if status in (429, 503) else None,
    )


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from Retry-After (seconds or an HTTP date) or X-RateLimit-Reset (epoch)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    value = lowered.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                return None
    reset = lowered.get("x-ratelimit-reset")
    if reset:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            return None
    return None
