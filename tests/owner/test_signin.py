"""Signing in as the owner: sessions in the database, throttled guesses, nothing for buyers."""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from prometheus_client import REGISTRY

from app.audit.tables import AuditEntry
from app.audit.trail import Action
from app.db import utcnow
from app.main import create_app
from app.owner.accounts import add_owner, change_password
from app.owner.networks import network_of
from app.owner.signin import NETWORK_FAILURES
from app.owner.tables import BaseUser, OwnerSession, SignInAttempt
from app.piccolo_app import BOUND_TABLES
from app.settings import Settings, load_settings
from tests.support.http import HTMX, running
from tests.support.owner import OWNER_NAME, OWNER_PASSWORD, owner_browser

OWNER_ROUTES = [
    ("GET", "/owner/"),
    ("GET", "/owner/orders"),
    ("GET", "/owner/orders/1"),
    ("POST", "/owner/orders/1/refund"),
    ("POST", "/owner/orders/1/accept"),
    ("POST", "/owner/logout"),
]
WRONG = "Wrong name or password."


@pytest.fixture
async def visit(store_app: Litestar, settings: Settings) -> Callable[..., Any]:
    """A new browser on the store (no Stripe keys needed to sign in): `async with visit():`."""

    def open_browser(address: str = "127.0.0.1") -> Any:
        return owner_browser(store_app, settings, address)

    return open_browser


def session_cookie(response: httpx.Response) -> str:
    [header] = [v for v in response.headers.get_list("set-cookie") if v.startswith("owner=")]
    return header


async def audit_actions() -> list[str]:
    """The sign-in trail (the owner's creation is audited too, and left out here)."""
    rows = await (
        AuditEntry.select(AuditEntry.action)
        .where(AuditEntry.action != Action.OWNER_ADDED.value)
        .order_by(AuditEntry.id)
    )
    return [row["action"] for row in rows]


