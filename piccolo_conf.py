"""Piccolo's command line (migrations): the store's database, from the same settings as the app."""

from piccolo.conf.apps import AppRegistry

from app.db import engine_for
from app.settings import load_database_settings

DB = engine_for(load_database_settings())

APP_REGISTRY = AppRegistry(apps=["piccolo.apps.user.piccolo_app", "app.piccolo_app"])
