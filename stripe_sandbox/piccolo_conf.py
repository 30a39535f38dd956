"""Piccolo's command line for the sandbox alone: `PICCOLO_CONF=stripe_sandbox.piccolo_conf`."""

import os

from piccolo.conf.apps import AppRegistry

from stripe_sandbox.database import build_engine
from stripe_sandbox.settings import load_sandbox_database

# Piccolo's config file: read only by its command line, which `python -m stripe_sandbox migrate`
# points here. Building an engine opens nothing; the first query does.
DB = build_engine(load_sandbox_database(os.environ))

APP_REGISTRY = AppRegistry(apps=["stripe_sandbox.piccolo_app"])
