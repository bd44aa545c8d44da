"""Reflex configuration.

No db_url: the product's database belongs to `backend.db` (its own engine and migrations).
REFLEX_REDIS_URL, when set (`make run` passes REDIS_URL on as it), moves Reflex's state to
Redis and lets other processes push state changes to open tabs.
"""

import reflex as rx

config = rx.Config(
    app_name="app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
