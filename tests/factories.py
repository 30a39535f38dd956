"""Test data through polyfactory: a small factory base for Piccolo tables, which it lacks."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from piccolo.columns import Column, ForeignKey, Serial
from piccolo.table import Table
from polyfactory.factories.base import BaseFactory
from polyfactory.field_meta import FieldMeta
from polyfactory.persistence import AsyncPersistenceProtocol

from app.catalog.tables import Product

T = TypeVar("T", bound=Table)


class _SaveRow(AsyncPersistenceProtocol[T]):
    async def save(self, data: T) -> T:
        await data.save()
        return data

    async def save_many(self, data: list[T]) -> list[T]:
        for row in data:
            await row.save()
        return data


class PiccoloFactory(Generic[T], BaseFactory[T]):
    """Builds rows from the columns' Python types; create_async() saves them."""

    __is_base_factory__ = True
    __async_persistence__ = _SaveRow
    __column_types__: ClassVar[dict[str, Any]] = {}

    @classmethod
    def is_supported_type(cls, value: Any) -> bool:
        return isinstance(value, type) and issubclass(value, Table)

    @classmethod
    def get_model_fields(cls) -> list[FieldMeta]:
        fields = []
        for column in cls.__model__._meta.columns:
            if isinstance(column, Serial | ForeignKey):
                continue
            annotation = cls.__column_types__.get(column._meta.name, _python_type(column))
            fields.append(FieldMeta.from_type(annotation=annotation, name=column._meta.name))
        return fields


def _python_type(column: Column) -> Any:
    value_type = column.value_type
    return value_type | None if column._meta.null else value_type


class ProductFactory(PiccoloFactory[Product]):
    __model__ = Product

    @classmethod
    def sku(cls) -> str:
        return f"sku-{cls.__faker__.unique.bothify('????-####').lower()}"

    @classmethod
    def price_cents(cls) -> int:
        return cls.__random__.randint(1, 100_000)

    @classmethod
    def currency(cls) -> str:
        return "usd"

    @classmethod
    def name(cls) -> str:
        return cls.__faker__.catch_phrase()[:100]

    # Made to order and on sale, as the catalogue's own products start.
    @classmethod
    def on_hand(cls) -> None:
        return None

    @classmethod
    def held(cls) -> int:
        return 0

    @classmethod
    def on_sale(cls) -> bool:
        return True
