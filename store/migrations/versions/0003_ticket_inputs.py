"""The inputs of each ticket's decisions and the policies tickets ran under, for simulations."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ticket_inputs",
        sa.Column("input_id", sa.String(100), primary_key=True),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("due", STAMP),
        sa.Column("policy_id", sa.String(64)),
    )
    op.create_index("ix_ticket_inputs_ticket_position", "ticket_inputs", ["ticket_id", "position"])
    op.create_index("ix_ticket_inputs_kind_at", "ticket_inputs", ["kind", "at"])
    op.create_table(
        "policies",
        sa.Column("policy_id", sa.String(64), primary_key=True),
        sa.Column("policy", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("policies")
    op.drop_table("ticket_inputs")
