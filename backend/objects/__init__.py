"""The durable-object store. Entry points live in `backend.objects.store`."""
