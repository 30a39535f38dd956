"""`litestar … owner add|list|remove|password` as an operator runs them: from a pipe or a tty."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import secrets
import select
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import pytest

from app.audit.tables import AuditEntry
from app.audit.trail import Action
from app.owner.accounts import add_owner
from app.owner.signin import SignInFailed, SignInThrottled, sign_in
from app.owner.tables import BaseUser, OwnerSession
from tests.support.http import ROOT

COMMAND = (sys.executable, "-m", "litestar", "--app", "app.main:create_app", "owner")
PASSWORD = "correct horse battery"
KEY = b"a key for the names typed at sign-in"
NEW_PASSWORD = "another staple, longer"


@pytest.fixture
def cli_env(test_env: dict[str, str]) -> dict[str, str]:
    # A wide "terminal", so click's error box does not wrap the messages the tests look for.
    return {**test_env, "COLUMNS": "200"}


@pytest.fixture(autouse=True)
async def no_cli_owners() -> AsyncIterator[None]:
    """Other tests sign owners in: leave behind none of the owners (or entries) made here."""
    yield
    await AuditEntry.delete().where(AuditEntry.detail.like("owner cli-%"))
    await BaseUser.delete().where(BaseUser.username.like("cli-%"))  # sessions go with them


def new_name() -> str:
    return f"cli-{secrets.token_hex(4)}"


async def owner_command(env: dict[str, str], *args: str, stdin: str = "") -> tuple[int, str, str]:
    """`owner …` in a process of its own, its standard input a pipe carrying `stdin`."""
    process = await asyncio.create_subprocess_exec(
        *COMMAND, *args, cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def on_a_terminal(env: dict[str, str], args: list[str], answers: list[str]) -> tuple[int, str]:
    """`owner …` on a pseudo-terminal, typing each answer once its password prompt shows."""
    master, child_side = pty.openpty()
    process = subprocess.Popen(
        [*COMMAND, *args], cwd=ROOT, env=env, stdin=child_side, stdout=child_side,
        stderr=child_side, start_new_session=True,
    )  # fmt: skip
    os.close(child_side)
    seen, typed, deadline = b"", 0, time.monotonic() + 60
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"no end in sight: {seen!r}"
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the command is gone and the terminal closed
                break
            if not chunk:
                break
            seen += chunk
            # getpass turns echo off (flushing input) before it writes the prompt's last space.
            while typed < len(answers) and seen.count(b"assword: ") > typed:
                os.write(master, answers[typed].encode() + b"\n")
                typed += 1
        return process.wait(timeout=60), seen.decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)


async def audit_of(name: str) -> list[str]:
    """The actions the audit trail holds about owner `name`, oldest first."""
    rows = await (
        AuditEntry.select(AuditEntry.action, AuditEntry.actor)
        .where(AuditEntry.detail == f"owner {name}")
        .order_by(AuditEntry.id)
    )
    assert {row["actor"] for row in rows} <= {"command line"}
    return [row["action"] for row in rows]


async def open_session(user_id: int) -> None:
    await OwnerSession.insert(OwnerSession(token_hash=secrets.token_hex(32), user=user_id))


async def sessions_of(user_id: int) -> int:
    return int(await OwnerSession.count().where(OwnerSession.user == user_id))


async def test_unlock_lets_a_locked_out_owner_sign_in_at_once(cli_env: dict[str, str]) -> None:
    name = new_name()
    owner_id = await add_owner(name, PASSWORD)
    for n in range(5):  # strangers' guesses, each from its own address
        with pytest.raises(SignInFailed):
            await sign_in(name, f"guess {n}", f"10.44.0.{n}", name_key=KEY)
    with pytest.raises(SignInThrottled):
        await sign_in(name, PASSWORD, "10.44.1.1", name_key=KEY)
    code, out, err = await owner_command(cli_env, "unlock", name)

    assert code == 0, err
    assert f"Unlocked {name}: 5 failed" in out
    assert (await sign_in(name, PASSWORD, "10.44.1.1", name_key=KEY)).username == name
    assert await sessions_of(owner_id) == 1
    assert await audit_of(name) == [Action.OWNER_ADDED, Action.OWNER_UNLOCKED]


async def test_an_owner_added_from_a_pipe_signs_in(cli_env: dict[str, str]) -> None:
    name = new_name()
    code, out, err = await owner_command(cli_env, "add", name, stdin=PASSWORD + "\n")

    assert code == 0, err
    assert out.count("\n") == 1 and name in out
    owner_id = int(re.search(r"id (\d+)", out).group(1))  # type: ignore[union-attr]
    assert await BaseUser.login(name, PASSWORD) == owner_id
    row = await BaseUser.select().where(BaseUser.id == owner_id).first()
    assert row is not None and row["active"] and row["password"].startswith("pbkdf2_sha256$")
    assert await audit_of(name) == [Action.OWNER_ADDED]


@pytest.mark.parametrize(
    ("name", "stdin", "message"),
    [
        ("cli-short", "eleven char\n", "too short"),
        ("cli-empty", "", "No password"),
        ("cli-blank", "\n", "No password"),
        ("cli-with space", PASSWORD + "\n", "no spaces or control characters"),
        ("cli-" + "x" * 97, PASSWORD + "\n", "1 to 100 characters"),
        ("cli-long", "y" * 129 + "\n", "too long"),
    ],
)
async def test_a_refused_add_says_why_and_creates_nobody(
    cli_env: dict[str, str], name: str, stdin: str, message: str
) -> None:
    code, out, err = await owner_command(cli_env, "add", name, stdin=stdin)

    assert code == 1 and message in err and out == ""
    assert not await BaseUser.exists().where(BaseUser.username == name)
    assert await audit_of(name) == []


async def test_a_taken_name_is_refused(cli_env: dict[str, str]) -> None:
    name = new_name()
    await add_owner(name, PASSWORD)
    code, _, err = await owner_command(cli_env, "add", name, stdin=NEW_PASSWORD + "\n")

    assert code == 1 and "already exists" in err
    assert await BaseUser.count().where(BaseUser.username == name) == 1
    assert await BaseUser.login(name, PASSWORD) is not None  # the first one is untouched


async def test_list_shows_each_owner_with_sign_in_and_sessions(cli_env: dict[str, str]) -> None:
    seen, unseen = new_name(), new_name()
    seen_id = await add_owner(seen, PASSWORD)
    await add_owner(unseen, PASSWORD)
    assert await BaseUser.login(seen, PASSWORD) == seen_id
    await open_session(seen_id)
    await open_session(seen_id)
    code, out, err = await owner_command(cli_env, "list")

    assert code == 0, err
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert re.fullmatch(rf"{seen}  active  last sign-in \S+ \S+  open sessions 2", lines[seen])
    assert lines[unseen] == f"{unseen}  active  last sign-in never  open sessions 0"


async def test_a_new_password_replaces_the_old_and_ends_only_that_owners_sessions(
    cli_env: dict[str, str],
) -> None:
    name, other = new_name(), new_name()
    owner_id, other_id = await add_owner(name, PASSWORD), await add_owner(other, PASSWORD)
    await open_session(owner_id)
    await open_session(other_id)
    code, out, err = await owner_command(cli_env, "password", name, stdin=NEW_PASSWORD + "\n")

    assert code == 0, err
    assert out.count("\n") == 1
    assert await BaseUser.login(name, PASSWORD) is None
    assert await BaseUser.login(name, NEW_PASSWORD) == owner_id
    assert await sessions_of(owner_id) == 0
    assert await sessions_of(other_id) == 1
    assert await audit_of(name) == [Action.OWNER_ADDED, Action.PASSWORD_CHANGED]
    assert await audit_of(other) == [Action.OWNER_ADDED]


async def test_remove_deletes_the_owner_and_its_sessions(cli_env: dict[str, str]) -> None:
    name = new_name()
    owner_id = await add_owner(name, PASSWORD)
    await open_session(owner_id)
    code, _, err = await owner_command(cli_env, "remove", name)

    assert code == 0, err
    assert not await BaseUser.exists().where(BaseUser.id == owner_id)
    assert await sessions_of(owner_id) == 0
    assert await audit_of(name) == [Action.OWNER_ADDED, Action.OWNER_REMOVED]


@pytest.mark.parametrize("command", ["remove", "password"])
async def test_an_unknown_name_exits_with_status_1(cli_env: dict[str, str], command: str) -> None:
    name = new_name()
    code, out, err = await owner_command(cli_env, command, name, stdin=PASSWORD + "\n")

    assert code == 1 and f"No owner is named '{name}'" in err and out == ""
    assert await audit_of(name) == []


async def test_on_a_terminal_the_password_is_asked_twice(cli_env: dict[str, str]) -> None:
    name = new_name()
    code, screen = await asyncio.to_thread(
        on_a_terminal, cli_env, ["add", name], [PASSWORD, PASSWORD]
    )

    assert code == 0, screen
    assert "Repeat password" in screen and PASSWORD not in screen  # typed without echo
    assert await BaseUser.login(name, PASSWORD) is not None


async def test_on_a_terminal_a_mismatched_repeat_creates_nobody(cli_env: dict[str, str]) -> None:
    name = new_name()
    code, screen = await asyncio.to_thread(
        on_a_terminal, cli_env, ["add", name], [PASSWORD, NEW_PASSWORD]
    )

    assert code == 1 and "differ" in screen
    assert not await BaseUser.exists().where(BaseUser.username == name)
