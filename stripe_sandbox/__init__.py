"""A local stand-in for the part of Stripe a store uses: its API, hosted page and webhooks."""

from stripe_sandbox.plugin import SandboxPlugin, create_sandbox_app
from stripe_sandbox.settings import (
    MOUNT_PATH,
    Faults,
    SandboxSettings,
    SandboxSettingsError,
    load_sandbox_settings,
    mounted_settings,
)

__all__ = [
    "MOUNT_PATH",
    "Faults",
    "SandboxPlugin",
    "SandboxSettings",
    "SandboxSettingsError",
    "create_sandbox_app",
    "load_sandbox_settings",
    "mounted_settings",
]
