"""Telling a person who asked by phone or SMS how their long piece of work ended.

The store and the pipeline don't know that phones exist: they record their events
(`modification.awaiting_approval`, `modification.applied`, `modification.failed`,
`modification.paused`, `object.deployed`, `deployment.failed`), and this module subscribes to
them (`backend.events.activity.subscribe`, at import). A report is written in the transaction that
records the event, so it goes out exactly once, and only if the work's end committed.

The text goes out by the person's preferred channel (a call or an SMS,
`backend.channels.notify`). A change waiting for approval is read out with its scores and
offers "press 1 to approve, 2 to reject" after the PIN; by SMS the next "YES 1234" or
"NO reason" from that number decides it.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from backend.access import audit
from backend.assistant import conversation
from backend.channels import notify, twiml
from backend.enums import (
    Channel,
    DeploymentStatus,
    EventName,
    JobKind,
    ModificationStatus,
    NotificationPurpose,
    TaskStatus,
)
from backend.errors import ProductError
from backend.events import activity
from backend.models import (
    Deployment,
    DurableObject,
    Evaluation,
    Event,
    Modification,
    ObjectVersion,
    Task,
    User,
)

log = logging.getLogger(__name__)

PHONE_CHANNELS = frozenset({Channel.SMS, Channel.VOICE})
#: How long an SMS approval offer waits for "YES 1234" or "NO".
APPROVAL_REPLY_MINUTES = 24 * 60

_STATUS_WORDS = {
    ModificationStatus.PLANNING: "is being planned",
    ModificationStatus.GENERATING: "is being written",
    ModificationStatus.EVALUATING: "is being evaluated",
    ModificationStatus.AWAITING_APPROVAL: "is ready and waiting for approval",
    ModificationStatus.APPROVED: "was approved",
    ModificationStatus.APPLIED: "was applied",
    ModificationStatus.REJECTED: "was rejected",
    ModificationStatus.FAILED: "failed",
    ModificationStatus.PAUSED_BUDGET: "is paused: its language model budget ran out",
}


def describe_modification(modification: Modification) -> str:
    """ "Your change number 7 to Weather widget is being written." and the like."""
    what = "new object" if modification.kind == "create" else "change"
    to = "" if modification.kind == "create" else " to"
    state = _STATUS_WORDS.get(modification.status, modification.status)
    failed = modification.status == ModificationStatus.FAILED and modification.error
    reason = f": {modification.error}" if failed else ""
    return f"Your {what} number {modification.id}{to} {modification.name} {state}{reason}."


#: How many of the newest deploy jobs are looked through for a person's own.
DEPLOYS_LOOKED_AT = 50


def latest_deploy(session: Session, user_id: int, slug: str | None = None) -> Task | None:
    """The newest deploy (or rollback) job this person asked for, of `slug` if given."""
    recent = session.exec(
        select(Task)
        .where(Task.kind == JobKind.OBJECT_DEPLOY)
        .order_by(col(Task.id).desc())
        .limit(DEPLOYS_LOOKED_AT)
    )
    for task in recent:
        params = task.params or {}
        mine = (params.get("by") or {}).get("user_id") == user_id
        if mine and slug in (None, params.get("slug")):
            return task
    return None


def describe_deploy(session: Session, task: Task) -> str:
    """ "Your deploy of Calculator version 2 is live." and the like."""
    params = task.params or {}
    slug = str(params.get("slug", ""))
    obj = session.exec(select(DurableObject).where(DurableObject.slug == slug)).first()
    what = f"{obj.name if obj else slug or 'an object'} version {params.get('version')}"
    if task.status == TaskStatus.SUCCEEDED:
        state = "is live"
    elif task.status == TaskStatus.FAILED:
        reason = ((task.error or "").strip().splitlines() or ["no reason given"])[0][:200]
        state = f"failed: {reason.rstrip('.')}. The live version is unchanged"
    elif task.status == TaskStatus.RUNNING:
        state = f"is running, {task.progress}% done"
    else:
        state = "is waiting to start"
    return f"Your deploy of {what} {state}."


def scores_phrase(session: Session, modification_id: int) -> str:
    """ "Scores: preference 0.82, constraints 0.95, factuality 1.00.", from the last attempt."""
    evaluation = session.exec(
        select(Evaluation)
        .where(Evaluation.modification_id == modification_id)
        .order_by(col(Evaluation.id).desc())
        .limit(1)
    ).first()
    if evaluation is None:
        return ""
    return (
        f"Scores: preference {evaluation.preference_score:.2f}, constraints "
        f"{evaluation.constraints_score:.2f}, factuality {evaluation.factuality_score:.2f}."
    )


def _tell(session: Session, user: User, body: str, asked_by: str, data: dict | None = None) -> None:
    try:
        notify.notify_person(
            session,
            user,
            body=body,
            purpose=NotificationPurpose.RESULT,
            asked_by=Channel(asked_by),
            data=data,
        )
    except ProductError as exc:
        # The result is on the web pages all the same; say why the person wasn't told.
        log.warning("could not tell %s the result: %s", user.email, exc)


#: The ends of a modification's run that its requester is told of.
MODIFICATION_ENDS = (
    EventName.MODIFICATION_AWAITING_APPROVAL,
    EventName.MODIFICATION_APPLIED,
    EventName.MODIFICATION_FAILED,
    EventName.MODIFICATION_PAUSED,
)


def on_modification_end(session: Session, event: Event) -> None:
    """A modification's run ended (see `MODIFICATION_ENDS`): tell whoever asked by phone.

    A change a person applied by approving it is not reported: they were answered.
    """
    if event.name == EventName.MODIFICATION_APPLIED and event.payload.get("actor") != (
        audit.AUTO_APPLY.name
    ):
        return
    report_modification(session, int(event.payload["modification_id"]))


def report_modification(session: Session, modification_id: int) -> None:
    """Tell whoever asked by phone or SMS where their modification is now."""
    modification = session.get(Modification, modification_id)
    if modification is None or modification.channel not in PHONE_CHANNELS:
        return
    user = session.get(User, modification.requested_by_id or -1)
    if user is None:
        return
    body = describe_modification(modification)
    data: dict = {}
    if modification.status == ModificationStatus.AWAITING_APPROVAL:
        summary = (modification.plan or {}).get("summary") or modification.prompt
        body = f"{body} {summary}. {scores_phrase(session, modification_id)}".strip()
        data["twiml"] = twiml.approval_call(user.name, body, modification_id)
        # Told in a call the person is on: decided by saying so, then the PIN.
        data["spoken"] = (
            f"{body} To decide, say approve change {modification_id}, or reject change "
            f"{modification_id}."
        )
        body += " Reply YES and your PIN to approve, or NO and a reason to reject it."
        if user.phone:
            conversation.put(
                session,
                user.phone,
                Channel.SMS,
                conversation.approval_pending(modification_id, modification.name),
                minutes=APPROVAL_REPLY_MINUTES,
            )
    elif modification.status == ModificationStatus.APPLIED and modification.kind == "create":
        body += f" It is a draft: say deploy {modification.name} to put it live."
    _tell(session, user, body, modification.channel, data)


def on_deployment_end(session: Session, event: Event) -> None:
    """A deployment went live or failed: tell whoever asked for its job by phone or SMS.

    Who asked is on the job (`by`), not on the event: a stranded deployment is failed by the
    system, yet the person who asked for it is told.
    """
    deployment = session.get(Deployment, int(event.payload["deployment_id"]))
    if deployment is None or deployment.task_id is None:
        return  # deployed while the caller waited (the CLI, the HTTP API): they saw it
    task = session.get(Task, deployment.task_id)
    by = (task.params or {}).get("by") if task is not None else None
    if by:
        report_deployment(session, by, deployment)


def report_deployment(session: Session, by: dict, deployment: Deployment) -> None:
    """Tell whoever asked for a deployment by phone or SMS whether it went live."""
    if by.get("channel") not in PHONE_CHANNELS or by.get("user_id") is None:
        return
    user = session.get(User, int(by["user_id"]))
    obj = session.get(DurableObject, deployment.object_id)
    version = session.get(ObjectVersion, deployment.version_id)
    if user is None or obj is None or version is None:
        return
    if deployment.status == DeploymentStatus.LIVE:
        body = f"{obj.name} version {version.number} is live."
    else:
        last = (deployment.logs or "").strip().splitlines()[-1:] or ["no log"]
        body = (
            f"Deploying {obj.name} version {version.number} failed: {last[0][:200]}. "
            "The live version is unchanged."
        )
    _tell(session, user, body, by["channel"])


for _end in MODIFICATION_ENDS:
    activity.subscribe(_end, on_modification_end)
for _end in (EventName.OBJECT_DEPLOYED, EventName.DEPLOYMENT_FAILED):
    activity.subscribe(_end, on_deployment_end)
