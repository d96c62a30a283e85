"""Persistence: tables, connections, migrations."""
from .db import Database, database_url
from .migrate import upgrade

__all__ = ["Database", "database_url", "upgrade"]
