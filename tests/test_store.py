"""The system of record on SQLite and PostgreSQL: schema, idempotent writes, and what the
ticket workflow records, including through a store outage."""

import functools
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from temporalio.testing import ActivityEnvironment

from activities.customer_links import CustomerLinks
from activities.decisions import DecisionActivities
from activities.delivery import NotificationDelivery
from activities.messages import DecisionBatch, EventRecord, OutgoingMessage
from activities.outbox import Outbox
from contract.tickets import TicketState
from policy import load_policy
from policy.versions import PolicyVersions, policy_digest
from store.database import database_url
from store.inputs import stored_policy
from store.kb import articles_dir, load_articles
from store.ledger import NotificationLedger
from store.migrate import MIGRATIONS, migrate
from store.records import RecordStore
from store.schema import events, handoffs, inputs, kb_articles, metadata
from tests.conftest import Service, time_skipping_service
from tests.databases import BACKENDS, empty_database
from tests.helpers import about, eventually, start, status, stored

HOUR = timedelta(hours=1)


def only_our_tables(_obj: object, name: str | None, type_: str, *_: object) -> bool:
    # The dialects' full-text machinery (FTS5 shadow tables, the tsvector column) is not in
    # the portable metadata on purpose.
    if type_ == "table":
        return name in metadata.tables
    return name not in {"search", "ix_kb_articles_search"}


def test_migrations_build_exactly_the_schema_and_run_twice(engine: Engine) -> None:
    migrate(engine)  # the fixture already migrated: a second run changes nothing
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": only_our_tables, "compare_type": True}
        )
        assert compare_metadata(context, metadata) == []


def event_row(seq: int, event: str = "opened") -> dict[str, object]:
    return {
        "event_id": f"T-1:{seq}",
        "ticket_id": "T-1",
        "seq": seq,
        "event": event,
        "at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + seq * timedelta(minutes=1),
        "actor": "system",
        "level": 1,
        "priority": "P4",
        "category": "password_resets",
        "rejected": False,
    }


def test_an_event_is_written_once_whatever_the_retries(engine: Engine) -> None:
    store = RecordStore(engine)
    assert store.add_event(event_row(1)) is True
    assert store.add_event(event_row(1)) is False  # a retry after a lost acknowledgment
    assert store.add_event(event_row(2, "routed")) is True
    with engine.connect() as connection:
        rows = connection.execute(select(events).order_by(events.c.seq)).all()
    assert [(r.event_id, r.event) for r in rows] == [("T-1:1", "opened"), ("T-1:2", "routed")]
    # instants come back as the same instants on both databases
    assert rows[0].at.replace(tzinfo=UTC) == datetime(2026, 3, 2, 9, 1, tzinfo=UTC)


async def test_every_timeline_entry_is_recorded_with_its_facts(recorded_service: Service):
    handle = await start(recorded_service, priority="P3", category="basic_billing_questions")
    await handle.signal(
        "respond", {"agent": "sam", "message": "Which invoice?", "awaiting_customer": True}
    )
    await recorded_service.env.sleep(3 * HOUR)
    await handle.signal("customer_message", {"message": "The March one, please"})
    await handle.signal("escalate", {"by": "sam", "reason": "beyond_expertise"})
    await handle.signal(
        "resolve", {"by": "kim", "resolution": "Re-sent", "article": "download-invoices"}
    )
    await handle.signal("survey_response", {"score": 4})
    record = await eventually(handle, lambda r: r.state == TicketState.CLOSED)
    rows = await stored(
        recorded_service.engine, events, record.ticket_id, lambda r: len(r) == len(record.timeline)
    )
    assert [r.event for r in rows] == [e.event for e in record.timeline]
    assert [r.event_id for r in rows] == [f"{record.ticket_id}:{e.seq}" for e in record.timeline]
    assert [r.event for r in rows][:6] == [
        "opened",
        "routed",
        "responded",
        "paused",
        "customer_message",
        "resumed",
    ]
    by_event = {r.event: r for r in rows}
    paused = by_event["resumed"].at - by_event["paused"].at
    assert about(paused, 3 * HOUR) and by_event["resumed"].details.startswith("paused ")
    assert by_event["escalated"].level == 2 and by_event["escalated"].actor == "sam"
    assert by_event["resolved"].article == "download-invoices"
    assert by_event["survey_answered"].score == 4
    assert {r.category for r in rows} == {"basic_billing_questions"}
    [handoff] = await stored(recorded_service.engine, handoffs, record.ticket_id)
    assert (handoff.from_level, handoff.to_level) == (1, 2)
    assert handoff.template == record.handoffs[0].template


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_store_outage_delays_records_and_never_the_ticket(backend: str, tmp_path: Path):
    # A database without its tables: every write fails until the migration runs.
    with empty_database(backend, tmp_path) as engine:
        async with time_skipping_service(tmp_path, engine) as service:
            handle = await start(service, priority="P4", category="password_resets")
            await service.env.sleep(2 * HOUR + timedelta(minutes=1))
            record = await eventually(handle, lambda r: r.level == 2)
            assert about(record.breaches[0].at, record.breaches[0].due)  # no wait on the store
            migrate(engine)  # the database is back
            await service.env.sleep(timedelta(minutes=2))  # past the retries' backoff
            rows = await stored(
                engine, events, record.ticket_id, lambda r: len(r) >= len(record.timeline)
            )
            assert [r.seq for r in rows] == list(range(1, len(record.timeline) + 1))
            assert "breached" in [r.event for r in rows]
            [handoff] = await stored(engine, handoffs, record.ticket_id)
            assert handoff.reason == "acknowledgment_sla_missed"
            with engine.connect() as connection:
                total = connection.execute(select(func.count()).select_from(events)).scalar()
            assert total == len(rows)
            await service.terminate_open_tickets()


