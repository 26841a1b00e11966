"""The faults: each scenario starts its workers, opens a storm of tickets (bench/chaos/harness.py),
injects its fault while the storm's pages go out, and counts what happened once every ticket has
settled. A fault's window runs from its start to the moment the service is whole again."""

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, make_url, select

from bench.chaos.figures import Figures
from bench.chaos.harness import Harness, escalated_and_delivered
from contract.status import TicketRecord
from store.database import create_store_engine
from store.schema import events
from tests.databases import postgres_problem, postgres_schema, postgres_url
from tests.tcp_proxy import FreezableProxy


async def worker_kills(h: Harness) -> Figures:
    """kill -9 of the only worker, repeatedly, while tickets open and breach; each time a new
    worker starts at once on the same DATA_DIR (its ledger), as a supervisor would."""
    worker = h.worker("worker")
    await worker.start(h.temporal)
    storm = h.start_storm()
    first, last = h.size.opening / 2, h.size.storm_ends - 1
    step = (last - first) / max(1, h.size.kills - 1)
    for kill in range(h.size.kills):
        await h.at(first + kill * step)
        began = time.time()
        worker.kill()
        h.fault(began, await worker.start(h.temporal), stops_deadlines=True)
    await storm
    h.figures.faults = f"{h.size.kills} worker kills (kill -9)"
    return await h.conclude(await h.settle(escalated_and_delivered))


async def server_kill(h: Harness) -> Figures:
    """kill -9 of the dev server in the middle of the breaches, started again on its database
    file after `outage` seconds; the worker stays up and reconnects."""
    await h.worker("worker").start(h.temporal)
    await h.start_storm()
    await h.at(h.size.breach_after + h.size.opening / 3)
    began = time.time()
    h.server.kill()
    await asyncio.sleep(h.size.outage)
    h.client = await h.server.start()
    h.fault(began, time.time(), stops_deadlines=True)
    h.figures.faults = f"server kill -9, down {h.size.outage:g} s"
    return await h.conclude(await h.settle(escalated_and_delivered))


async def provider_outage(h: Harness) -> Figures:
    """SendGrid and Twilio answer 503 for half the outage, then refuse connections (the proxy
    in front of the fake closes its port), from just before the breaches."""
    await h.worker("worker").start(h.temporal)
    await h.start_storm()
    await h.at(h.size.breach_after - 1)
    began, half = time.time(), h.size.outage / 2
    h.fake.down = True
    await asyncio.sleep(half)
    h.provider.cut(drop_open=False)
    await asyncio.sleep(half)
    h.provider.restore()
    h.fake.down = False
    h.fault(began, time.time(), stops_deadlines=False)
    h.figures.faults = f"provider 503 for {half:g} s, then refused for {half:g} s"
    return await h.conclude(await h.settle(escalated_and_delivered))


async def records_outage(h: Harness) -> Figures:
    """PostgreSQL (the records store) unreachable while the tickets breach: a proxy between the
    worker and the shared server refuses connections and resets the open ones. Every timeline
    entry must reach the store once it is back."""
    with postgres_database(h) as (direct, host_port):
        database = FreezableProxy(host_port)
        try:
            await h.worker("worker", schema_url(direct, database.address)).start(h.temporal)
            await h.start_storm()
            await h.at(h.size.breach_after - 1)
            began = time.time()
            database.cut(drop_open=True)
            await asyncio.sleep(h.size.outage)
            database.restore()
            h.fault(began, time.time(), stops_deadlines=False)
            h.figures.faults = f"PostgreSQL unreachable for {h.size.outage:g} s"
            records = await h.settle(escalated_and_delivered)
            figures = await h.conclude(records)
            figures.records_missing = await unrecorded(h, direct, records)
            return figures
        finally:
            database.close()


async def two_workers(h: Harness) -> Figures:
    """Two workers (each its own DATA_DIR, one records store) share the queue. In the middle of
    the breaches one is killed at the worst moment: its connection to Temporal freezes as the
    provider accepts a message, so what it had in flight went out but Temporal never hears of
    it; kill -9 half a second later; it starts again `outage` seconds later. The other worker
    retries those deliveries: with one ledger for both it finds them sent; with a ledger per
    worker (before the ledger moved into the records store) it sends them again."""
    with postgres_database(h) as (direct, _host_port):
        victim, other = h.worker("worker-1", direct), h.worker("worker-2", direct)
        connection = FreezableProxy(h.server.address)
        try:
            await victim.start(h.temporal, via=connection)
            await other.start(h.temporal)
            await h.start_storm()
            await h.at(h.size.breach_after + h.size.opening / 3)
            began = await frozen_at_next_acceptance(h, connection)
            await asyncio.sleep(0.5)
            victim.kill()
            connection.close()
            # Down longer than a delivery attempt: the survivor takes over what was in flight.
            await asyncio.sleep(h.size.outage)
            connection = FreezableProxy(h.server.address)
            h.fault(began, await victim.start(h.temporal, via=connection), stops_deadlines=False)
            h.figures.faults = "kill -9 of one of two workers, mid-delivery"
            return await h.conclude(await h.settle(escalated_and_delivered))
        finally:
            connection.close()


async def frozen_at_next_acceptance(h: Harness, connection: FreezableProxy) -> float:
    """Freeze the connection the moment the fake provider next accepts a message (or after
    `size.outage` seconds without one); that instant."""
    frozen: list[float] = []

    def freeze(_seen: object) -> None:
        if not frozen:
            connection.freeze()
            frozen.append(time.time())

    h.fake.on_accept = freeze
    deadline = time.time() + h.size.outage
    try:
        while not frozen and time.time() < deadline:
            await asyncio.sleep(0.01)
    finally:
        h.fake.on_accept = None
    freeze(None)
    return frozen[0]


@contextmanager
def postgres_database(h: Harness) -> Iterator[tuple[str, str]]:
    """A schema of the scenario's own on the shared PostgreSQL server, dropped afterwards: its URL
    and the server's host:port (for a proxy)."""
    problem = postgres_problem()
    if problem:
        raise RuntimeError(f"{h.figures.scenario} needs PostgreSQL ({postgres_url()}): {problem}")
    with postgres_schema() as schema:
        url = make_url(postgres_url()).update_query_dict({"options": f"-csearch_path={schema}"})
        direct = url.render_as_string(hide_password=False)
        h.database_urls.append(direct)
        yield direct, f"{url.host or '127.0.0.1'}:{url.port or 5432}"


def schema_url(direct: str, via: str) -> str:
    """The same database, reached through a proxy at host:port."""
    host, port = via.rsplit(":", 1)
    return make_url(direct).set(host=host, port=int(port)).render_as_string(hide_password=False)


async def unrecorded(h: Harness, url: str, records: list[TicketRecord]) -> int:
    """Timeline entries not in the records store, once it has had `size.drain` s to catch up."""
    engine = create_store_engine(url)
    query = select(events.c.ticket_id, func.count()).group_by(events.c.ticket_id)
    deadline = time.time() + h.size.drain
    try:
        while True:
            with engine.connect() as connection:
                stored = dict(connection.execute(query).all())
            missing = sum(len(r.timeline) - stored.get(r.ticket_id, 0) for r in records)
            if missing <= 0 or time.time() > deadline:
                return max(0, missing)
            await asyncio.sleep(1.0)
    finally:
        engine.dispose()
