from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T03:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index on paid_at: the dashboard's sales figures read only this month's payments"

INDEX = "CREATE INDEX shop_order_paid_at ON shop_order (paid_at)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shop", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(INDEX)

    async def drop():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("DROP INDEX shop_order_paid_at")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
