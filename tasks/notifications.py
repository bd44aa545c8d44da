"""Notification jobs: a thin wrapper that sends one queued Notification."""

from __future__ import annotations

from typing import Any

from backend.channels import delivery
from backend.enums import JobKind
from tasks.base import Job, job_task


# Safe to run again: delivery skips a notification that was already sent or given up on.
@job_task(JobKind.NOTIFICATION_SEND, idempotent=True)
def send_notification(job: Job) -> dict[str, Any]:
    """Send the notification named in the job's params, with retries; its row says how."""
    return delivery.deliver(int(job.params["notification_id"]))
