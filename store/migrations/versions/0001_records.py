"""Ticket events, handoffs, knowledge base with full-text search, reviews."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ticket_events",
        sa.Column("event_id", sa.String(100), primary_key=True),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("category", sa.String(64)),
        sa.Column("reason", sa.Text),
        sa.Column("details", sa.Text),
        sa.Column("rejected", sa.Boolean, nullable=False),
        sa.Column("score", sa.Integer),
        sa.Column("article", sa.String(120)),
    )
    op.create_index("ix_ticket_events_ticket_seq", "ticket_events", ["ticket_id", "seq"])
    op.create_index("ix_ticket_events_event_at", "ticket_events", ["event", "at"])
    op.create_table(
        "handoffs",
        sa.Column("handoff_id", sa.String(120), primary_key=True),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("from_level", sa.Integer, nullable=False),
        sa.Column("to_level", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("triggered_at", STAMP, nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("template", sa.Text, nullable=False),
    )
    op.create_index("ix_handoffs_ticket_id", "handoffs", ["ticket_id"])
    op.create_table(
        "kb_articles",
        sa.Column("slug", sa.String(120), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("category", sa.String(64)),
        sa.Column("body", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_search()
    else:
        _sqlite_search()
    op.create_table(
        "reviews",
        sa.Column("review_id", sa.String(120), primary_key=True),
        sa.Column("since", STAMP, nullable=False),
        sa.Column("until", STAMP, nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
    )


def _postgresql_search() -> None:
    # Titles weigh more than bodies; the column follows every write by itself.
    op.execute(
        "ALTER TABLE kb_articles ADD COLUMN search tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('english', title), 'A') || "
        "setweight(to_tsvector('english', body), 'B')) STORED"
    )
    op.execute("CREATE INDEX ix_kb_articles_search ON kb_articles USING gin (search)")


def _sqlite_search() -> None:
    # FTS5 with the Porter stemmer ("resetting" finds "reset"); triggers keep it in step.
    op.execute(
        "CREATE VIRTUAL TABLE kb_search USING fts5("
        "slug UNINDEXED, title, body, tokenize='porter unicode61')"
    )
    op.execute(
        "CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN "
        "INSERT INTO kb_search (slug, title, body) VALUES (new.slug, new.title, new.body); END"
    )
    op.execute(
        "CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN "
        "DELETE FROM kb_search WHERE slug = old.slug; END"
    )
    op.execute(
        "CREATE TRIGGER kb_articles_au AFTER UPDATE ON kb_articles BEGIN "
        "DELETE FROM kb_search WHERE slug = old.slug; "
        "INSERT INTO kb_search (slug, title, body) VALUES (new.slug, new.title, new.body); END"
    )


def downgrade() -> None:
    op.drop_table("reviews")
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE kb_search")
    op.drop_table("kb_articles")
    op.drop_table("handoffs")
    op.drop_table("ticket_events")
