"""The Reflex web app: `app.app` builds rx.App, `app.pages` holds one module per page."""
