"""Connections: SQLite by default (WAL, foreign keys on, writes BEGIN IMMEDIATE), PostgreSQL at scale."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine

DEFAULT_URL = "sqlite:///xsflow.db"


def database_url(explicit: str | None = None) -> str:
    """`--database-url`, else XSFLOW_DATABASE_URL, else a SQLite file in the working folder."""
    return explicit or os.environ.get("XSFLOW_DATABASE_URL") or DEFAULT_URL


class Database:
    """An SQLAlchemy engine with xsflow's transaction discipline.

    `write()` is one transaction that takes the write lock at once (SQLite: BEGIN
    IMMEDIATE), so a transition never fails half-way on a lock upgrade; `read()` is a
    plain transaction.
    """

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL", pool_size: int = 5) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: Engine = create_engine(url)
            _sqlite_discipline(self.engine, sqlite_synchronous)
        else:
            self.engine = create_engine(url, pool_size=pool_size, pool_pre_ping=True)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(xsflow_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_discipline(engine: Engine, synchronous: str) -> None:
    database = engine.url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Take transaction control from the driver, which would otherwise BEGIN only at the
        # first write and so let two writers both read the same case version.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Straight to the driver: BEGIN returns nothing, and exec_driver_sql would build a
        # whole execution context for it on every transaction.
        immediate = conn.get_execution_options().get("xsflow_write")
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN DEFERRED")
