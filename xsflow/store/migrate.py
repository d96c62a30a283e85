"""Alembic, driven from code so that `xsflow init` migrates without an alembic.ini on disk."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from .db import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["engine"] = db.engine
    return cfg


def schema_revision(db: Database) -> str | None:
    """The Alembic revision the database is at; None for a database without xsflow's tables."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Creates or migrates the schema (a no-op when it is current): (revision before, after)."""
    before = schema_revision(db)
    command.upgrade(alembic_config(db), revision)
    return before, schema_revision(db)
