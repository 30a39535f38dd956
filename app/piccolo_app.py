"""Piccolo's view of the store: its tables and where their migrations live."""

from piccolo.conf.apps import AppConfig

from app.db import STORE_TABLES
from app.settings import PROJECT_ROOT

APP_CONFIG = AppConfig(
    app_name="shop",
    migrations_folder_path=str(PROJECT_ROOT / "piccolo_migrations"),
    table_classes=list(STORE_TABLES),
    # Owner sessions point at Piccolo's user table, which its own app creates first.
    migration_dependencies=["piccolo.apps.user.piccolo_app"],
    commands=[],
)
