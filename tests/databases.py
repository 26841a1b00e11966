"""Real databases for the store tests: a SQLite file and a fresh PostgreSQL schema per test.

PostgreSQL comes from TEST_DATABASE_URL (default: the local server). In CI (CI=true) it must
answer; elsewhere its tests skip, saying why, only when no server answers."""

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from store.database import create_store_engine
from store.setup import prepare_store

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL


@functools.cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    engine = create_engine(postgres_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as err:
        return str(err.orig or err).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def require_postgres() -> None:
    problem = postgres_problem()
    if problem is None:
        return
    shown = make_url(postgres_url()).render_as_string(hide_password=True)
    message = f"PostgreSQL at {shown} does not answer: {problem}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the PostgreSQL tests must run)")
    pytest.skip(message)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A schema of the test's own, dropped afterwards."""
    admin = create_engine(postgres_url())
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[Engine]:
    """An engine on a database with no tables yet."""
    if backend == "sqlite":
        engine = create_store_engine(f"sqlite:///{directory / 'records.db'}")
        yield engine
        engine.dispose()
        return
    require_postgres()
    with postgres_schema() as schema:
        url = make_url(postgres_url()).update_query_dict({"options": f"-csearch_path={schema}"})
        engine = create_store_engine(url.render_as_string(hide_password=False))
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def prepared_database(backend: str, directory: Path) -> Iterator[Engine]:
    """An engine on a migrated database with the shipped knowledge base indexed."""
    with empty_database(backend, directory) as engine:
        prepare_store(engine)
        yield engine
