"""Deploying in a test the way the CLI does: the deploy job is asked for with `here=True`
and run in the test's process (`backend.objects.deploy.run_here`), so every deployment a
test makes goes through the one deploy path, with its Task row, as a worker would run it."""

from __future__ import annotations

from backend.access.audit import Actor
from backend.models import Deployment
from backend.objects import deploy


def deploy_now(
    slug: str, *, actor: Actor, number: int | None = None, restore: bool = False
) -> Deployment:
    """Deploy version `number` (default: the current one; with `restore`, roll back to it)
    and wait for the job; its Deployment, live or failed."""
    task = deploy.request_deploy(slug, actor=actor, number=number, restore=restore, here=True)
    return deploy.run_here(int(task.id))
