from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T03:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the owner's search by the start of an email, a name or a session id"

# PostgreSQL: LIKE 'start%' uses an index only with *_pattern_ops (the database's collation may
# not sort by bytes). SQLite: the search is a range, which plain indexes serve (0007 has email).
POSTGRES = (
    "CREATE INDEX shop_order_email_prefix ON shop_order (lower(buyer_email) text_pattern_ops)",
    "CREATE INDEX shop_order_ship_name_prefix ON shop_order (lower(ship_name) text_pattern_ops)",
    "CREATE INDEX shop_order_session_prefix ON shop_order (stripe_session_id varchar_pattern_ops)",
)
SQLITE = ("CREATE INDEX shop_order_ship_name_prefix ON shop_order (lower(ship_name))",)


def _names(statements: tuple[str, ...]) -> list[str]:
    return [statement.split()[2] for statement in statements]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shop", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None
        for statement in POSTGRES if engine.engine_type == "postgres" else SQLITE:
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        assert engine is not None
        for name in _names(POSTGRES if engine.engine_type == "postgres" else SQLITE):
            await engine.run_ddl(f"DROP INDEX {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