async def test_a_correct_sign_in_opens_a_session_in_a_strict_cookie(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit() as owner:
        form = await owner.page("/owner/login")
        assert 'name="username"' in form.text and 'name="password"' in form.text
        answer = await owner.sign_in()
        assert (answer.status_code, answer.headers["location"]) == (303, "/owner/")
        cookie = session_cookie(answer)
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/owner" in cookie
        assert "Secure" not in cookie  # plain http here; the https case is below
        token = owner.http.cookies["owner"]
        assert len(token) >= 22  # at least 128 random bits, base64url
        # Only a hash is kept: the table alone signs nobody in.
        [stored] = await OwnerSession.select(OwnerSession.token_hash)
        assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
        dashboard = await owner.page("/owner/")
        assert dashboard.status_code == 200 and OWNER_NAME in dashboard.text
    assert await audit_actions() == [Action.SIGNED_IN.value]


async def test_under_https_the_cookie_is_secure(
    test_env: dict[str, str], owner_account: int
) -> None:
    https = load_settings(
        {**test_env, "PUBLIC_URL": "https://shop.example", "STRIPE_SANDBOX": "on"}
    )
    async with running(create_app(https)) as app, owner_browser(app, https) as owner:
        answer = await owner.sign_in()
        assert answer.status_code == 303
        [cookie] = [
            v for v in answer.headers.get_list("set-cookie") if v.startswith("__Secure-owner=")
        ]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert (await owner.page("/owner/")).status_code == 200


@pytest.mark.parametrize(("method", "path"), OWNER_ROUTES)
async def test_every_owner_route_sends_a_stranger_to_sign_in(
    visit: Callable[..., Any], store_client: httpx.AsyncClient, method: str, path: str
) -> None:
    async with visit() as stranger:
        await stranger.page("/owner/login")  # a CSRF token, so only the session is missing
        answer = await stranger.http.request(method, path, data={"_csrf_token": stranger.csrf})
        assert (answer.status_code, answer.headers["location"]) == (303, "/owner/login")
        htmx = await stranger.http.request(
            method, path, data={"_csrf_token": stranger.csrf}, headers=HTMX
        )
        assert htmx.headers["hx-redirect"] == "/owner/login"
    # A buyer's visitor cookie grants nothing.
    await store_client.get("/")
    assert store_client.cookies["visitor"]
    assert (await store_client.get("/owner/")).status_code == 303


async def test_a_wrong_password_and_an_unknown_name_read_the_same_and_cost_the_same(
    visit: Callable[..., Any], owner_account: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[int] = []
    real = BaseUser.hash_password.__func__  # type: ignore[attr-defined]

    def counting(
        cls: type[BaseUser], password: str, salt: str = "", iterations: int | None = None
    ) -> str:
        hashed.append(iterations or 0)
        return str(real(cls, password, salt, iterations))

    monkeypatch.setattr(BaseUser, "hash_password", classmethod(counting))
    answers = []
    async with visit() as owner:
        for name in (OWNER_NAME, "nobody-at-all"):
            answer = await owner.sign_in(name, "not the password at all")
            answers.append((answer.status_code, re.sub(r'value="[^"]*"', "", answer.text)))
    wrong, unknown = answers
    assert wrong[0] == unknown[0] == 401
    assert WRONG in wrong[1]
    assert wrong[1].replace(OWNER_NAME, "NAME") == unknown[1].replace("nobody-at-all", "NAME")
    # One full-strength hash each: an unknown name is not answered any faster.
    assert hashed == [BaseUser._pbkdf2_iteration_count] * 2
    assert await audit_actions() == [Action.SIGN_IN_FAILED.value] * 2


async def test_five_failures_for_a_name_throttle_it_from_anywhere_without_checking(
    visit: Callable[..., Any], owner_account: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        async with visit(f"10.0.0.{n + 1}") as guesser:
            assert (await guesser.sign_in(OWNER_NAME, f"guess number {n}")).status_code == 401

    def no_hashing(*_: object) -> str:
        raise AssertionError("a throttled attempt must not check the password")

    monkeypatch.setattr(BaseUser, "hash_password", no_hashing)
    before = REGISTRY.get_sample_value("shop_sign_in_throttles_total") or 0
    async with visit("10.9.9.9") as owner:
        throttled = await owner.sign_in()  # even the right password, from a new address
    assert throttled.status_code == 429
    assert REGISTRY.get_sample_value("shop_sign_in_throttles_total") == before + 1
    assert 1 <= int(throttled.headers["retry-after"]) <= 15 * 60
    assert "Too many failed sign-ins" in throttled.text
    assert "owner" not in throttled.cookies
    assert (await audit_actions())[-1] == Action.SIGN_IN_THROTTLED.value


async def test_five_failures_from_an_address_throttle_every_name_from_it(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit("10.1.1.1") as guesser:
        for n in range(5):
            assert (await guesser.sign_in(f"name-{n}", "a wrong password")).status_code == 401
        assert (await guesser.sign_in()).status_code == 429
    async with visit("10.2.2.2") as owner:  # the owner elsewhere is not locked out
        assert (await owner.sign_in()).status_code == 303


async def test_a_burst_of_guesses_at_once_gets_no_more_than_five_checked(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit("10.3.3.3") as guesser:
        await guesser.page("/owner/login")

        async def guess(n: int) -> int:
            data = {"username": OWNER_NAME, "password": f"guess {n}", "_csrf_token": guesser.csrf}
            return (await guesser.http.post("/owner/login", data=data)).status_code

        statuses = await asyncio.gather(*(guess(n) for n in range(12)))
    assert sorted(statuses).count(401) == 5 and statuses.count(429) == 7


async def test_the_failures_expire_after_fifteen_minutes(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit() as owner:
        for _ in range(5):
            await owner.sign_in(OWNER_NAME, "a wrong password")
        assert (await owner.sign_in()).status_code == 429
        await SignInAttempt.update({SignInAttempt.at: utcnow() - timedelta(minutes=16)}, force=True)
        assert (await owner.sign_in()).status_code == 303


async def test_a_password_hash_runs_off_the_event_loop(
    visit: Callable[..., Any],
    owner_account: int,
    store_client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    hashing, shop_answered = asyncio.Event(), threading.Event()
    answered_meanwhile: list[bool] = []
    real = BaseUser.hash_password.__func__  # type: ignore[attr-defined]

    def observed(cls: type[BaseUser], password: str, salt: str = "", iterations: Any = None) -> str:
        loop.call_soon_threadsafe(hashing.set)
        # Held until the shop has answered: on the loop's own thread that can never happen.
        answered_meanwhile.append(shop_answered.wait(timeout=5))
        return str(real(cls, password, salt, iterations))

    monkeypatch.setattr(BaseUser, "hash_password", classmethod(observed))
    async with visit() as owner:
        await owner.page("/owner/login")
        data = {"username": OWNER_NAME, "password": OWNER_PASSWORD, "_csrf_token": owner.csrf}
        signing_in = asyncio.create_task(owner.http.post("/owner/login", data=data))
        await hashing.wait()
        shop = await store_client.get("/")
        shop_answered.set()
        assert shop.status_code == 200
        assert (await signing_in).status_code == 303
    assert answered_meanwhile == [True]


async def test_every_sign_in_replaces_the_session_id(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit() as owner:
        owner.http.cookies.set(
            "owner", "chosen-by-an-attacker-0123456789abcdef", domain="127.0.0.1", path="/owner"
        )
        assert (await owner.page("/owner/")).status_code == 303  # a planted id is nobody's
        await owner.sign_in()
        first = owner.http.cookies["owner"]
        assert first != "chosen-by-an-attacker-0123456789abcdef"
        await owner.sign_in()
        assert owner.http.cookies["owner"] != first


async def test_signing_out_ends_the_session_so_a_replayed_cookie_fails(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit() as owner:
        await owner.sign_in()
        token = owner.http.cookies["owner"]
        async with visit() as copy:  # the same cookie in another browser works, for now
            copy.http.cookies.set("owner", token, domain="127.0.0.1", path="/owner")
            assert (await copy.page("/owner/")).status_code == 200
        await owner.page("/owner/")
        out = await owner.post("/owner/logout")
        assert (out.status_code, out.headers["location"]) == (303, "/owner/login")
        assert await OwnerSession.count() == 0
    async with visit() as replay:
        replay.http.cookies.set("owner", token, domain="127.0.0.1", path="/owner")
        assert (await replay.page("/owner/")).status_code == 303
    assert await audit_actions() == [Action.SIGNED_IN.value, Action.SIGNED_OUT.value]


async def test_a_password_change_ends_the_sessions_from_before_it(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit() as owner:
        await owner.sign_in()
        await change_password(OWNER_NAME, "a brand new passphrase")
        assert (await owner.page("/owner/")).status_code == 303
        assert (await owner.sign_in()).status_code == 401  # the old password is gone too
        assert (await owner.sign_in(OWNER_NAME, "a brand new passphrase")).status_code == 303


@pytest.mark.parametrize(
    ("created", "seen", "live"),
    [
        (timedelta(hours=3), timedelta(hours=1, minutes=59), True),
        (timedelta(hours=3), timedelta(hours=2, minutes=1), False),  # idle for over 2 hours
        (timedelta(hours=12, minutes=1), timedelta(minutes=1), False),  # over 12 hours old
    ],
)
async def test_sessions_expire_when_idle_and_when_old(
    visit: Callable[..., Any],
    owner_account: int,
    created: timedelta,
    seen: timedelta,
    live: bool,
) -> None:
    async with visit() as owner:
        await owner.sign_in()
        now = utcnow()
        await OwnerSession.update(
            {OwnerSession.created_at: now - created, OwnerSession.seen_at: now - seen}, force=True
        )
        assert (await owner.page("/owner/")).status_code == (200 if live else 303)


async def test_a_deactivated_owner_is_signed_out(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit() as owner:
        await owner.sign_in()
        await BaseUser.update({BaseUser.active: False}, force=True)
        assert (await owner.page("/owner/")).status_code == 303
        assert (await owner.sign_in()).status_code == 401


async def test_owner_forms_need_the_csrf_token(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit() as owner:
        await owner.page("/owner/login")
        data = {"username": OWNER_NAME, "password": OWNER_PASSWORD}
        assert (await owner.http.post("/owner/login", data=data)).status_code == 403
        await owner.sign_in()
        assert (await owner.http.post("/owner/logout")).status_code == 403
        assert (await owner.page("/owner/")).status_code == 200  # still signed in


async def test_owner_answers_are_never_cached_or_indexed(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit() as owner:
        answers = [await owner.page("/owner/login"), await owner.page("/owner/")]
        await owner.sign_in()
        for path in ("/owner/", "/owner/orders", "/owner/orders/999999", "/owner/orders?status=x"):
            answers.append(await owner.page(path))
    assert [a.status_code for a in answers] == [200, 303, 200, 200, 404, 400]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store"
        assert "noindex" in answer.headers["x-robots-tag"]
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert "unsafe-inline" not in answer.headers["content-security-policy"]


def carry_device_cookie(source: Any, target: Any) -> None:
    """The same browser on another network: its cookies go with it."""
    for cookie in source.http.cookies.jar:
        target.http.cookies.set(cookie.name, cookie.value, domain=cookie.domain, path=cookie.path)


async def guess_from_strangers(visit: Callable[..., Any], times: int = 5) -> list[int]:
    """Wrong passwords for the owner, each from a new browser at a new address."""
    statuses = []
    for n in range(1, times + 1):
        async with visit(f"10.66.0.{n}") as stranger:
            statuses.append((await stranger.sign_in(OWNER_NAME, f"guess {n}")).status_code)
    return statuses


async def test_strangers_failures_never_lock_out_a_browser_that_signed_in_before(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit("10.5.5.5") as known:
        assert (await known.sign_in()).status_code == 303
    assert await guess_from_strangers(visit) == [401] * 5
    async with visit("10.9.9.9") as unknown:  # a new browser is still held back
        assert (await unknown.sign_in()).status_code == 429
    async with visit("10.7.7.7") as moved:  # the owner's own browser, on another network
        carry_device_cookie(known, moved)
        answer = await moved.sign_in()
        assert answer.status_code == 303, answer.headers.get("retry-after")
        assert (await moved.page("/owner/")).status_code == 200
    # Sent only to the sign-in form's post, never readable by a script.
    [device] = [v for v in known.http.cookies.jar if v.name == "owner-device"]
    assert device.path == "/owner/login" and device.has_nonstandard_attr("HttpOnly")


async def test_a_known_browser_is_throttled_on_its_own(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit("10.5.5.5") as known, visit("10.5.5.6") as other_known:
        assert (await known.sign_in()).status_code == 303
        assert (await other_known.sign_in()).status_code == 303
        for _ in range(5):
            assert (await known.sign_in(OWNER_NAME, "a wrong password")).status_code == 401
        throttled = await known.sign_in()
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["retry-after"]) <= 15 * 60
        # Its failures hold back neither the owner's other browser nor a new one.
        assert (await other_known.sign_in()).status_code == 303
    async with visit("10.8.8.8") as unknown:
        assert (await unknown.sign_in()).status_code == 303


async def test_a_device_cookie_counts_only_for_its_name_and_only_when_genuine(
    visit: Callable[..., Any], owner_account: int
) -> None:
    await add_owner("bob", OWNER_PASSWORD)
    async with visit("10.5.5.5") as bobs:
        assert (await bobs.sign_in("bob", OWNER_PASSWORD)).status_code == 303
    assert await guess_from_strangers(visit) == [401] * 5
    async with visit("10.7.7.7") as borrowed:  # bob's browser cookie does not vouch for alice
        carry_device_cookie(bobs, borrowed)
        assert (await borrowed.sign_in()).status_code == 429
    async with visit("10.7.7.8") as forged:
        nonce = "A" * 22
        forged.http.cookies.set(
            "owner-device", f"{nonce}.{'0' * 64}", domain="127.0.0.1", path="/owner/login"
        )
        assert (await forged.sign_in()).status_code == 429


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("/owner/", "div#dashboard"),
        ("/owner/orders", "section#owner-orders"),
        ("/owner/orders/1", "section#owner-order"),
    ],
)
async def test_a_live_re_fetch_does_not_keep_an_idle_session_alive(
    visit: Callable[..., Any], owner_account: int, path: str, source: str
) -> None:
    async with visit() as owner:
        await owner.sign_in()
        idle_since = utcnow() - timedelta(minutes=30)
        await OwnerSession.update({OwnerSession.seen_at: idle_since}, force=True)
        # The page's fragment re-fetching itself because the stream said so: not the owner.
        refetch = {"HX-Request": "true", "HX-Request-Type": "partial", "HX-Source": source}
        assert (await owner.http.get(path, headers=refetch)).status_code in (200, 404)
        [row] = await OwnerSession.select(OwnerSession.seen_at)
        assert row["seen_at"] == idle_since
        # The owner's own request does refresh it.
        assert (await owner.page("/owner/")).status_code == 200
        [row] = await OwnerSession.select(OwnerSession.seen_at)
        assert row["seen_at"] > idle_since + timedelta(minutes=29)


async def test_a_throttled_burst_is_recorded_once_and_old_noise_is_pruned(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit("10.4.4.4") as guesser:
        for n in range(5):
            assert (await guesser.sign_in(OWNER_NAME, f"guess {n}")).status_code == 401
        for n in range(20):
            assert (await guesser.sign_in(OWNER_NAME, f"more {n}")).status_code == 429
    assert await audit_actions() == [Action.SIGN_IN_FAILED.value] * 5 + [
        Action.SIGN_IN_THROTTLED.value
    ]
    # 91 days on, the failures are noise and go at the next sign-in; owners' actions stay.
    await AuditEntry.update({AuditEntry.at: utcnow() - timedelta(days=91)}, force=True)
    await SignInAttempt.delete(force=True)
    async with visit("10.4.4.5") as owner:
        assert (await owner.sign_in()).status_code == 303
    assert await audit_actions() == [Action.SIGNED_IN.value]
    assert await AuditEntry.count().where(AuditEntry.action == Action.OWNER_ADDED.value) == 1


async def test_a_worker_hashes_one_password_at_a_time(
    visit: Callable[..., Any], owner_account: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock, running, most = threading.Lock(), [0], [0]

    def slow(*_: object) -> str:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return "not a match"

    monkeypatch.setattr(BaseUser, "hash_password", slow)

    async def guess(n: int) -> int:
        async with visit(f"10.33.{n}.1") as guesser:
            return (await guesser.sign_in(f"name-{n}", "a wrong password")).status_code

    # Guesses from many addresses at once queue for the worker's one hashing thread.
    assert await asyncio.gather(*(guess(n) for n in range(4))) == [401] * 4
    assert most[0] == 1


# --- one network, one budget --------------------------------------------------------------------


async def test_twenty_addresses_of_one_network_are_throttled_as_one(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit("10.88.0.200") as known:  # the owner's own browser, on that network
        assert (await known.sign_in()).status_code == 303
    statuses = []
    for host in range(1, 21):  # 20 addresses of one /24, 5 made-up names each
        async with visit(f"10.88.0.{host}") as guesser:
            for n in range(5):
                answer = await guesser.sign_in(f"name-{host}-{n}", "a wrong password")
                statuses.append(answer.status_code)
    # Each address alone stays under its own limit: the network's budget is what holds them.
    assert (statuses.count(401), statuses.count(429)) == (NETWORK_FAILURES, 100 - NETWORK_FAILURES)
    async with visit("10.88.0.250") as stranger:  # a new browser on that network waits too
        assert (await stranger.sign_in()).status_code == 429
    async with visit("10.88.1.7") as neighbour:  # the next /24 is another network
        assert (await neighbour.sign_in("someone", "a wrong password")).status_code == 401
    async with visit("10.88.0.201") as moved:  # the known browser is never held back
        carry_device_cookie(known, moved)
        assert (await moved.sign_in()).status_code == 303


async def test_an_ipv6_network_is_its_64(visit: Callable[..., Any], owner_account: int) -> None:
    for host in range(1, NETWORK_FAILURES + 1):
        async with visit(f"2001:db8:0:1::{host:x}") as guesser:
            assert (await guesser.sign_in(f"name-{host}", "wrong")).status_code == 401
    async with visit("2001:db8:0:1:ffff::1") as same_64:
        assert (await same_64.sign_in("another", "wrong")).status_code == 429
    async with visit("2001:db8:0:2::1") as next_64:
        assert (await next_64.sign_in("another", "wrong")).status_code == 401


def test_networks_are_a_24_and_a_64() -> None:
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("::ffff:203.0.113.77") == "203.0.113.0/24"  # IPv4 in IPv6 clothing
    assert network_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert network_of("testclient") == "testclient"


# --- what the trail keeps of a sign-in ----------------------------------------------------------


async def rows_holding(text: str) -> list[str]:
    """Every row of every store table whose values hold `text`, as table names."""
    found = []
    for table in BOUND_TABLES:
        for row in await table.select():
            if any(text in str(value) for value in row.values()):
                found.append(table._meta.tablename)
    return found


async def test_a_name_no_owner_has_is_kept_only_as_a_keyed_hash(
    visit: Callable[..., Any], owner_account: int
) -> None:
    for n in range(5):  # a password typed into the name field, from five addresses
        async with visit(f"10.21.{n}.1") as owner:
            answer = await owner.sign_in("hunter2-password", "alice's password, misplaced")
            assert answer.status_code == 401
    assert await rows_holding("hunter2") == []
    failed = await AuditEntry.select().where(AuditEntry.action == Action.SIGN_IN_FAILED.value)
    assert len({row["actor"] for row in failed}) == 1
    assert failed[0]["actor"].startswith("(unknown ") and failed[0]["actor_id"] is None
    # One name's guesses still add up, wherever they come from.
    async with visit("10.21.9.1") as sixth:
        assert (await sixth.sign_in("hunter2-password", "again")).status_code == 429
    assert await rows_holding("hunter2") == []


async def test_sign_ins_and_owner_actions_keep_the_owners_id_session_and_address(
    visit: Callable[..., Any], owner_account: int
) -> None:
    async with visit("10.12.0.5") as owner:
        assert (await owner.sign_in()).status_code == 303
        token = owner.http.cookies["owner"]
        assert (await owner.page("/owner/orders.csv")).status_code == 200
        await owner.page("/owner/")
        assert (await owner.post("/owner/logout")).status_code == 303
    async with visit("10.12.0.6") as guesser:
        assert (await guesser.sign_in(OWNER_NAME, "a wrong password")).status_code == 401
    rows = await (
        AuditEntry.select()
        .where(AuditEntry.action != Action.OWNER_ADDED.value)
        .order_by(AuditEntry.id)
    )
    kept = [
        (r["action"], r["actor"], r["actor_id"], r["session_id"] is not None, r["address"])
        for r in rows
    ]
    assert kept == [
        ("signed_in", OWNER_NAME, owner_account, True, "10.12.0.5"),
        ("exported", OWNER_NAME, owner_account, True, "10.12.0.5"),
        ("signed_out", OWNER_NAME, owner_account, True, "10.12.0.5"),
        ("sign_in_failed", OWNER_NAME, owner_account, False, "10.12.0.6"),
    ]
    assert len({r["session_id"] for r in rows[:3]}) == 1  # one session, named by its row's id
    assert all(token not in str(r) for r in rows)  # never the cookie itself
