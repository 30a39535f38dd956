"""Piccolo's view of the store: its tables and where their migrations live."""

from piccolo.apps.user.piccolo_app import APP_CONFIG as USER_APP_CONFIG
from piccolo.conf.apps import AppConfig
from piccolo.table import Table

from app.audit.tables import AuditEntry
from app.catalog.tables import Product
from app.mail.tables import Mail, MailWindow
from app.orders.tables import BuyWindow, Order, OrderChange, OrderLine, ReconcileRun, StripeEvent
from app.owner.tables import BaseUser, OwnerSession, SignInAttempt
from app.settings import PROJECT_ROOT

STORE_TABLES: tuple[type[Table], ...] = (
    Product, Order, OrderLine, StripeEvent, BuyWindow, OrderChange, ReconcileRun,
    OwnerSession, SignInAttempt, AuditEntry, Mail, MailWindow,
)  # fmt: skip
# Piccolo's own user table (its app "user" migrates it), bound to the same database.
BOUND_TABLES: tuple[type[Table], ...] = (*STORE_TABLES, BaseUser)

APP_CONFIG = AppConfig(
    app_name="shop",
    migrations_folder_path=str(PROJECT_ROOT / "piccolo_migrations"),
    table_classes=list(STORE_TABLES),
    # Owner sessions point at Piccolo's user table, which its own app creates first.
    migration_dependencies=["piccolo.apps.user.piccolo_app"],
    commands=[],
)

# Every app whose migrations a server checks at start (piccolo_conf.py's registry).
MIGRATED_APPS = (USER_APP_CONFIG, APP_CONFIG)
