"""The three products exist after start-up, and seeding again changes nothing."""

from __future__ import annotations

from app.catalog.service import CATALOG, list_products, seed_products
from app.catalog.tables import Product
from tests.factories import ProductFactory


async def test_seeding_twice_changes_nothing() -> None:
    before = await Product.select().order_by(Product.sku)
    assert await seed_products() == []
    assert await seed_products() == []
    assert await Product.select().order_by(Product.sku) == before
    assert {row["sku"] for row in before} == {p.sku for p in CATALOG}


async def test_seeding_recreates_a_missing_product_only() -> None:
    await Product.delete().where(Product.sku == "mug-350")
    assert await seed_products() == ["mug-350"]
    assert await Product.count() == 3


async def test_an_edited_price_is_not_overwritten() -> None:
    await Product.update({Product.price_cents: 2100}).where(Product.sku == "mug-350")
    await seed_products()
    price = await Product.select(Product.price_cents).where(Product.sku == "mug-350").first()
    assert price == {"price_cents": 2100}


async def test_a_sku_is_unique_in_the_database() -> None:
    product = await ProductFactory.create_async()
    duplicate = ProductFactory.build(sku=product.sku)
    try:
        await duplicate.save()
    except Exception as exc:  # sqlite3.IntegrityError or asyncpg UniqueViolationError
        assert "unique" in str(exc).lower()
    else:
        raise AssertionError("a second product with the same sku was stored")


async def test_products_are_listed_in_the_order_they_were_created() -> None:
    extra = await ProductFactory.create_async()
    skus = [product.sku for product in await list_products()]
    assert skus == [p.sku for p in CATALOG] + [extra.sku]
