"""The standalone sandbox with its test-only control routes: only this test module mounts them."""

import os

from litestar import Litestar

from stripe_sandbox import create_sandbox_app, load_sandbox_settings


def testing_app() -> Litestar:
    # A subprocess entry point (uvicorn --factory): its environment is its configuration.
    return create_sandbox_app(load_sandbox_settings(os.environ), testing=True)
