"""Test-only controls (only create_sandbox_app(testing=True) mounts them): faults, expiry."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from litestar import get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from app.sandbox.config import Faults
from app.sandbox.db import now
from app.sandbox.runtime import SandboxDep
from app.sandbox.tables import SandboxEvent, SandboxSession


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


CONTROL_HANDLERS: list[Any] = [set_faults, backdate_session, settle_session, event_delivery]
