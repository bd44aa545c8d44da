"""The command line: a door onto the backend services (`python -m backend ...`)."""
