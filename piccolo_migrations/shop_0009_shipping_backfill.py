from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T14:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "shipping: older orders' subtotal backfilled; an index for the to-ship queue"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shop", description=DESCRIPTION)

    # Orders from before shipping was charged: their total was all products, shipping 0.
    # The "to ship" queue reads a few rows among many: a partial index holds just those.
    async def backfill_and_index():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("UPDATE shop_order SET subtotal_cents = total_cents")
        await engine.run_ddl(
            "CREATE INDEX shop_order_to_ship ON shop_order (id)"
            " WHERE fulfilment = 'unfulfilled' AND status IN ('paid', 'partially_refunded')"
        )

    async def drop_index():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("DROP INDEX shop_order_to_ship")

    manager.add_raw(backfill_and_index)
    manager.add_raw_backwards(drop_index)

    return manager
