"""The product's HTTP API: Starlette routes under /api/.

`create_api()` builds a fresh Starlette app each call. The Reflex app passes it as
`rx.App(api_transformer=...)`, which mounts Reflex's own routes inside it (so these routes
win), and tests drive it directly with Starlette's TestClient, without Reflex.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from backend.api import health, manage, objects

API_PREFIX = "/api"


def api_routes() -> list[BaseRoute]:
    """Every route of the API; each module under backend/api contributes its `routes`."""
    return [*health.routes, *manage.routes, *objects.routes]


def create_api() -> Starlette:
    """A new Starlette app serving the API routes."""
    return Starlette(routes=api_routes())


__all__ = ["API_PREFIX", "api_routes", "create_api"]
