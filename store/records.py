"""Idempotent writes of the ticket events and handoffs the workflow records."""

from typing import Any

from sqlalchemy import Connection, Engine, Table

from store.database import dialect_insert
from store.schema import events, handoffs


def insert_once(connection: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert row unless its primary key exists; True when this call wrote it."""
    statement = dialect_insert(connection, table).values(**row).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT DO NOTHING.
    returning = statement.returning(*table.primary_key.columns)
    return connection.execute(returning).first() is not None


class RecordStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_event(self, row: dict[str, Any]) -> bool:
        return self.add_records([row], []) == 1

    def add_records(
        self, event_rows: list[dict[str, Any]], handoff_rows: list[dict[str, Any]]
    ) -> int:
        """One transaction for a decision's entries and handoffs; returns how many were new."""
        with self.engine.begin() as connection:
            return sum(insert_once(connection, events, row) for row in event_rows) + sum(
                insert_once(connection, handoffs, row) for row in handoff_rows
            )