def test_a_decisions_messages_go_out_only_once_its_records_are_written(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    """One activity writes a decision's records, then sends its messages: while the records
    cannot be written (a records store without tables), nothing is sent; once they can, both."""
    policy = load_policy()
    outbox = Outbox(tmp_path / "outbox")
    delivery = NotificationDelivery(
        policy.delivery, NotificationLedger(sqlite_engine), {}, outbox, CustomerLinks(None)
    )
    page = OutgoingMessage(  # no provider configured: the outbox stands in for SendGrid
        notification_id="T-1:2:handoff:L2:email:team",
        ticket_id="T-1",
        channel="email",
        audience="team",
        recipient="l2@example.com",
        kind="handoff",
        level=2,
        priority="P4",
        subject="Handoff",
        body="L1 acknowledgment missed",
    )
    batch = DecisionBatch(events=[EventRecord.model_validate(event_row(2, "breached"))])
    batch.messages.append(page)
    (tmp_path / "records").mkdir()
    with empty_database("sqlite", tmp_path / "records") as records:
        decisions = DecisionActivities(RecordStore(records), delivery)
        with pytest.raises(OperationalError):
            ActivityEnvironment().run(decisions.record_and_send, batch)
        assert outbox.read("notifications") == []
        migrate(records)  # the database is back: the activity's retry writes, then sends
        [end] = ActivityEnvironment().run(decisions.record_and_send, batch)
        assert end.receipt is not None and end.receipt.status == "outbox"
        with records.connect() as connection:
            assert connection.execute(select(events.c.event)).scalars().all() == ["breached"]
    assert [m["notification_id"] for m in outbox.read("notifications")] == [page.notification_id]


async def test_replayed_tickets_do_not_duplicate_rows(recorded_service: Service):
    handle = await start(recorded_service, priority="P4", category="password_resets")
    record = await status(handle)
    first = await stored(recorded_service.engine, events, record.ticket_id, lambda r: len(r) >= 2)
    # A second worker process replaying the same history would send the same ids.
    store = RecordStore(recorded_service.engine)
    assert all(not store.add_event(row._asdict()) for row in first)
    again = await stored(recorded_service.engine, events, record.ticket_id)
    assert len(again) == len(first)


def test_workers_starting_together_migrate_once(tmp_path: Path) -> None:
    """PostgreSQL only: its advisory lock serialises the migrations of scaled-out workers,
    separate processes (alembic's context is process-global). SQLite is one host's file; there
    `init` runs before the worker starts."""
    with empty_database("postgresql", tmp_path) as engine:
        url = engine.url.render_as_string(hide_password=False)
        env = {**os.environ, "DATABASE_URL": url}
        code = "from store.setup import prepare_store as p; from store.database import "
        code += "create_store_engine as e; print(p(e()))"
        workers = [
            subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE)
            for _ in range(3)
        ]
        outputs = [worker.communicate(timeout=60)[0].decode().strip() for worker in workers]
        assert [w.returncode for w in workers] == [0, 0, 0]
        assert outputs == [str(len(load_articles(articles_dir())))] * 3
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            assert [tuple(v) for v in versions] == [
                (ScriptDirectory(MIGRATIONS).get_current_head(),)
            ]
            assert connection.execute(select(func.count()).select_from(kb_articles)).scalar() == 9


def test_database_url_defaults_to_sqlite_and_reads_plain_postgresql_as_psycopg(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", "/srv/data")
    assert database_url() == "sqlite:////srv/data/records.db"
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:secret@db:5432/support")
    assert database_url() == "postgresql+psycopg://app:secret@db:5432/support"


async def test_a_ticket_keeps_its_policy_by_digest_and_any_worker_reads_it_from_the_store(
    recorded_service: Service,
):
    """The history holds the policy's digest only; the opening's records make the version
    durable, so a worker that never ran it (a replay after a deploy) finds the same policy."""
    handle = await start(recorded_service, priority="P4", category="password_resets")
    record = await status(handle)
    rows = await stored(recorded_service.engine, inputs, record.ticket_id)
    [opened] = [row for row in rows if row.kind == "opened"]
    assert opened.policy_id == policy_digest(recorded_service.policy)
    history = await handle.fetch_history()
    markers = [e for e in history.events if e.HasField("marker_recorded_event_attributes")]
    assert sum(marker.ByteSize() for marker in markers) < 1000  # the policy is ~19 KB of JSON
    elsewhere = PolicyVersions()
    elsewhere.add_source("records", functools.partial(stored_policy, recorded_service.engine))
    assert elsewhere.get(opened.policy_id) == recorded_service.policy
    with pytest.raises(LookupError, match="0" * 64):
        elsewhere.get("0" * 64)
    await recorded_service.terminate_open_tickets()
