"""The product's HTTP API: Starlette routes under /api/.

`create_api()` builds a fresh Starlette app each call. The Reflex app passes it as
`rx.App(api_transformer=...)`, which mounts Reflex's own routes inside it (so these routes
win), and tests drive it directly with Starlette's TestClient, without Reflex.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from backend.api import events, health, manage, objects, openapi, webhooks
from backend.api.fallback import fallback_routes

API_PREFIX = "/api"


def api_routes() -> list[BaseRoute]:
    """Every route of the API; each module under backend/api contributes its `routes`.

    Then come the catch-alls for anything else under /api/ (JSON 404 or 405), so no API
    path falls through to the web app mounted behind, and Twilio's webhooks (/webhooks/).
    """
    routes = [
        *health.routes,
        *openapi.routes,
        *events.routes,
        *manage.routes,
        *objects.routes,
    ]
    return [*routes, *fallback_routes(API_PREFIX, routes), *webhooks.routes]


def create_api() -> Starlette:
    """A new Starlette app serving the API routes."""
    return Starlette(routes=api_routes())


__all__ = ["API_PREFIX", "api_routes", "create_api"]
