"""Background jobs: the Task row's life and the broker's health."""
