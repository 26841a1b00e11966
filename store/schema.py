"""Tables of the system of record. Alembic migrations (store/migrations) create them; a test
checks that the migrations and these definitions agree."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Append-only: one row per timeline entry of a ticket, keyed `<ticket_id>:<seq>`, so a retried or
# replayed write finds its row already there.
events = Table(
    "ticket_events",
    metadata,
    Column("event_id", String(100), primary_key=True),
    Column("ticket_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("event", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("level", Integer, nullable=False),
    Column("priority", String(2), nullable=False),
    Column("category", String(64)),
    Column("reason", Text),
    Column("details", Text),
    Column("rejected", Boolean, nullable=False),
    Column("score", Integer),
    Column("article", String(120)),
)
Index("ix_ticket_events_ticket_seq", events.c.ticket_id, events.c.seq)
Index("ix_ticket_events_event_at", events.c.event, events.c.at)

handoffs = Table(
    "handoffs",
    metadata,
    Column("handoff_id", String(120), primary_key=True),
    Column("ticket_id", String(64), nullable=False, index=True),
    Column("from_level", Integer, nullable=False),
    Column("to_level", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("by", String(120), nullable=False),
    Column("priority", String(2), nullable=False),
    Column("triggered_at", DateTime(timezone=True), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("subject", Text, nullable=False),
    Column("template", Text, nullable=False),
)

# The solution library; full-text indexes beside it are dialect-specific (see the migration).
kb_articles = Table(
    "kb_articles",
    metadata,
    Column("slug", String(120), primary_key=True),
    Column("title", Text, nullable=False),
    Column("category", String(64)),
    Column("body", Text, nullable=False),
)

reviews = Table(
    "reviews",
    metadata,
    Column("review_id", String(120), primary_key=True),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("until", DateTime(timezone=True), nullable=False),
    Column("report", JSON, nullable=False),
)

# The notification ledger (store/ledger.py): one row per notification id, written before the
# provider call and settled after it, shared by every worker that uses this database.
notifications = Table(
    "notifications",
    metadata,
    Column("notification_id", String(255), primary_key=True),
    Column("ticket_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("audience", String(16), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("email", String(320)),
    Column("subject", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("provider_id", String(120)),
    Column("detail", Text),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attempted_at", DateTime(timezone=True)),
    Column("digest_id", String(255)),
)
Index(
    "ix_notifications_throttle",
    notifications.c.channel,
    notifications.c.recipient,
    notifications.c.attempted_at,
)
Index(
    "ix_notifications_digest",
    notifications.c.email,
    notifications.c.status,
    notifications.c.digest_id,
)
Index("ix_notifications_provider_id", notifications.c.provider_id)

# One row per channel and recipient with a storm limit: every claim that counts that recipient's
# window locks it first, so two workers cannot both take the last slot.
throttle_windows = Table(
    "throttle_windows",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("recipient", String(320), primary_key=True),
)

# Append-only: every change of a notification's ledger status, with the attempt that made it.
notification_events = Table(
    "notification_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("notification_id", String(255), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("provider_id", String(120)),
    Column("detail", Text),
)

# What a ticket's decisions took in (simulation/recording.py), keyed `<ticket_id>:<position>`, so
# that `starter simulate` can replay the ticket; written once whatever the retries.
inputs = Table(
    "ticket_inputs",
    metadata,
    Column("input_id", String(100), primary_key=True),
    Column("ticket_id", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("event", Text, nullable=False),
    Column("due", DateTime(timezone=True)),
    Column("policy_id", String(64)),
)
Index("ix_ticket_inputs_ticket_position", inputs.c.ticket_id, inputs.c.position)
Index("ix_ticket_inputs_kind_at", inputs.c.kind, inputs.c.at)

# Each policy a ticket was opened under, once, by the SHA-256 of its JSON.
policies = Table(
    "policies",
    metadata,
    Column("policy_id", String(64), primary_key=True),
    Column("policy", Text, nullable=False),
)
