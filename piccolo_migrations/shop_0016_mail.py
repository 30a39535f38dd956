from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import (
    DoublePrecision,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T03:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "email: the outbox, find-my-orders windows, and each order's link token"

# (column, class, extra params) of each new table; unique=True only in a CREATE (SQLite).
MAIL = [
    ("id", Serial, {"primary_key": True}),
    ("key", Varchar, {"length": 200, "default": "", "unique": True}),
    ("order_id", Integer, {"default": None, "null": True, "index": True}),
    ("kind", Varchar, {"length": 30, "default": ""}),
    ("to_address", Varchar, {"length": 320, "default": ""}),
    ("subject", Varchar, {"length": 300, "default": ""}),
    ("text_body", Text, {"default": ""}),
    ("html_body", Text, {"default": ""}),
    ("link", Text, {"default": ""}),
    ("state", Varchar, {"length": 20, "default": "queued", "index": True}),
    ("attempts", Integer, {"default": 0}),
    ("queued_at", DoublePrecision, {"default": 0.0}),
    ("due_at", DoublePrecision, {"default": 0.0, "index": True}),
    ("lease_until", DoublePrecision, {"default": None, "null": True}),
    ("lease", Varchar, {"length": 32, "default": None, "null": True}),
    ("last_error", Text, {"default": ""}),
    ("created_at", Timestamptz, {"default": TimestamptzNow()}),
    ("sent_at", Timestamptz, {"default": None, "null": True}),
]
MAIL_WINDOW = [
    ("id", Serial, {"primary_key": True}),
    ("bucket", Varchar, {"length": 330, "default": ""}),
    ("hour", Integer, {"default": 0, "index": True}),
    ("asks", Integer, {"default": 0}),
]


def _params(extra):
    params = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    return {**params, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="shop", description=DESCRIPTION)
    for class_name, tablename, columns in (
        ("Mail", "shop_mail", MAIL),
        ("MailWindow", "shop_mail_window", MAIL_WINDOW),
    ):
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, extra in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=_params(extra),
                schema=None,
            )
    manager.add_column(
        table_class_name="Order",
        tablename="shop_order",
        column_name="link_token",
        db_column_name="link_token",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params({"length": 64, "default": None, "null": True}),
        schema=None,
    )

    return manager
