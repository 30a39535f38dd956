from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-01T13:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "status changes recorded by a trigger; owner list indexes; paid amounts backfilled"

# A trigger, not application code: every arrow (one order or many in one UPDATE) is recorded in
# its own statement's transaction, and no code path added later can forget to.
SQLITE_TRIGGER = """
CREATE TRIGGER shop_order_status_change AFTER UPDATE OF status ON shop_order
WHEN OLD.status IS NOT NEW.status
BEGIN
    INSERT INTO shop_order_change ("order", from_status, to_status, changed_at)
    VALUES (NEW.id, OLD.status, NEW.status, NEW.updated_at);
END
"""
POSTGRES_FUNCTION = """
CREATE FUNCTION shop_order_status_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO shop_order_change ("order", from_status, to_status, changed_at)
    VALUES (NEW.id, OLD.status, NEW.status, NEW.updated_at);
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER shop_order_status_change AFTER UPDATE OF status ON shop_order
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION shop_order_status_change()
"""
# Orders confirmed before Stripe's own figure was stored matched it exactly, or they would be
# needs_review: what was charged is their total, so the owner can refund them too.
BACKFILL_PAID = """
UPDATE shop_order SET paid_cents = total_cents, paid_currency = currency
WHERE payment_intent_id IS NOT NULL AND paid_cents IS NULL
  AND status IN ('paid', 'partially_refunded', 'refunded')
"""
INDEXES = (
    # Keyset pages of one status, newest first: WHERE status = ? AND id < ? ORDER BY id DESC.
    "CREATE INDEX shop_order_status_id ON shop_order (status, id)",
    # Search by email ignores case, as people type addresses.
    "CREATE INDEX shop_order_buyer_email_lower ON shop_order (lower(buyer_email))",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shop", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl(POSTGRES_FUNCTION)
            await engine.run_ddl(POSTGRES_TRIGGER)
        else:
            await engine.run_ddl(SQLITE_TRIGGER)
        for statement in INDEXES:
            await engine.run_ddl(statement)
        await engine.run_ddl(BACKFILL_PAID)

    async def drop():
        engine = engine_finder()
        assert engine is not None
        for name in ("shop_order_status_id", "shop_order_buyer_email_lower"):
            await engine.run_ddl(f"DROP INDEX {name}")
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl("DROP TRIGGER shop_order_status_change ON shop_order")
            await engine.run_ddl("DROP FUNCTION shop_order_status_change()")
        else:
            await engine.run_ddl("DROP TRIGGER shop_order_status_change")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
