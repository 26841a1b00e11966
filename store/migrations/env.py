"""Alembic environment: store.migrate hands over an open connection; no alembic.ini needed."""

from alembic import context
from sqlalchemy import text

from store.schema import metadata

# Any constant works; it only has to be the same for every process migrating this database.
MIGRATION_LOCK = 7_340_104

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Workers starting together: one migrates, the others wait, then find nothing to do.
        connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
    context.run_migrations()
