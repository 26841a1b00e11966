"""The current and the proposed policy's tallies side by side, with the differences."""

from datetime import datetime
from typing import Any

from policy.models import PRIORITY_ORDER
from simulation.tally import COUNTS, FIGURES, Cell, Tally

Comparison = dict[str, Any]


def compare(
    current: Tally,
    proposed: Tally,
    window: tuple[datetime, datetime],
    replayed_until: datetime,
    proposed_policy: str,
    left_out: list[str],
) -> Comparison:
    """Every cell (priority, level) where either policy has something, P1 and low levels
    first. `left_out`: the tickets the proposed policy could not open (their category)."""
    cells = sorted(
        current.cells() | proposed.cells(), key=lambda c: (PRIORITY_ORDER.index(c[0]), c[1])
    )
    return {
        "window": {"since": window[0].isoformat(), "until": window[1].isoformat()},
        "replayed_until": replayed_until.isoformat(),
        "proposed_policy": proposed_policy,
        "tickets": current.tickets,
        "left_out": left_out,
        "totals": {
            name: side_by_side(
                sum(current.counts[cell, name] for cell in cells),
                sum(proposed.counts[cell, name] for cell in cells),
            )
            for name in COUNTS
            if name != "reached"
        },
        "cells": [
            {
                "priority": priority,
                "level": level,
                "figures": _figures(current, proposed, (priority, level)),
            }
            for priority, level in cells
        ],
    }


def _figures(current: Tally, proposed: Tally, cell: Cell) -> dict[str, dict[str, Any]]:
    now, then = current.figures(cell), proposed.figures(cell)
    return {name: side_by_side(now[name], then[name]) for name in FIGURES}


def side_by_side(current: float | None, proposed: float | None) -> dict[str, Any]:
    change = None if current is None or proposed is None else proposed - current
    return {"current": current, "proposed": proposed, "change": change}
