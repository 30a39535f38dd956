"""What a stranger types into the owner's side and the streams: bad input (4xx), never a 500."""

from __future__ import annotations

import pytest
from litestar import Litestar

from app.settings import Settings
from tests.support.http import browser_like
from tests.support.owner import OwnerBrowser, owner_browser

TOO_BIG = str(2**31)  # one past the largest order id the column holds
SSE = {"accept": "text/html, text/event-stream", "hx-request": "true"}


@pytest.mark.parametrize("name", ["alice\x00", "al\x01ice", "alice\x7f", "\x00"])
async def test_a_control_character_in_the_sign_in_name_is_bad_input(
    store_app: Litestar, settings: Settings, owner_account: int, name: str
) -> None:
    async with owner_browser(store_app, settings) as stranger:
        answer = await stranger.sign_in(name, "whatever it is")
        assert answer.status_code == 400, answer.status_code
        assert "control characters" in answer.text
        assert (await stranger.sign_in()).status_code == 303  # and nothing else is held back


@pytest.mark.parametrize("q", ["a\x00b@example.com", "\x00", "12\x0034", "cs_\x1f"])
async def test_a_control_character_in_the_owner_search_is_bad_input(
    owner: OwnerBrowser, q: str
) -> None:
    answer = await owner.http.get("/owner/orders", params={"q": q})
    assert answer.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        f"/owner/orders/{TOO_BIG}",
        f"/owner/orders/{TOO_BIG}/slip",
        f"/owner/orders?before={TOO_BIG}",
        f"/owner/live?order={TOO_BIG}",
        "/owner/orders/99999999999999999999",
    ],
)
async def test_an_order_id_past_the_columns_range_is_bad_input(
    owner: OwnerBrowser, path: str
) -> None:
    answer = await owner.http.get(path, headers=SSE if "live" in path else {})
    assert answer.status_code == 400, answer.status_code


async def test_posting_to_an_order_id_past_the_range_is_bad_input(owner: OwnerBrowser) -> None:
    await owner.page("/owner/")
    for action in ("refund", "accept", "ship"):
        answer = await owner.post(f"/owner/orders/{TOO_BIG}/{action}", {"amount": "1.00"})
        assert answer.status_code == 400, (action, answer.status_code)


async def test_searching_for_an_order_number_past_the_range_finds_nothing(
    owner: OwnerBrowser,
) -> None:
    answer = await owner.http.get("/owner/orders", params={"q": TOO_BIG})
    assert answer.status_code == 200
    assert 'data-order-id="' not in answer.text


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("?since=9999999999999999", {}),
        ("", {"last-event-id": "9999999999999999"}),
        ("?since=0", {}),
    ],
)
async def test_a_since_far_from_now_is_bounded_and_the_stream_goes_on(
    store_app: Litestar, settings: Settings, query: str, headers: dict[str, str]
) -> None:
    # A visitor with nothing in flight: the stream answers and settles at once.
    async with browser_like(store_app, settings.public_url) as http:
        answer = await http.get(f"/orders/live{query}", headers={**SSE, **headers})
    assert answer.status_code == 200
    assert answer.text.splitlines()[:1] == [": listening"]
    assert "event: settled" in answer.text.splitlines()
