"""`starter simulate`: the tickets opened in a window, each replayed under the policy it was
opened with and under a proposed one, tallied side by side.

Tickets are independent, so they are replayed in as many processes as there are cores."""

import gc
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine

from policy.models import EscalationPolicy
from procedure.events import Opened
from procedure.intake import category_problem
from simulation.compare import Comparison, compare
from simulation.recorded import read
from simulation.replay import RecordedTicket, as_proposed, as_recorded, refusals_of
from simulation.tally import Tally
from store.inputs import StoredTicket, load_recorded

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
    with loaded_kept_aside():
        return simulate(tickets, proposed, until)


@contextmanager
def loaded_kept_aside() -> Iterator[None]:
    """While tickets are replayed, the collector leaves what is loaded so far alone: every
    recorded input is, and each full collection walked them all (15 % of the CPU, measured).
    Before forking, it also keeps the processes from copying the pages it would have touched."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def simulate_window(
    engine: Engine,
    proposed: EscalationPolicy,
    proposed_name: str,
    window: tuple[datetime, datetime],
    now: datetime,
) -> Comparison:
    """Tickets opened in the window, replayed up to `now`."""
    stored, policies = load_recorded(engine, *window)
    processes = min(os.cpu_count() or 1, len(stored) // TICKETS_PER_PROCESS)
    if processes <= 1:
        current, candidate, left_out = simulate_stored(stored, policies, proposed, now)
    else:
        current, candidate, left_out = Tally(), Tally(), []
        chunks = [stored[start :: processes * 4] for start in range(processes * 4)]
        with loaded_kept_aside(), ProcessPoolExecutor(processes) as pool:
            futures = [
                pool.submit(simulate_stored, chunk, policies, proposed, now) for chunk in chunks
            ]
            for future in futures:
                more_current, more_candidate, more_left_out = future.result()
                current.merge(more_current)
                candidate.merge(more_candidate)
                left_out += more_left_out
    return compare(current, candidate, window, now, proposed_name, sorted(left_out))
