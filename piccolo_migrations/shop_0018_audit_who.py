from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T06:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sign-in attempts keep their network; audit entries keep the owner's id and session"

STATEMENTS = (
    "ALTER TABLE owner_sign_in_attempt ADD COLUMN network VARCHAR(64) NOT NULL DEFAULT ''",
    "CREATE INDEX owner_sign_in_attempt_network ON owner_sign_in_attempt (network)",
    "ALTER TABLE owner_audit ADD COLUMN actor_id INTEGER NULL DEFAULT NULL",
    "ALTER TABLE owner_audit ADD COLUMN session_id INTEGER NULL DEFAULT NULL",
    "CREATE INDEX owner_audit_actor_id ON owner_audit (actor_id)",
)
UNDO = (
    "DROP INDEX owner_audit_actor_id",
    "ALTER TABLE owner_audit DROP COLUMN session_id",
    "ALTER TABLE owner_audit DROP COLUMN actor_id",
    "DROP INDEX owner_sign_in_attempt_network",
    "ALTER TABLE owner_sign_in_attempt DROP COLUMN network",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shop", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        assert engine is not None
        for statement in UNDO:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
