"""Reflex State classes: thin, they call backend services and hold what pages show."""
