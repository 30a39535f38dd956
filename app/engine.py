"""The database engine: PostgreSQL when DATABASE_URL is set, else a SQLite file."""

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from app.settings import get_settings

_settings = get_settings()

DB: PostgresEngine | SQLiteEngine
if _settings.database_url:
    DB = PostgresEngine(config={"dsn": _settings.database_url})
else:
    # A generous busy timeout lets a few workers share the file instead of failing fast.
    DB = SQLiteEngine(path=str(_settings.sqlite_path), timeout=15)
