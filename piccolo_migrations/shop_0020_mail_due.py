from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import DoublePrecision, Varchar
from piccolo.engine import engine_finder

ID = "2026-12-07T14:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "email: one small index of the rows still to send, instead of two over every row"

# Partial: a sent row leaves it, so every write of the outbox no longer updates two indexes over
# all its history. SQLite has partial indexes too; the sender's claim repeats this condition.
DUE = "CREATE INDEX shop_mail_due ON shop_mail (id) WHERE state IN ('queued', 'retrying', 'sending')"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shop", description=DESCRIPTION)
    for name, column_class in (("state", Varchar), ("due_at", DoublePrecision)):
        manager.alter_column(
            table_class_name="Mail",
            tablename="shop_mail",
            column_name=name,
            db_column_name=name,
            params={"index": False},
            old_params={"index": True},
            column_class=column_class,
            old_column_class=column_class,
            schema=None,
        )

    async def create():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(DUE)

    async def drop():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("DROP INDEX shop_mail_due")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
