"""Piccolo's view of the sandbox: its own tables and migrations, apart from the store's."""

from piccolo.conf.apps import AppConfig

from app.sandbox.tables import TABLES
from app.settings import PROJECT_ROOT

APP_CONFIG = AppConfig(
    app_name="sandbox",
    migrations_folder_path=str(PROJECT_ROOT / "app" / "sandbox" / "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
