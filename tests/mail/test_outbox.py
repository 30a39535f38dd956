"""Emails: written by the arrow in its transaction, once per change, delivered over real SMTP."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time

import aiosmtplib
import pytest
from litestar import Litestar
from prometheus_client import REGISTRY

from app.db import atomic, bound_engine
from app.mail.config import MailSettings
from app.mail.outbox import postbox_for
from app.mail.sender import NO_SERVER, Sender
from app.mail.tables import Mail
from app.orders.lifecycle import take
from app.orders.mailing import order_emails, write_order_mails
from app.orders.tables import Order, OrderStatus
from app.settings import Settings
from tests.support.checkout import Shopper, deliver, order_rows, pay, webhook_for
from tests.support.database import stored_order
from tests.support.http import browser_like
from tests.support.mail import Sink
from tests.support.stripe_sandbox import Receiver, SandboxServer

LINK = re.compile(r"(http://[^\s\"<]+/order/(\d+)/([A-Za-z0-9_-]+))")
MUG = [("mug-350", "Mug", 1400, 1)]


async def paid(shopper: Shopper, sandbox: SandboxServer) -> tuple[str, int]:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    await pay(sandbox, session_id)
    response = await shopper.success(session_id)
    assert response.status_code == 200
    return session_id, (await order_rows())[-1]["id"]


async def mail_rows(**where: object) -> list[dict[str, object]]:
    rows = await Mail.select().order_by(Mail.id)
    return [row for row in rows if all(row[k] == v for k, v in where.items())]


async def settled(seconds: float = 10) -> list[dict[str, object]]:
    """The outbox once nothing in it is waiting to go."""
    for _ in range(int(seconds / 0.05)):
        rows = await mail_rows()
        if all(row["state"] in {"sent", "failed", "not_sent"} for row in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"still waiting: {await mail_rows()}")


async def test_a_paid_order_sends_one_confirmation_whose_link_opens_it_anywhere(
    shopper: Shopper, store_sandbox: SandboxServer, mailbox: Sink, stripe_store: Litestar,
    settings: Settings,
) -> None:  # fmt: skip
    session_id, order_id = await paid(shopper, store_sandbox)
    success = await shopper.success(session_id)
    [shown] = set(LINK.findall(success.text))
    await mailbox.wait_for(1)
    [mail] = mailbox.arrived
    [row] = await Order.select(Order.buyer_email).where(Order.id == order_id)
    assert mail.rcpt_tos == [row["buyer_email"]]
    assert mail.message["Subject"] == f"Order #{order_id} is confirmed"
    assert mail.message["Message-ID"].startswith("<mail-")
    assert "confirmed and paid" in mail.text and "Stoneware mug" in mail.text
    assert "confirmed and paid" in mail.html and "Stoneware mug" in mail.html
    [(link, linked_id, token)] = set(LINK.findall(mail.text))
    assert link == shown[0] and int(linked_id) == order_id
    # A fresh client: no visitor cookie, another device.
    async with browser_like(stripe_store, settings.public_url) as stranger:
        page = await stranger.get(link.removeprefix(settings.public_url))
        assert page.status_code == 200
        assert f'data-order-id="{order_id}"' in page.text and "Paid" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "noindex" in page.headers["x-robots-tag"]
        assert page.headers["referrer-policy"] == "no-referrer"
        assert '<meta name="robots" content="noindex' in page.text
        wrong = await stranger.get(f"/order/{order_id}/{token[:-1]}x")
        assert wrong.status_code == 404
        other = await stored_order("other-order-token", MUG)
        assert (await stranger.get(f"/order/{other}/{token}")).status_code == 404
    assert [row["kind"] for row in await settled()] == ["confirmed"]


async def test_replayed_webhooks_and_the_success_page_make_one_confirmation(
    shopper: Shopper, store_sandbox: SandboxServer, receiver: Receiver, mailbox: Sink
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    await pay(store_sandbox, session_id)
    body, signature = await webhook_for(receiver, "checkout.session.completed", session_id)
    answers = await asyncio.gather(
        *(deliver(shopper.http, body, signature) for _ in range(5)),
        shopper.success(session_id),
        shopper.success(session_id),
    )
    assert all(answer.status_code == 200 for answer in answers)
    rows = await settled()
    assert [(row["kind"], row["state"]) for row in rows] == [("confirmed", "sent")]
    await asyncio.sleep(0.5)
    assert len(mailbox.arrived) == 1


async def test_a_rolled_back_change_writes_no_email(mailbox: Sink) -> None:
    order_id = await stored_order("rollback", MUG, status=OrderStatus.PENDING)
    with pytest.raises(RuntimeError):
        async with atomic():
            assert await take("pay", order_id, {Order.buyer_email: "a@example.com"})
            raise RuntimeError("after the arrow, before the commit")
    assert await mail_rows() == []
    assert (await Order.select(Order.status).where(Order.id == order_id))[0]["status"] == "pending"


async def test_shipping_and_refunds_each_send_once_and_review_tells_only_the_owner(
    mailbox: Sink, stripe_store: Litestar
) -> None:
    order_id = await stored_order("lifecycle", MUG, status=OrderStatus.PENDING, paid_cents=1890)
    buyer = "buyer@example.com"
    await take("pay", order_id, {Order.buyer_email: buyer})
    ship = {Order.carrier: "UPS", Order.tracking_number: "1Z999"}
    assert await take("ship", order_id, ship)
    assert not await take("ship", order_id, ship)
    await take("refund_part", order_id, refunded=500)
    await take("refund_part", order_id, refunded=500)  # the same figure again: no change
    await take("refund_all", order_id, refunded=1890)
    flagged = await stored_order("flagged", MUG, status=OrderStatus.PENDING)
    reason = "Stripe charged $1.00; the order is $18.90."
    await take("flag", flagged, {Order.buyer_email: buyer, Order.review_reason: reason})
    rows = await settled()
    assert [(row["kind"], row["to_address"]) for row in rows] == [
        ("confirmed", buyer), ("shipped", buyer), ("refunded", buyer), ("refunded", buyer),
        ("review", "owner@roastery.test"),
    ]  # fmt: skip
    await mailbox.wait_for(5)
    [shipped] = [m for m in mailbox.arrived if "shipped" in m.message["Subject"]]
    assert "UPS" in shipped.text and "1Z999" in shipped.html
    refunds = [m.text for m in mailbox.arrived if "refund" in m.message["Subject"]]
    assert any("$5.00" in text for text in refunds) and any("$18.90" in text for text in refunds)
    [review] = mailbox.to("owner@roastery.test")
    assert reason in review.text and buyer in review.text


async def test_an_arrow_writes_one_row_and_its_words_come_at_send_with_the_figure_of_then(
    mailbox: Sink, queries: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # This process's senders are not woken by these commits: the rows wait for the round below
    # (or a poll, which words them the same way).
    monkeypatch.setattr(postbox_for(bound_engine()), "wakers", [])
    order_id = await stored_order("words", MUG, status=OrderStatus.PENDING, paid_cents=1890)
    queries.clear()
    await take("pay", order_id, {Order.buyer_email: "words@example.com"})
    # The arrow's transaction: its UPDATE, then the effects; of the outbox, one INSERT without
    # words (nor a read of the order's lines to word it).
    [outbox] = [q for q in queries if "shop_mail" in q]
    assert outbox.lstrip().upper().startswith("INSERT") and "confirmed and paid" not in outbox
    assert not [q for q in queries if "shop_order_line" in q]
    await take("refund_part", order_id, refunded=500)
    await take("refund_all", order_id, refunded=1890)
    # The owner reads them before they go, worded as they will be.
    shown = await order_emails(order_id)
    assert [row["subject"] for row in shown] == [
        f"Order #{order_id} is confirmed", f"Order #{order_id}: your refund",
        f"Order #{order_id}: your refund",
    ]  # fmt: skip
    # Worded after both refunds: each tells of the figure of its own refund, not of the order now.
    sender = Sender(MailSettings(smtp=None), write_order_mails)
    while await sender.round():
        pass
    confirmed, part, full = await settled()
    assert "confirmed and paid" in confirmed["text_body"] and "Mug" in confirmed["html_body"]
    assert "$5.00 in all so far, of $18.90 paid" in part["text_body"]
    assert "refunded in full: $18.90" in full["text_body"]
    assert part["text_body"] == shown[1]["text_body"]


async def test_a_refund_of_an_order_paid_before_amounts_were_kept_tells_of_its_total(
    mailbox: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postbox_for(bound_engine()), "wakers", [])
    order_id = await stored_order("older", MUG, status=OrderStatus.PAID, buyer_email="o@x.test")
    assert (await Order.select(Order.paid_cents).where(Order.id == order_id))[0][
        "paid_cents"
    ] is None
    await take("refund_part", order_id, refunded=500)
    sender = Sender(MailSettings(smtp=None), write_order_mails)
    while await sender.round():
        pass
    [refund] = await settled()
    assert "$5.00 in all so far, of $18.90 paid" in refund["text_body"]


async def test_451_is_retried_until_250_and_550_fails_with_the_servers_answer(
    mailbox: Sink, stripe_store: Litestar
) -> None:
    mailbox.replies[:] = ["451 4.3.0 try later", "451 4.3.0 try later"]
    first = await stored_order("retry", MUG, status=OrderStatus.PENDING)
    await take("pay", first, {Order.buyer_email: "retry@example.com"})
    [row] = await settled(15)
    assert row["state"] == "sent" and row["attempts"] == 3
    assert len(mailbox.to("retry@example.com")) == 1
    mailbox.replies[:] = ["550 5.1.1 no such mailbox"]
    second = await stored_order("refused", MUG, status=OrderStatus.PENDING)
    await take("pay", second, {Order.buyer_email: "nobody@example.com"})
    rows = await settled(15)
    [refused] = [row for row in rows if row["to_address"] == "nobody@example.com"]
    assert refused["state"] == "failed" and "550" in str(refused["last_error"])
    assert mailbox.to("nobody@example.com") == []


async def test_each_failed_try_is_counted_in_the_metrics_once(settings: Settings) -> None:
    # Claimed by this test's lease until long after it ends: no other sender (the live server's
    # polls the same table) can take the row, so the counts are this process's alone.
    [row] = await Mail.insert(
        Mail(key="counted", kind="confirmed", to_address="c@example.com", subject="Counted",
             text_body="t", html_body="h", queued_at=time.time(), due_at=0.0, state="sending",
             lease="mine", lease_until=time.time() + 3600, attempts=1)
    ).returning(*Mail.all_columns())  # fmt: skip

    def failures(outcome: str) -> float:
        sample = REGISTRY.get_sample_value("shop_mail_send_failures_total", {"outcome": outcome})
        return sample or 0.0

    sender = Sender(settings.mail, write_order_mails)
    before = failures("retrying"), failures("failed")
    await sender._failed(row, "mine", aiosmtplib.SMTPResponseException(451, "try later"))
    assert (failures("retrying"), failures("failed")) == (before[0] + 1, before[1])
    await Mail.update({Mail.lease: "mine", Mail.state: "sending"}).where(Mail.id == row["id"])
    await sender._failed(row, "mine", aiosmtplib.SMTPResponseException(550, "no such mailbox"))
    assert (failures("retrying"), failures("failed")) == (before[0] + 1, before[1] + 1)
    [stored] = await mail_rows(key="counted")
    assert stored["state"] == "failed" and "550" in str(stored["last_error"])


async def test_mail_waits_while_the_server_is_down_and_goes_out_when_it_is_back(
    mailbox: Sink, stripe_store: Litestar
) -> None:
    mailbox.stop()
    ids = [await stored_order(f"down-{n}", MUG, status=OrderStatus.PENDING) for n in range(3)]
    for n, order_id in enumerate(ids):
        await take("pay", order_id, {Order.buyer_email: f"down{n}@example.com"})
    await asyncio.sleep(1.5)
    rows = await mail_rows()
    assert len(rows) == 3 and all(row["state"] in {"retrying", "sending"} for row in rows)
    assert any("Connect" in str(row["last_error"]) for row in rows)
    mailbox.start()
    rows = await settled(20)
    assert [row["state"] for row in rows] == ["sent"] * 3
    await mailbox.wait_for(3)
    expected = [f"down{n}@example.com" for n in range(3)]
    assert sorted(m.rcpt_tos[0] for m in mailbox.arrived) == expected


async def test_hostile_names_and_emails_make_well_formed_escaped_mail(
    mailbox: Sink, stripe_store: Litestar
) -> None:
    order_id = await stored_order("hostile", MUG, status=OrderStatus.PENDING)
    name = "<script>alert(1)</script>\r\nBcc: victim@example.com " + "x" * 200
    email = "buyer@example.com\r\nBcc: victim@example.com"
    await take("pay", order_id, {Order.buyer_email: email, Order.ship_name: name})
    await settled()
    await mailbox.wait_for(1)
    [mail] = mailbox.arrived
    assert all("victim" not in rcpt for rcpt in mail.rcpt_tos)
    assert mail.message["Bcc"] is None
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "x" * 200 in mail.text


async def test_without_a_mail_server_each_email_is_logged_and_marked_not_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    order_id = await stored_order("no-server", MUG, status=OrderStatus.PENDING)
    # Written without waking this process's senders, then handled here before their next poll.
    await Mail.insert(
        Mail(key="no-server", order_id=order_id, kind="confirmed", to_address="a@example.com",
             subject="Order is confirmed", text_body="t", html_body="h",
             link="http://shop/order/1/secret", queued_at=0.0, due_at=0.0)
    )  # fmt: skip
    caplog.set_level("INFO", logger="app.mail")
    assert await Sender(MailSettings(smtp=None), write_order_mails).round() == 1
    [row] = await mail_rows()
    assert row["state"] == "not_sent" and row["last_error"] == NO_SERVER
    [line] = [r.getMessage() for r in caplog.records if "not sent" in r.getMessage()]
    assert "Order is confirmed" in line and "http://shop/order/1/secret" in line


async def test_without_a_mail_server_a_batch_keeps_each_email_its_own_words() -> None:
    first = await stored_order("words-1", MUG)
    second = await stored_order("words-2", MUG)
    now = time.time()
    # Two arrows' emails, not yet in words; and one another sender holds (its lease is running).
    await Mail.insert(
        *(Mail(key=f"words-{order_id}", order_id=order_id, kind="confirmed",
               to_address=f"w{order_id}@example.com", subject="", text_body="", html_body="",
               queued_at=now, due_at=0.0) for order_id in (first, second)),
        Mail(key="words-held", order_id=first, kind="shipped", to_address="h@example.com",
             subject="", text_body="", html_body="", queued_at=now, due_at=0.0,
             state="sending", lease="theirs", lease_until=now + 3600),
    )  # fmt: skip
    assert await Sender(MailSettings(smtp=None), write_order_mails).round() == 2
    rows = {row["key"]: row for row in await mail_rows()}
    for order_id in (first, second):
        row = rows[f"words-{order_id}"]
        assert row["state"] == "not_sent" and row["last_error"] == NO_SERVER
        assert row["lease"] is None
        assert row["subject"] == f"Order #{order_id} is confirmed"
        assert f"order #{order_id} is confirmed" in str(row["text_body"])
        assert f"/order/{order_id}/" in str(row["link"]) and row["html_body"]
    held = rows["words-held"]
    assert held["state"] == "sending" and held["lease"] == "theirs" and held["text_body"] == ""


async def test_senders_racing_for_the_same_rows_send_each_once(
    mailbox: Sink, stripe_store: Litestar, settings: Settings
) -> None:
    for n in range(30):
        await Mail.insert(
            Mail(key=f"race-{n}", kind="confirmed", to_address=f"race{n}@example.com",
                 subject=f"Race {n}", text_body="t", html_body="<p>h</p>", queued_at=0.0,
                 due_at=0.0)
        )  # fmt: skip
    senders = [Sender(settings.mail, write_order_mails) for _ in range(4)]
    while await mail_rows(state="queued"):
        await asyncio.gather(*(sender.round() for sender in senders))
    rows = await settled()
    assert [row["state"] for row in rows] == ["sent"] * 30
    await mailbox.wait_for(30)
    await asyncio.sleep(0.5)
    assert sorted(m.message["Subject"] for m in mailbox.arrived) == sorted(
        f"Race {n}" for n in range(30)
    )


async def test_a_row_left_claimed_by_a_dead_sender_goes_out_when_its_lease_expires(
    mailbox: Sink, stripe_store: Litestar
) -> None:
    # What a sender killed between claiming and marking leaves behind: its claim, then nothing.
    await Mail.insert(
        Mail(key="orphan", kind="confirmed", to_address="orphan@example.com", subject="Orphan",
             text_body="t", html_body="h", queued_at=0.0, due_at=0.0, state="sending",
             lease="dead", lease_until=1.0, attempts=1)
    )  # fmt: skip
    [row] = await settled(10)
    assert row["state"] == "sent" and row["attempts"] == 2
    await mailbox.wait_for(1, "orphan@example.com")


async def test_a_server_slower_than_the_timeout_is_tried_again_under_the_same_message_id(
    mailbox: Sink, stripe_store: Litestar
) -> None:
    mailbox.delays[:] = [4.0]  # MAIL_TIMEOUT_SECONDS is 3 in the tests
    order_id = await stored_order("slow", MUG, status=OrderStatus.PENDING)
    await take("pay", order_id, {Order.buyer_email: "slow@example.com"})
    [row] = await settled(20)
    assert row["state"] == "sent" and row["attempts"] == 2
    # The stalled answer may still have been a delivery: the retry is then recognisable.
    await asyncio.sleep(1.5)
    arrived = mailbox.to("slow@example.com")
    assert 1 <= len(arrived) <= 2
    assert len({m.message["Message-ID"] for m in arrived}) == 1


async def test_a_delayed_payment_that_fails_tells_the_buyer_nothing_was_charged(
    mailbox: Sink, stripe_store: Litestar
) -> None:
    order_id = await stored_order("delayed", MUG, status=OrderStatus.PROCESSING)
    given_up = await stored_order("no-session", MUG, status=OrderStatus.PENDING)
    await take("fail", order_id, {Order.buyer_email: "late@example.com"})
    await take("give_up", given_up)  # no payment was ever tried: nobody to tell
    rows = await settled()
    assert [(row["kind"], row["order_id"]) for row in rows] == [("payment_failed", order_id)]
    await mailbox.wait_for(1, "late@example.com")
    [mail] = mailbox.arrived
    assert "Nothing was charged" in mail.text and "Nothing was charged" in mail.html


async def test_the_owner_hears_of_each_sale_only_when_asked(
    mailbox: Sink, stripe_store: Litestar
) -> None:
    postbox = postbox_for(bound_engine())
    quiet = postbox.site
    first = await stored_order("sale-quiet", MUG, status=OrderStatus.PENDING)
    await take("pay", first, {Order.buyer_email: "quiet@example.com"})
    postbox.site = dataclasses.replace(quiet, owner_hears_of_sales=True)  # OWNER_EMAIL_SALES=on
    try:
        second = await stored_order("sale-told", MUG, status=OrderStatus.PENDING)
        await take("pay", second, {Order.buyer_email: "told@example.com"})
    finally:
        postbox.site = quiet
    rows = await settled()
    assert [(row["order_id"], row["kind"]) for row in rows] == [
        (first, "confirmed"), (second, "confirmed"), (second, "sale"),
    ]  # fmt: skip
    await mailbox.wait_for(1, "owner@roastery.test")
    [sale] = mailbox.to("owner@roastery.test")
    assert sale.message["Subject"] == f"Order #{second} is paid: $18.90"
    assert "told@example.com" in sale.text
