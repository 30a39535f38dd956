"""The standalone sandbox with its test-only control routes: only this test module mounts them."""

from litestar import Litestar

from app.sandbox import create_sandbox_app


def testing_app() -> Litestar:
    return create_sandbox_app(testing=True)
