"""A query's rows written out as CSV by PostgreSQL itself (COPY … TO STDOUT): for exports of any
size, no Python runs per row and memory holds one chunk. SQLite has no COPY: callers keep their
own row-by-row path for it (`copies_csv`)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Select

CHUNK_BYTES = 1 << 16


def copies_csv(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def snapshot(conn: Connection) -> None:
    """Makes every statement of the transaction read one snapshot (REPEATABLE READ, READ ONLY): for an
    export written by several COPYs. The transaction's first statement."""
    conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def copy_csv(conn: Connection, stmt: Select, *, chunk: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The rows of `stmt` as CSV lines ("\\n" ends a line; NULL is an empty field, "" a quoted one),
    in chunks of about `chunk` bytes, as PostgreSQL sends them. The statement's parameters go
    through their types' bind processing, as SQLAlchemy would send them, and psycopg binds them
    client-side (COPY takes no server-side parameters)."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = {name: _bound(compiled, name, value, conn) for name, value in compiled.params.items()}
    cursor = conn.connection.driver_connection.cursor()
    # The planner's JIT compiles a large export's expressions before the first row (1–2 s at a million
    # cases): the person waits for that, and gains little from it after.
    cursor.execute("SET LOCAL jit = off")
    with cursor.copy(f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv)", params) as copy:
        buffer = bytearray()
        for data in copy:  # one message per row: gathered, so a response sends few large chunks
            buffer += data
            if len(buffer) >= chunk:
                yield bytes(buffer)
                buffer.clear()
        if buffer:
            yield bytes(buffer)


def _bound(compiled: Any, name: str, value: Any, conn: Connection) -> Any:
    bind = compiled.binds.get(name)
    process = bind.type.bind_processor(conn.dialect) if bind is not None else None
    return process(value) if process else value
