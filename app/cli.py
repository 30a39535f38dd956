"""Store commands for the litestar CLI: `litestar --app app.main:create_app reconcile|owner`."""

from __future__ import annotations

import asyncio

import click
from litestar import Litestar
from litestar.plugins import CLIPluginProtocol

from app.orders.reconcile import reconcile


class StoreCommands(CLIPluginProtocol):
    def on_cli_init(self, cli: click.Group) -> None:
        @cli.command(name="reconcile")
        def reconcile_command(app: Litestar) -> None:
            """Ask Stripe about stale orders, close abandoned ones, replay undelivered events."""
            for line in asyncio.run(_reconcile(app)):
                click.echo(line)

        # Imported here: it brings Litestar's CLI machinery (rich), which a web worker never needs.
        from app.owner.cli import owner_group

        cli.add_command(owner_group)


async def _reconcile(app: Litestar) -> list[str]:
    async with app.lifespan():
        report = await reconcile(app.state.gateway)
    return report.lines()
