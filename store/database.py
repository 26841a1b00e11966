"""Which database holds the records, and an engine for it."""

import os
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

# Compose and most hosts hand out plain postgresql:// URLs; psycopg 3 is the driver we install.
DRIVERLESS_POSTGRES = ("postgresql://", "postgres://")


# Both dialects' INSERT carries ON CONFLICT, which keeps every write idempotent.
INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    return INSERTS[connection.dialect.name](table)


def data_dir() -> Path:
    return Path(os.environ.get("DATA_DIR", ".data"))


def database_url() -> str:
    """DATABASE_URL, else a SQLite file beside the other local state."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'records.db'}"
    for prefix in DRIVERLESS_POSTGRES:
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def create_store_engine(url: str | None = None) -> Engine:
    """An engine for url (default: database_url()). A PostgreSQL schema other than public goes
    in the URL: `?options=-csearch_path%3Dsupport`."""
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    return create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(connection: object, _record: object) -> None:
        # WAL lets the report read while activity threads write; busy_timeout queues writers.
        cursor = connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine
