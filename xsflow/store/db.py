"""Connections: SQLite by default (WAL, foreign keys on, writes BEGIN IMMEDIATE), PostgreSQL at scale."""
from __future__ import annotations

import os
import select
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, create_engine, event, exc, make_url
from sqlalchemy.dialects import postgresql, sqlite
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
            psycopg = make_url(url).get_driver_name() == "psycopg"
            self.engine = create_engine(url, pool_size=pool_size, pool_pre_ping=not psycopg)
            if psycopg:
                _drop_dead_connections(self.engine)
        # The same engine and pool, its connections marked for writing once here rather than per call.
        self._writer = self.engine.execution_options(xsflow_write=True)
        # SQLite: one write connection kept checked out, for whichever thread finds it free. A
        # pool check-out and check-in costs ~30-50 µs, more than the BEGIN and COMMIT it wraps
        # (SQLite writes one at a time anyway). Not on PostgreSQL, where connections are many.
        self._kept_lock = threading.Lock()
        self._kept: Connection | None = None
        self._kept_pid = 0
        self._inherited: list[Connection] = []

    @contextmanager
    def write(self) -> Iterator[Connection]:
        kept = self._take_kept()
        if kept is None:  # PostgreSQL, another thread holds it, or a write inside a write
            with self._writer.connect() as conn:
                with conn.begin():
                    yield conn
            return
        try:
            with kept.begin():
                yield kept
        finally:
            self._kept_lock.release()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._kept_lock:
            if self._kept is not None and self._kept_pid == os.getpid():
                self._kept.close()
            self._kept = None
        self.engine.dispose()

    def _take_kept(self) -> Connection | None:
        """The kept write connection, locked for the caller; None when it cannot be had now."""
        if not self.is_sqlite or not self._kept_lock.acquire(blocking=False):
            return None
        try:
            kept = self._kept
            if kept is not None and self._kept_pid != os.getpid():
                # Inherited across a fork: the parent's. Held on to, so that it is never returned
                # to this process's pool, used or closed here.
                self._inherited.append(kept)
                kept = None
            elif kept is not None and (kept.closed or kept.invalidated or kept.in_transaction()):
                kept.close()
                kept = None
            if kept is None:
                kept = self._kept = self._writer.connect()
                self._kept_pid = os.getpid()
            return kept
        except BaseException:
            self._kept_lock.release()
            raise


def insert_or_skip(dialect: str, table: Table) -> Any:
    """An INSERT that can take ON CONFLICT, for `dialect` ("postgresql" or "sqlite"): both databases
    spell it the same, but SQLAlchemy builds it per dialect."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _drop_dead_connections(engine: Engine) -> None:
    """psycopg: a pooled PostgreSQL connection that the server has closed is replaced at check-out, unseen by the caller.

    Instead of `pool_pre_ping` (a `SELECT 1` round trip on every check-out, a tenth of a transition's
    round trips) the socket is looked at: an idle connection has nothing to read, so anything readable
    is the server's goodbye (FATAL on pg_terminate_backend, shutdown or idle timeout, then end of
    file). DisconnectionError makes the pool connect afresh and check again (SQLAlchemy's recipe for
    pessimistic disconnect handling). A server that closes the connection after the check is what
    pre-ping could not catch either.
    """
    from psycopg.pq import ConnStatus

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_conn, _record, _proxy) -> None:
        pgconn = dbapi_conn.pgconn
        try:
            if dbapi_conn.closed or pgconn.status != ConnStatus.OK:
                raise exc.DisconnectionError("connection closed")
            poller = select.poll()  # not select.select, which fails on descriptors past 1023
            poller.register(pgconn.socket, select.POLLIN)
            readable = poller.poll(0)
        except exc.DisconnectionError:
            raise
        except Exception as err:  # noqa: BLE001 - the socket is gone
            raise exc.DisconnectionError(str(err)) from err
        if readable:
            raise exc.DisconnectionError("the server closed the connection while it was idle in the pool")


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


class Prepared:
    """A Core statement built once and run many times: a transition's hot statements.

    On SQLite it runs straight on the driver connection that `conn` holds, inside `conn`'s
    transaction, with the SQL that SQLAlchemy compiles for it (once per engine) and the type
    conversions that SQLAlchemy itself applies (UTC instants, JSON, dates, booleans): the same
    rows are written and read. What it skips is SQLAlchemy's per-execution machinery (execution
    context, events, result metadata): ~50 µs a statement on the project machine, five times
    what SQLite takes to run one of these statements, and most of what kept a transition under
    a third of the raw driver's rate (docs/performance-engine.md). Elsewhere it is
    `conn.execute(statement, params)`: a PostgreSQL round trip outweighs that machinery.

    `columns` names the columns an INSERT or UPDATE writes (its VALUES or SET), as the keys of
    the parameters do for `conn.execute`. Rows come back as dicts keyed by the selected or
    returned columns' keys. A driver error comes unwrapped on SQLite (`sqlite3.Error`). While anything
    listens to `before_cursor_execute` or `after_cursor_execute` (a tracer, a query logger), every
    statement goes through `conn.execute`, so the listener sees them all.
    """

    __slots__ = ("statement", "columns", "_last", "_forms", "_returning")

    def __init__(self, statement: Any, columns: Iterable[str] = ()) -> None:
        self.statement = statement
        self.columns = tuple(columns)
        self._last: tuple[Any, _SqliteForm] | None = None  # (dialect, form) of the latest call
        self._forms: weakref.WeakKeyDictionary[Any, _SqliteForm] = weakref.WeakKeyDictionary()
        self._returning: Any = None  # for insert_id, not on SQLite

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows as dicts keyed by the selected or returned columns' keys."""
        if not _direct(conn):
            return [dict(r) for r in conn.execute(self.statement, params).mappings()]
        form, cursor = self._run(conn, params)
        keys = form.keys
        return [dict(zip(keys, values)) for values in form.values(cursor.fetchall())]

    def tuples(self, conn: Connection, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        """The rows as value sequences, in the order of the selected or returned columns."""
        if not _direct(conn):
            return list(conn.execute(self.statement, params))
        form, cursor = self._run(conn, params)
        return form.values(cursor.fetchall())

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the one row, e.g. the id an INSERT … RETURNING gives back."""
        rows = self.tuples(conn, params)
        if len(rows) != 1:
            raise LookupError(f"expected one row, got {len(rows)}")
        return rows[0][0]

    def insert_id(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Runs an INSERT into a table with an integer id: the id of the row it added.

        On SQLite the driver's `lastrowid` (the id is the rowid): RETURNING would cost SQLite
        a temporary table, ~10 µs. Elsewhere the statement, RETURNING the id.
        """
        if not _direct(conn):
            if self._returning is None:
                self._returning = self.statement.returning(*self.statement.table.primary_key.columns)
            return conn.execute(self._returning, params).scalar_one()
        return self._run(conn, params)[1].lastrowid

    def run(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """Runs a statement whose result is not needed, e.g. an INSERT without RETURNING; inside
        `deferred_writes`, queues it."""
        queue = conn.info.get(_DEFERRED)
        if queue is not None:
            queue.append((self, dict(params), False))
            return
        if not _direct(conn):
            conn.execute(self.statement, params)
        else:
            self._run(conn, params)

    def rowcount(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Runs an UPDATE or DELETE: how many rows it matched. Inside `deferred_writes`, queues it and
        answers 1: when the queue is sent, the block fails unless each such statement matched one row."""
        queue = conn.info.get(_DEFERRED)
        if queue is not None:
            queue.append((self, dict(params), True))
            return 1
        if not _direct(conn):
            return conn.execute(self.statement, params).rowcount
        return self._run(conn, params)[1].rowcount

    def _run(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_SqliteForm, Any]:
        if not conn.in_transaction():  # as conn.execute would: never run outside a transaction
            conn.begin()
        dialect, last = conn.dialect, self._last
        if last is not None and last[0] is dialect:
            form = last[1]
        else:  # compiled once per engine (each has its own dialect object)
            form = self._forms.get(dialect)
            if form is None:
                form = self._forms[dialect] = _SqliteForm(self.statement, self.columns, dialect)
            self._last = (dialect, form)
        return form, conn.connection.driver_connection.execute(form.sql, form.arguments(params))


_DEFERRED = "xsflow_deferred_writes"


@contextmanager
def deferred_writes(conn: Connection) -> Iterator[None]:
    """Within: the writes whose result the block does not read back (`Prepared.run`: history entries,
    deadline updates; `Prepared.rowcount`: the version-checked case update) are queued, then sent when
    the block ends without error, one executemany per statement (pipelined by the driver) instead of
    one round trip each. The sweep's batch of lapses runs in one (xsflow/timers.py).

    Statements on one table keep their order; tables are written one after another, which is safe
    because no constraint ties a queued row to a row written later in the block (history and
    deadlines reference only cases, which the block locked before). A read inside the block may not
    see a queued write: only the sweep uses this, whose reads of the batch's own rows come first,
    and whose failure (a refusal on a row not yet written, an update that matched no row) rolls the
    batch back and tries each case alone. On error the queue is dropped with the transaction.
    SQLite writes in process, with no round trip to save: nothing is queued there.
    """
    if conn.dialect.name == "sqlite" or _DEFERRED in conn.info:
        yield
        return
    queue: list[tuple[Prepared, dict[str, Any], bool]] = []
    conn.info[_DEFERRED] = queue
    try:
        yield
    finally:
        conn.info.pop(_DEFERRED, None)
    by_table: dict[Any, list[tuple[Prepared, dict[str, Any], bool]]] = {}
    for item in queue:
        by_table.setdefault(item[0].statement.table, []).append(item)
    for items in by_table.values():
        for (prepared, one_each), group in groupby(items, key=lambda item: (item[0], item[2])):
            params = [p for _, p, _ in group]
            matched = conn.execute(prepared.statement, params).rowcount
            if one_each and matched != len(params):
                raise LookupError(f"{len(params) - matched} of {len(params)} queued updates of "
                                  f"{prepared.statement.table.name} matched no row")


def _direct(conn: Connection) -> bool:
    """Whether a Prepared statement may run on the driver: SQLite, and no cursor event listened to."""
    if conn.dialect.name != "sqlite":
        return False
    dispatch = conn.dispatch
    return not (dispatch.before_cursor_execute or dispatch.after_cursor_execute)


_REQUIRED = object()


class _SqliteForm:
    """A statement compiled for one SQLite dialect: its SQL, how to bind its values and read its rows."""

    __slots__ = ("sql", "keys", "_binds", "_results", "_plain")

    def __init__(self, statement: Any, columns: tuple[str, ...], dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns) or None)
        if compiled.positiontup is None:
            raise ValueError(f"paramstyle {dialect.paramstyle!r} is not positional")
        self.sql = compiled.string
        self._binds = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            if bind.expanding:
                raise ValueError(f"{name!r} is an expanding IN parameter: it cannot be prepared")
            fixed = _REQUIRED if bind.required else bind.effective_value  # a literal in the statement
            self._binds.append((name, bind.type.dialect_impl(dialect).bind_processor(dialect), fixed))
        exported = list(statement.exported_columns)
        if any(c.key is None for c in exported):
            raise ValueError("every selected or returned column needs a name: label it")
        self.keys = tuple(c.key for c in exported)
        self._results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in exported)
        self._plain = not any(self._results)  # nothing to convert: the driver's tuples as they are

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, process, fixed in self._binds:
            value = params[name] if fixed is _REQUIRED else params.get(name, fixed)
            out.append(value if process is None else process(value))
        return out

    def values(self, fetched: list[tuple[Any, ...]]) -> list[Sequence[Any]]:
        if self._plain:
            return fetched
        results = self._results
        return [[v if p is None else p(v) for p, v in zip(results, row)] for row in fetched]
