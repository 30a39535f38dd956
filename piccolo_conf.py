"""Piccolo's engine and apps: PostgreSQL when DATABASE_URL is set, else a SQLite file."""

from piccolo.conf.apps import AppRegistry

# The tables name this engine themselves (db=DB), so serving never imports piccolo.conf.apps,
# which pulls in black for writing migrations: about 9 MB per worker.
from app.engine import DB

__all__ = ["APP_REGISTRY", "DB"]

APP_REGISTRY = AppRegistry(apps=["app.piccolo_app", "app.sandbox.piccolo_app"])
