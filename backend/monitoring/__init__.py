"""Watching for events and telling people: monitors' checks, the dispatcher that consumes
each event once, metrics, firings grouped into notifications, and alert calls."""
