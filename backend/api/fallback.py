"""What an /api/ path no route serves answers: JSON, never the web app's page.

Reflex is mounted behind the API (see backend/api/__init__.py), so without this a GET on
`/api/objects/x/f` (a POST route) or a mistyped path would get the web app's HTML "404"
page. A known path asked with the wrong method answers 405 with `Allow`; any other path
under /api/ answers 404.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match, Route

from backend.api.errors import json_error

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def allowed_methods(routes: Sequence[BaseRoute], request: Request) -> list[str]:
    """The methods the routes whose path matches this request's accept."""
    methods: set[str] = set()
    for route in routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def fallback_routes(prefix: str, routes: Sequence[BaseRoute]) -> list[Route]:
    """Catch-all routes for `prefix` (and everything under it), to go after `routes`."""

    async def no_route(request: Request) -> JSONResponse:
        allowed = allowed_methods(routes, request)
        path = request.url.path
        if allowed:
            return json_error(
                405,
                f"{path} does not answer {request.method}; it answers {', '.join(allowed)}",
                headers={"Allow": ", ".join(allowed)},
            )
        return json_error(404, f"no API route {path}")

    return [
        Route(prefix, no_route, methods=METHODS),
        Route(prefix + "/{path:path}", no_route, methods=METHODS),
    ]
