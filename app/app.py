"""The Reflex app: pages, plus the product's HTTP API mounted around Reflex's own routes."""

from __future__ import annotations

import reflex as rx

from app import routes
from app.pages.home import home
from app.startup import log_sandbox_tier
from backend.api import create_api
from state.objects import HomeState

app = rx.App(
    # Reflex mounts itself inside this Starlette app, so /api/* routes are served on the
    # same port as the pages and win over Reflex's catch-all.
    api_transformer=create_api(),
)
app.add_page(home, route=routes.HOME, title="Durable objects", on_load=HomeState.load)
app.register_lifespan_task(log_sandbox_tier)
