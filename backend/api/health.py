"""GET /api/health: is the database there and current, does the broker answer, what's on.

Always answers 200 with a JSON body; "status" is "degraded" when the database or the broker
is not fine. The web app keeps serving pages while Redis is down, so a load balancer should
read the body rather than drop the node on a status code.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.api.errors import guarded
from backend.background.broker import broker_status
from backend.config import get_settings
from backend.db import database_status
from backend.sandbox import sandbox_status


def health_report() -> dict[str, object]:
    """The health document (also usable from the CLI or a task)."""
    database = database_status()
    broker = broker_status()
    healthy = bool(database.get("ok")) and bool(database.get("up_to_date")) and broker["ok"]
    return {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "broker": broker,
        "features": get_settings().features,
        "sandbox": sandbox_status(),
    }


@guarded
async def health(_request: Request) -> JSONResponse:
    """The blocking checks (database connect, broker probe) run in the thread pool, so they
    never stall the event loop that serves the pages."""
    return JSONResponse(await run_in_threadpool(health_report))


routes = [Route("/api/health", health, methods=["GET"])]
