"""Reusable UI pieces, free of business logic; they take Vars and render them."""
