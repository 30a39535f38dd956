from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index on updated_at: a reconnecting owner's stream asks what changed since"

# The owner's stream asks "did any order change after <when the page was rendered>" at every
# (re)connect: an index answers that without reading every order.
INDEX = "CREATE INDEX shop_order_updated_at ON shop_order (updated_at)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shop", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(INDEX)

    async def drop():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("DROP INDEX shop_order_updated_at")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
