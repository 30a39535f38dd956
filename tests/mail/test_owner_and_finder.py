"""The owner sees an order's emails and can send one again or give the order a new link;
"Find my orders" emails an address its links, answering the same whether or not it has any."""

from __future__ import annotations

import asyncio
import re

from litestar import Litestar

from app.audit.tables import AuditEntry
from app.mail.tables import Mail
from app.orders.tables import Order
from app.settings import Settings
from tests.support.checkout import Shopper
from tests.support.http import HTMX, browser_like, csrf_token
from tests.support.mail import Sink
from tests.support.owner import OwnerBrowser, paid_order

LINK = re.compile(r"http://[^\s\"<]+(/order/\d+/[A-Za-z0-9_-]+)")
SAID = "If we have orders for that address, the links are on their way."


async def sent(count: int) -> list[dict[str, object]]:
    for _ in range(200):
        rows = await Mail.select().order_by(Mail.id)
        if len(rows) >= count and all(row["state"] == "sent" for row in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(await Mail.select())


async def test_the_owner_sees_the_orders_emails_and_sends_one_again(
    shopper: Shopper, owner: OwnerBrowser, mailbox: Sink
) -> None:
    order_id = await paid_order(shopper)
    [row] = await sent(1)
    page = await owner.page(f"/owner/orders/{order_id}")
    assert f'id="mail-{row["id"]}"' in page.text and 'data-state="sent"' in page.text
    assert str(row["to_address"]) in page.text and "confirmed and paid" in page.text
    again = await owner.post(f"/owner/orders/{order_id}/mail/{row['id']}/again")
    assert again.status_code == 303
    rows = await sent(2)
    assert [r["kind"] for r in rows] == ["confirmed", "confirmed"] and rows[0]["key"] != rows[1][
        "key"
    ]
    await mailbox.wait_for(2)
    ids = {m.message["Message-ID"] for m in mailbox.arrived}
    assert len(ids) == 2  # a new row, a new message (a resend of one row keeps its own id)
    actions = await AuditEntry.select(AuditEntry.action).where(AuditEntry.order_id == order_id)
    assert {"action": "mail_resent"} in actions
    other = await owner.post(f"/owner/orders/{order_id + 1}/mail/{row['id']}/again")
    assert other.status_code == 404


async def test_a_new_link_stops_the_old_one(
    shopper: Shopper, owner: OwnerBrowser, mailbox: Sink, stripe_store: Litestar,
    settings: Settings,
) -> None:  # fmt: skip
    order_id = await paid_order(shopper)
    await mailbox.wait_for(1)
    [old] = set(LINK.findall(mailbox.arrived[0].text))
    async with browser_like(stripe_store, settings.public_url) as stranger:
        assert (await stranger.get(old)).status_code == 200
        await owner.page(f"/owner/orders/{order_id}")
        assert (await owner.post(f"/owner/orders/{order_id}/link")).status_code == 303
        assert (await stranger.get(old)).status_code == 404
    [row] = await Order.select(Order.link_token).where(Order.id == order_id)
    assert row["link_token"] and row["link_token"] not in old
    actions = await AuditEntry.select(AuditEntry.action).where(AuditEntry.order_id == order_id)
    assert {"action": "link_revoked"} in actions


async def test_find_my_orders_sends_the_links_and_answers_the_same_for_strangers(
    shopper: Shopper, mailbox: Sink, stripe_store: Litestar, settings: Settings
) -> None:
    order_id = await paid_order(shopper)
    [row] = await Order.select(Order.buyer_email).where(Order.id == order_id)
    email = str(row["buyer_email"])
    async with browser_like(stripe_store, settings.public_url, client=("10.0.0.9", 1)) as phone:
        csrf = csrf_token((await phone.get("/")).text)
        found, stranger = [
            await phone.post("/orders/find", data={"email": e, "_csrf_token": csrf}, headers=HTMX)
            for e in (email.upper(), "no-orders@example.com")
        ]
        assert found.status_code == stranger.status_code == 200
        assert SAID in found.text and SAID in stranger.text
        assert (await phone.post("/orders/find", data={"email": email})).status_code == 403
    await mailbox.wait_for(2)
    [links] = [m for m in mailbox.to(email) if "Your orders" in m.message["Subject"]]
    [path] = set(LINK.findall(links.text))
    assert path.startswith(f"/order/{order_id}/")
    assert mailbox.to("no-orders@example.com") == []
    async with browser_like(stripe_store, settings.public_url) as fresh:
        assert f'data-order-id="{order_id}"' in (await fresh.get(path)).text


async def test_find_my_orders_is_limited_per_client_and_per_email(
    stripe_store: Litestar, settings: Settings, mailbox: Sink
) -> None:
    async with browser_like(stripe_store, settings.public_url, client=("10.0.0.7", 1)) as one:
        csrf = csrf_token((await one.get("/")).text)
        answers = [
            (
                await one.post(
                    "/orders/find", data={"email": f"a{n}@example.com", "_csrf_token": csrf}
                )
            ).status_code
            for n in range(4)
        ]
        assert answers == [200, 200, 200, 429]
    statuses = []
    for n in range(4):
        async with browser_like(stripe_store, settings.public_url, client=(f"10.1.0.{n}", 1)) as c:
            csrf = csrf_token((await c.get("/")).text)
            data = {"email": "same@example.com", "_csrf_token": csrf}
            statuses.append((await c.post("/orders/find", data=data)).status_code)
    assert statuses == [200, 200, 200, 429]
    async with browser_like(stripe_store, settings.public_url, client=("10.2.0.1", 1)) as bad:
        csrf = csrf_token((await bad.get("/")).text)
        data = {"email": "not an email", "_csrf_token": csrf}
        assert (await bad.post("/orders/find", data=data)).status_code == 422


async def test_the_owner_reads_the_servers_refusal(
    shopper: Shopper, owner: OwnerBrowser, mailbox: Sink
) -> None:
    mailbox.replies[:] = ["550 5.1.1 mailbox unavailable"]
    order_id = await paid_order(shopper)
    for _ in range(200):
        rows = await Mail.select(Mail.state)
        if rows and rows[0]["state"] == "failed":
            break
        await asyncio.sleep(0.05)
    page = await owner.page(f"/owner/orders/{order_id}")
    assert 'data-state="failed"' in page.text
    assert "failed (550 5.1.1 mailbox unavailable)" in page.text
