import secrets

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T03:56:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "email: one find-my-orders window per bucket and hour; a link for older orders"

# A unique index, not a constraint: SQLite cannot ALTER TABLE ... ADD CONSTRAINT.
WINDOW_INDEX = "CREATE UNIQUE INDEX shop_mail_window_bucket_hour ON shop_mail_window (bucket, hour)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shop", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(WINDOW_INDEX)
        # Orders placed before links existed get one each (random, never derived from the id).
        for row in await engine.run_ddl("SELECT id FROM shop_order WHERE link_token IS NULL"):
            token = secrets.token_urlsafe(24)
            await engine.run_ddl(
                f"UPDATE shop_order SET link_token = '{token}' WHERE id = {int(row['id'])}"
            )

    async def drop():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("DROP INDEX shop_mail_window_bucket_hour")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
