from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T11:16:20:463579"
VERSION = "1.38.0"
DESCRIPTION = "buy windows: one row per address and minute"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="shop", description=DESCRIPTION
    )

    # Piccolo cannot add a multi-column unique constraint on SQLite; a unique index is portable
    # and is what the rate limit's INSERT ... ON CONFLICT (address, minute) needs.
    async def create_index():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            "CREATE UNIQUE INDEX shop_buy_window_address_minute"
            " ON shop_buy_window (address, minute)"
        )

    async def drop_index():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("DROP INDEX shop_buy_window_address_minute")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)

    return manager
