from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-07T03:51:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "stock: the database enforces 0 <= held <= on_hand, so no code path can oversell"

# NULL on_hand is made to order: only held >= 0 applies then.
CHECK = "CHECK (held >= 0 AND (on_hand IS NULL OR (on_hand >= 0 AND held <= on_hand)))"
POSTGRES = f"ALTER TABLE product ADD CONSTRAINT product_stock {CHECK}"
# SQLite cannot add a constraint to a table: rebuild it with the check (nothing references it).
SQLITE = (
    'CREATE TABLE "product_new" ("id" INTEGER PRIMARY KEY NOT NULL,'
    ' "sku" VARCHAR(32) UNIQUE NOT NULL DEFAULT \'\', "name" VARCHAR(100) NOT NULL DEFAULT \'\','
    ' "description" TEXT NOT NULL DEFAULT \'\', "price_cents" INTEGER NOT NULL DEFAULT 0,'
    ' "currency" VARCHAR(3) NOT NULL DEFAULT \'\', "on_hand" INTEGER DEFAULT null,'
    ' "held" INTEGER NOT NULL DEFAULT 0, "on_sale" BOOLEAN NOT NULL DEFAULT true,'
    ' "price_changed_at" TIMESTAMPTZ DEFAULT null,'
    f" CONSTRAINT product_stock {CHECK})",
    "INSERT INTO product_new SELECT id, sku, name, description, price_cents, currency, on_hand,"
    " held, on_sale, price_changed_at FROM product",
    "DROP TABLE product",
    "ALTER TABLE product_new RENAME TO product",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shop", description=DESCRIPTION)

    async def add():
        engine = engine_finder()
        assert engine is not None
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl(POSTGRES)
            return
        for statement in SQLITE:
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        assert engine is not None
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl("ALTER TABLE product DROP CONSTRAINT product_stock")

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
