"""`starter simulate`: the tickets opened in a window, each replayed under the policy it was
opened with and under a proposed one, tallied side by side.

Tickets are independent, so they are read and replayed in as many processes as there are cores."""

import gc
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from itertools import pairwise

from sqlalchemy import Engine

from policy.models import EscalationPolicy
from procedure.events import Opened
from procedure.intake import category_problem
from simulation.compare import Comparison, compare
from simulation.recorded import read
from simulation.replay import RecordedTicket, as_proposed, as_recorded, refusals_of
from simulation.tally import Tally
from store.database import create_store_engine
from store.inputs import StoredTicket, load_recorded, opening_instants

Outcome = tuple[Tally, Tally, list[str]]

# Below this many tickets, starting processes costs more than it saves.
TICKETS_PER_PROCESS = 500


def simulate(
    tickets: Iterable[RecordedTicket], proposed: EscalationPolicy, until: datetime
) -> Outcome:
    """The current and the proposed tallies, and the tickets the proposed policy could not
    open (left out of both)."""
    current, candidate, left_out = Tally(), Tally(), []
    for ticket in tickets:
        assert isinstance(ticket.opened.event, Opened)
        if category_problem(proposed, ticket.opened.event.ticket.category):
            left_out.append(ticket.ticket_id)
            continue
        as_it_ran = as_recorded(ticket, until)
        current.add(as_it_ran)
        candidate.add(as_proposed(ticket, proposed, until, refusals_of(ticket, as_it_ran)))
    return current, candidate, left_out


def simulate_stored(
    stored: list[StoredTicket],
    policies: dict[str, str],
    proposed: EscalationPolicy,
    until: datetime,
) -> Outcome:
    tickets = read(stored, policies)
    with collector_paused():
        return simulate(tickets, proposed, until)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while tickets replay: replays make no reference cycles (a
    collection after 3,000 tickets found none), so reference counting frees all they leave,
    and each full collection walked every loaded input (15 % of the CPU, measured). What is
    loaded is frozen too, so that forked processes do not copy pages a collection would touch."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


def simulate_window(
    engine: Engine,
    proposed: EscalationPolicy,
    proposed_name: str,
    window: tuple[datetime, datetime],
    now: datetime,
) -> Comparison:
    """Tickets opened in the window, replayed up to `now`. With several processes, each one
    reads and replays the tickets opened in its parts of the window."""
    openings = opening_instants(engine, *window)
    processes = min(os.cpu_count() or 1, len(openings) // TICKETS_PER_PROCESS)
    if processes <= 1:
        stored, policies = load_recorded(engine, *window)
        current, candidate, left_out = simulate_stored(stored, policies, proposed, now)
    else:
        current, candidate, left_out = Tally(), Tally(), []
        url = engine.url.render_as_string(hide_password=False)
        # Parts of equal ticket counts, more than processes: a part's cost varies.
        parts = _parts(openings, window, processes * 4)
        with collector_paused(), ProcessPoolExecutor(processes) as pool:
            futures = [pool.submit(simulate_part, url, part, proposed, now) for part in parts]
            for future in futures:
                more_current, more_candidate, more_left_out = future.result()
                current.merge(more_current)
                candidate.merge(more_candidate)
                left_out += more_left_out
    return compare(current, candidate, window, now, proposed_name, sorted(left_out))


def simulate_part(
    url: str, part: tuple[datetime, datetime], proposed: EscalationPolicy, until: datetime
) -> Outcome:
    """In a process of its own: the tickets opened in part of the window, read and replayed."""
    engine = create_store_engine(url)
    try:
        stored, policies = load_recorded(engine, *part)
    finally:
        engine.dispose()
    return simulate_stored(stored, policies, proposed, until)


def _parts(
    openings: list[datetime], window: tuple[datetime, datetime], count: int
) -> list[tuple[datetime, datetime]]:
    """The window cut into parts in which as many tickets were opened (openings: sorted)."""
    cuts = [openings[len(openings) * k // count] for k in range(1, count)]
    bounds = [window[0], *cuts, window[1]]
    return [(start, end) for start, end in pairwise(bounds) if start < end]
