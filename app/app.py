"""The Reflex app: pages, plus the product's HTTP API mounted around Reflex's own routes."""

from __future__ import annotations

import reflex as rx

import backend.assistant  # noqa: F401  (subscribes the assistant's reports to events)
import tasks.dispatch  # noqa: F401  (registers the runner the backend starts its jobs with)
from app.pages import (
    dashboard,
    history,
    interactions,
    login,
    monitor_detail,
    monitors,
    notifications,
    object_detail,
    objects,
    settings,
    tokens,
)
from app.startup import log_sandbox_tier
from backend.api import create_api
from state.push import web_app_pushes

app = rx.App(
    # Reflex mounts itself inside this Starlette app, so /api/* routes are served on the
    # same port as the pages and win over Reflex's catch-all.
    api_transformer=create_api(),
    stylesheets=["/product.css"],
)
for pages in (
    login,
    dashboard,
    objects,
    object_detail,
    history,
    interactions,
    monitors,
    monitor_detail,
    notifications,
    settings,
    tokens,
):
    pages.register(app)
app.register_lifespan_task(log_sandbox_tier)
app.register_lifespan_task(web_app_pushes)
