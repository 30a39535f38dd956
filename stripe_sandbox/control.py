"""Test-only controls (only SandboxPlugin(testing=True) mounts them): faults, expiry, deliveries."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from litestar import get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from stripe_sandbox.database import now
from stripe_sandbox.runtime import SandboxDep
from stripe_sandbox.settings import Faults
from stripe_sandbox.tables import SandboxEvent, SandboxSession


@put("/_sandbox/faults", exclude_from_csrf=True, cache=False)
async def set_faults(data: Faults, sandbox: SandboxDep) -> dict[str, Any]:
    """Replace the faults: any field left out returns to its default."""
    sandbox.faults = data
    return asdict(data)


@post("/_sandbox/sessions/{session_id:str}/backdate", exclude_from_csrf=True, cache=False)
async def backdate_session(session_id: FromPath[str]) -> dict[str, int]:
    """Move an open session's expires_at into the past; the background loop then expires it."""
    rows = (
        await SandboxSession.update({SandboxSession.expires_at: now() - timedelta(seconds=1)})
        .where(SandboxSession.session_id == session_id, SandboxSession.status == "open")
        .returning(SandboxSession.id)
    )
    return {"backdated": len(rows)}


@post("/_sandbox/sessions/{session_id:str}/settle", exclude_from_csrf=True, cache=False)
async def settle_session(session_id: FromPath[str]) -> dict[str, int]:
    """Make a delayed payment due now; the background loop then settles it as the buyer chose."""
    rows = (
        await SandboxSession.update({SandboxSession.settle_at: now()})
        .where(SandboxSession.session_id == session_id, SandboxSession.settle_at.is_not_null())
        .returning(SandboxSession.id)
    )
    return {"settling": len(rows)}


@get("/_sandbox/events/{event_id:str}/delivery", exclude_from_csrf=True, cache=False)
async def event_delivery(event_id: FromPath[str]) -> dict[str, Any]:
    row = (
        await SandboxEvent.select(
            SandboxEvent.delivered, SandboxEvent.attempts, SandboxEvent.last_status
        )
        .where(SandboxEvent.event_id == event_id)
        .first()
    )
    if row is None:
        raise NotFoundException()
    pending = await SandboxEvent.exists().where(
        SandboxEvent.event_id == event_id, SandboxEvent.next_attempt_at.is_not_null()
    )
    return {**row, "pending": pending}


@get("/_sandbox/sessions/{session_id:str}/events", exclude_from_csrf=True, cache=False)
async def session_events(session_id: FromPath[str]) -> list[dict[str, Any]]:
    """The session's events, oldest first: read here, the API's injected faults do not apply."""
    rows: list[dict[str, Any]] = (
        await SandboxEvent.select(SandboxEvent.event_id, SandboxEvent.type)
        .where(SandboxEvent.payload.like(f'%"id": "{session_id}"%'))
        .order_by(SandboxEvent.id)
    )
    return [{"id": row["event_id"], "type": row["type"]} for row in rows]


CONTROL_HANDLERS: list[Any] = [
    set_faults,
    backdate_session,
    settle_session,
    event_delivery,
    session_events,
]
