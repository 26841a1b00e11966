"""Percentiles and summaries of latency samples (seconds)."""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), so p50 of [1, 2] is 1.5."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0..100, got {pct}")
    ordered = sorted(values)
    rank = pct / 100 * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    count: int
    p50: float
    p95: float
    p99: float
    max: float
    min: float
    mean: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def summary_dict(values: Sequence[float]) -> dict[str, float | int] | None:
    """For results.json: None when nothing was measured (a stalled run), not an exception."""
    return summarize(values).as_dict() if values else None


def summarize(values: Sequence[float]) -> Summary:
    return Summary(
        count=len(values),
        p50=percentile(values, 50),
        p95=percentile(values, 95),
        p99=percentile(values, 99),
        max=max(values),
        min=min(values),
        mean=sum(values) / len(values),
    )
