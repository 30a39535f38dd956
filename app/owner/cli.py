"""`litestar --app app.main:create_app owner add|list|remove|password|unlock`: the owners."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from litestar import Litestar
from litestar.cli._utils import LitestarGroup  # documented as the class for app command groups

from app.owner.accounts import (
    AccountError,
    add_owner,
    change_password,
    list_owners,
    remove_owner,
    validate_password,
    validate_username,
)
from app.owner.signin import unlock

T = TypeVar("T")


def _owner() -> None:
    """Add, list or remove the store's owners, or change an owner's password."""


# A LitestarGroup hands each of its commands the app; typed as click's Group for mypy's sake.
owner_group: click.Group = click.group(cls=LitestarGroup, name="owner")(_owner)


@owner_group.command(name="add")
@click.argument("name")
def add_command(app: Litestar, name: str) -> None:
    """Add owner NAME; the password is read from standard input (asked twice on a terminal)."""
    checked(validate_username, name)  # before asking for a password it would be refused with
    password = read_password()
    owner_id = run(app, lambda: add_owner(name, password))
    click.echo(f"Added owner {name} (id {owner_id}).")


@owner_group.command(name="list")
def list_command(app: Litestar) -> None:
    """One line per owner: name, active or not, last sign-in, open sessions."""
    owners = run(app, list_owners)
    if not owners:
        click.echo("No owners yet: add one with `owner add NAME`.")
    for owner in owners:
        seen = owner.last_login.isoformat(" ", "seconds") if owner.last_login else "never"
        click.echo(
            f"{owner.username}  {'active' if owner.active else 'inactive'}"
            f"  last sign-in {seen}  open sessions {owner.open_sessions}"
        )


@owner_group.command(name="remove")
@click.argument("name")
def remove_command(app: Litestar, name: str) -> None:
    """Remove owner NAME and end its sessions."""
    run(app, lambda: remove_owner(name))
    click.echo(f"Removed owner {name}.")


@owner_group.command(name="password")
@click.argument("name")
def password_command(app: Litestar, name: str) -> None:
    """Change NAME's password (read like `add` reads it) and end all of NAME's sessions."""
    password = read_password()
    run(app, lambda: change_password(name, password))
    click.echo(f"Changed the password of {name}; their sessions are ended.")


@owner_group.command(name="unlock")
@click.argument("name")
def unlock_command(app: Litestar, name: str) -> None:
    """Forget NAME's failed sign-ins, so NAME can sign in again from any browser at once."""
    forgotten = run(app, lambda: unlock(name))
    click.echo(f"Unlocked {name}: {forgotten} failed sign-in(s) forgotten.")


def read_password() -> str:
    """One line from a pipe; on a terminal, asked twice without echo."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True)
        checked(validate_password, password)  # say so now, not after the second prompt
        # Two plain prompts, not confirmation_prompt=True: click asks again forever on a mismatch.
        if click.prompt("Repeat password", hide_input=True) != password:
            raise click.ClickException("The two passwords differ: nothing was changed.")
        return str(password)
    line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise click.ClickException(
            "No password on standard input: pipe one line, or run on a terminal."
        )
    checked(validate_password, password)
    return password


def checked(check: Callable[[str], None], value: str) -> None:
    try:
        check(value)
    except AccountError as error:
        raise click.ClickException(str(error)) from None


def run(app: Litestar, work: Callable[[], Awaitable[T]]) -> T:
    """`work` inside the app's lifespan (the database pool open); a refusal exits with status 1."""

    async def within() -> T | AccountError:
        async with app.lifespan():
            # Returned, not raised: the lifespan's task group would wrap it in an ExceptionGroup.
            try:
                return await work()
            except AccountError as error:
                return error

    outcome = asyncio.run(within())
    if isinstance(outcome, AccountError):
        raise click.ClickException(str(outcome))
    return outcome
