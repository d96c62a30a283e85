"""Logical backup and restore: every table as JSON lines, portable between SQLite and PostgreSQL.

The dump is read in one snapshot (PostgreSQL: REPEATABLE READ; SQLite: one read transaction in
WAL mode), so it is consistent while the service keeps running. A restore goes into an empty,
migrated database and leaves the hash chains exactly as they were: `xsflow audit verify`
accepts the result.
"""
from __future__ import annotations

import gzip
import json
from datetime import date, datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Date, DateTime, func, insert, select, text

from .store.db import Database
from .store.migrate import upgrade
from .store.schema import DERIVED_TABLES, cases, metadata

FORMAT = "xsflow-backup/1"


def _encode(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _decoder(column):
    kind = column.type.impl if hasattr(column.type, "impl") else column.type
    if isinstance(kind, DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(kind, Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    return lambda v: v


# Counts kept by triggers (xsflow/kept_counts.py) are not written: a restore's inserts rebuild them.
BACKED_UP = [t for t in metadata.sorted_tables if t.name not in DERIVED_TABLES]


def row_counts(db: Database) -> dict[str, int]:
    """Rows per table now (one COUNT each): what a backup will write, for a progress bar."""
    with db.read() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in BACKED_UP}


def backup(db: Database, path: Path, *, now: datetime, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Writes every table to `path` (gzip JSON lines); returns the row count per table.

    Each table is streamed (a server-side cursor on PostgreSQL, 1,000 rows at a time): memory
    holds one batch, whatever the size of the database. `progress` hears how many more rows
    were written, every thousand rows."""
    counts: dict[str, int] = {}
    with db.engine.connect() as conn:
        if not db.is_sqlite:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        conn = conn.execution_options(yield_per=1000)
        with conn.begin(), gzip.open(path, "wt", encoding="utf-8") as out:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            _line(out, {"format": FORMAT, "schema": revision, "created_at": now.isoformat()})
            for table in BACKED_UP:
                pk = list(table.primary_key.columns)
                counts[table.name] = 0
                for row in conn.execute(select(table).order_by(*pk)).mappings():
                    _line(out, {"table": table.name, "row": {k: _encode(v) for k, v in row.items()}})
                    counts[table.name] += 1
                    if progress is not None and counts[table.name] % 1000 == 0:
                        progress(1000)
                if progress is not None and counts[table.name] % 1000:
                    progress(counts[table.name] % 1000)
    return counts


def _line(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


class RestoreRefused(ValueError):
    pass


def restore(db: Database, path: Path) -> dict[str, int]:
    """Loads a backup into an empty database (migrated first); refuses one that holds cases."""
    upgrade(db)
    with gzip.open(path, "rt", encoding="utf-8") as src:
        header = json.loads(src.readline())
        if header.get("format") != FORMAT:
            raise RestoreRefused(f"{path} 不是 xsflow 备份文件（格式标记为 {header.get('format')!r}）。")
        with db.write() as conn:
            if conn.execute(text("SELECT version_num FROM alembic_version")).scalar() != header["schema"]:
                raise RestoreRefused(f"备份的数据库结构版本为 {header['schema']}，与当前版本不同；请用相同版本的 xsflow 恢复。")
            if conn.execute(select(func.count()).select_from(cases)).scalar():
                raise RestoreRefused("目标数据库中已有案件：只能恢复到新建的空数据库。")
            for table in reversed(metadata.sorted_tables):  # init's reference data goes; the backup brings its own
                conn.execute(table.delete())
            decoders = {t.name: {c.name: _decoder(c) for c in t.columns} for t in metadata.sorted_tables}
            counts: dict[str, int] = {}
            batch: list[dict[str, Any]] = []
            current = None
            for line in src:
                record = json.loads(line)
                if record["table"] != current:
                    _flush(conn, current, batch)
                    current, batch = record["table"], []
                batch.append({k: decoders[current][k](v) for k, v in record["row"].items()})
                counts[current] = counts.get(current, 0) + 1
                if len(batch) >= 1000:
                    _flush(conn, current, batch)
                    batch = []
            _flush(conn, current, batch)
            if not db.is_sqlite:
                _reset_sequences(conn)
    return counts


def _flush(conn, table_name: str | None, rows: list[dict[str, Any]]) -> None:
    if table_name and rows:
        conn.execute(insert(metadata.tables[table_name]), rows)


def _reset_sequences(conn) -> None:
    """PostgreSQL identity sequences continue after the restored ids."""
    for table in metadata.sorted_tables:
        if "id" in table.c and table.c.id.autoincrement is True:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                              f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"))
