"""The notification ledger, its throttle windows and its events, shared by every worker."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("notification_id", sa.String(255), primary_key=True),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provider_id", sa.String(120)),
        sa.Column("detail", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("attempted_at", STAMP),
        sa.Column("digest_id", sa.String(255)),
    )
    op.create_index(
        "ix_notifications_throttle", "notifications", ["channel", "recipient", "attempted_at"]
    )
    op.create_index("ix_notifications_digest", "notifications", ["email", "status", "digest_id"])
    op.create_index("ix_notifications_provider_id", "notifications", ["provider_id"])
    op.create_table(
        "throttle_windows",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("recipient", sa.String(320), primary_key=True),
    )
    op.create_table(
        "notification_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("notification_id", sa.String(255), nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("provider_id", sa.String(120)),
        sa.Column("detail", sa.Text),
    )
    op.create_index(
        "ix_notification_events_notification_id", "notification_events", ["notification_id"]
    )


def downgrade() -> None:
    op.drop_table("notification_events")
    op.drop_table("throttle_windows")
    op.drop_table("notifications")
