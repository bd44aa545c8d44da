"""The product's logic: importable without Reflex or Celery."""
