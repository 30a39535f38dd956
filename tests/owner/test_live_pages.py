"""The owner's pages as their live streams re-fetch them: fragments, and "no change" answers."""

from __future__ import annotations

import re

from tests.support.checkout import Shopper
from tests.support.http import HTMX
from tests.support.owner import OwnerBrowser, paid_order


async def test_each_owner_page_connects_to_the_owners_stream(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper)
    for path, stream in [
        ("/owner/", "/owner/live?since="),
        ("/owner/orders?status=paid", "/owner/live?since="),
        (f"/owner/orders/{order_id}", f"/owner/live?order={order_id}&amp;since="),
    ]:
        page = await owner.page(path)
        assert f'<div id="live" hidden hx-sse:connect="{stream}' in page.text, path


async def test_the_dashboard_and_the_list_re_fetch_as_fragments(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper)
    board = await owner.http.get("/owner/", headers=HTMX)
    assert board.text.lstrip().startswith('<div id="dashboard" hx-get="/owner/"')
    assert f'data-order-id="{order_id}"' in board.text and "<html" not in board.text
    listed = await owner.http.get(
        f"/owner/orders?status=paid&q=&before={order_id + 1}", headers=HTMX
    )
    # It re-fetches itself with the filter it was shown with, and that URL is one it answers.
    here = f"/owner/orders?status=paid&amp;before={order_id + 1}"
    trigger = "orders-changed from:#live, signed-out from:#live"
    assert f'hx-get="{here}" hx-trigger="{trigger}"' in listed.text
    again = await owner.http.get(here.replace("&amp;", "&"), headers=HTMX)
    assert again.status_code == 200 and f'data-order-id="{order_id}"' in again.text


async def test_an_order_page_re_fetch_answers_204_while_the_order_is_as_shown(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper)
    page = await owner.page(f"/owner/orders/{order_id}")
    match = re.search(rf'hx-get="(/owner/orders/{order_id}\?seen=\d+)"', page.text)
    assert match, "the order panel does not re-fetch itself"
    unchanged = await owner.http.get(match.group(1), headers=HTMX)
    # As shown: nothing to swap, so the owner's notice and half-typed refund stay.
    assert (unchanged.status_code, unchanged.text) == (204, "")

    refund = await owner.http.post(
        f"/owner/orders/{order_id}/refund",
        data={"amount": "1.00", "form_token": "t" * 16, "_csrf_token": owner.csrf},
        headers=HTMX,
    )
    assert refund.status_code == 200, refund.text
    changed = await owner.http.get(match.group(1), headers=HTMX)
    assert changed.status_code == 200
    assert changed.text.lstrip().startswith('<section id="owner-order"')
    assert 'data-refunded-cents="100"' in changed.text
    bad = await owner.http.get(f"/owner/orders/{order_id}?seen=abc", headers=HTMX)
    assert bad.status_code == 400
