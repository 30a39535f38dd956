from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T03:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sign-in attempts remember the device cookie they brought (empty: an unknown one)"

COLUMN = "ALTER TABLE owner_sign_in_attempt ADD COLUMN device VARCHAR(32) NOT NULL DEFAULT ''"
INDEX = "CREATE INDEX owner_sign_in_attempt_device ON owner_sign_in_attempt (device)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shop", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(COLUMN)
        await engine.run_ddl(INDEX)

    async def drop():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("DROP INDEX owner_sign_in_attempt_device")
        await engine.run_ddl("ALTER TABLE owner_sign_in_attempt DROP COLUMN device")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
