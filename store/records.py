"""Idempotent writes of the ticket events, handoffs and inputs the workflow records."""

import functools
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.sql.dml import Insert

from store.database import INSERTS
from store.schema import events, handoffs, inputs, policies


def insert_once(connection: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert row unless its primary key exists; True when this call wrote it."""
    statement = _insert_once(connection.dialect.name, table)
    return connection.execute(statement, row).first() is not None


@functools.cache
def _insert_once(dialect: str, table: Table) -> Insert:
    # Built once: building a statement costs several times what executing it does.
    statement = INSERTS[dialect](table).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT DO NOTHING.
    return statement.returning(*table.primary_key.columns)


class RecordStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_event(self, row: dict[str, Any]) -> bool:
        return self.add_records([row], []) == 1

    def add_records(
        self,
        event_rows: list[dict[str, Any]],
        handoff_rows: list[dict[str, Any]],
        input_rows: list[dict[str, Any]] | None = None,
        policy_rows: list[dict[str, Any]] | None = None,
    ) -> int:
        """One transaction for a decision's entries, handoffs and inputs (with the policy of an
        opening); returns how many rows were new."""
        tables = (
            (policies, policy_rows or []),
            (events, event_rows),
            (handoffs, handoff_rows),
            (inputs, input_rows or []),
        )
        with self.engine.begin() as connection:
            return sum(
                insert_once(connection, table, row) for table, rows in tables for row in rows
            )
