"""GET /owner/orders.csv: the orders list's filter and search, as a streamed spreadsheet."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from app.orders.tables import OrderStatus
from app.owner.export.service import export_orders
from app.owner.sessions import Owner

SignedInOwner = NamedDependency[Owner]
Search = Annotated[str, QueryParameter(max_length=200)]


@get("/orders.csv")
async def owner_orders_csv(
    owner: SignedInOwner, status: FromQuery[str] = "", q: Search = ""
) -> Stream:
    try:
        wanted = OrderStatus(status) if status else None
    except ValueError:
        raise ValidationException() from None
    return Stream(
        await export_orders(owner, wanted, q),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": 'attachment; filename="orders.csv"',
            "cache-control": "no-store",
        },
    )
