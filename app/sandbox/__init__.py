"""A local stand-in for the part of Stripe the store uses: its API, hosted page and webhooks."""

from app.sandbox.app import create_sandbox_app, sandbox_router
from app.sandbox.config import Faults, SandboxConfig, api_base_for, sandbox_webhook_secret
from app.sandbox.runtime import Sandbox

__all__ = [
    "Faults",
    "Sandbox",
    "SandboxConfig",
    "api_base_for",
    "create_sandbox_app",
    "sandbox_router",
    "sandbox_webhook_secret",
]
