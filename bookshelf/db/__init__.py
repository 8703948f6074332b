"""Storage: connections, migrations and one module of SQL per table group."""

from bookshelf.db.connection import Database, connect_sync, fetchall, fetchone

__all__ = ["Database", "connect_sync", "fetchall", "fetchone"]
