"""Piccolo's view of the sandbox: its own tables and migrations, apart from any store's."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from stripe_sandbox.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="sandbox",
    migrations_folder_path=str(Path(__file__).resolve().parent / "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
