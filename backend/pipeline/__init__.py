"""Pipelines: a request becomes a plan, attempts, evaluations and, once accepted, a version."""
