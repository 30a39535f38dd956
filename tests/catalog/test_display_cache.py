"""The cart display's product cache: a price edit shows within DISPLAY_TTL_SECONDS, not later."""

from __future__ import annotations

import httpx
import pytest

from app.catalog import service
from app.catalog.tables import Product


async def test_a_price_edit_shows_once_the_cache_lapses(
    store_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(service, "_clock", lambda: clock[0])
    service.forget_displayed_products()
    assert 'data-unit-price-cents="1800"' in (await store_client.get("/")).text

    await Product.update({Product.price_cents: 2100}).where(Product.sku == "mug-350")
    clock[0] += service.DISPLAY_TTL_SECONDS - 0.1
    assert 'data-unit-price-cents="1800"' in (await store_client.get("/")).text  # the allowed lag
    clock[0] += 0.2
    assert 'data-unit-price-cents="2100"' in (await store_client.get("/")).text


async def test_seeding_forgets_the_cached_products() -> None:
    await service.displayed_products()
    await Product.update({Product.price_cents: 2100}).where(Product.sku == "mug-350")
    await service.seed_products()
    prices = {p.sku: p.price_cents for p in await service.displayed_products()}
    assert prices["mug-350"] == 2100
