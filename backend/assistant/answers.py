"""Questions answered from the database at once: a sentence to speak and a text to send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.commands.wording import condition_phrase
from backend.enums import EventName, ObjectKind, QuerySubject, TaskStatus
from backend.models import DurableObject, Event, Task, User, utcnow
from backend.monitoring import monitors

Answer = tuple[str, str]  # (spoken sentence, longer text for SMS)
LISTED = 5


def _count(session: Session, statement) -> int:
    return int(session.exec(statement).one())


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def users_count(session: Session, user: User) -> Answer:
    count = _count(session, select(func.count()).select_from(User))
    say = f"There {'is' if count == 1 else 'are'} {_plural(count, 'user')}."
    return say, say


def users_latest(session: Session, user: User) -> Answer:
    newest = list(session.exec(select(User).order_by(col(User.created_at).desc()).limit(LISTED)))
    if not newest:
        return "Nobody has signed up yet.", "Nobody has signed up yet."
    names = ", ".join(person.name for person in newest[:3])
    say = f"The latest sign-ups are {names}."
    lines = [f"{p.name} <{p.email}> {p.created_at:%Y-%m-%d %H:%M} UTC" for p in newest]
    return say, "Latest sign-ups:\n" + "\n".join(lines)


def payments_status(session: Session, user: User) -> Answer:
    since = utcnow() - timedelta(hours=24)
    recent = select(Event).where(col(Event.created_at) >= since)
    failed = list(session.exec(recent.where(Event.name == EventName.PAYMENT_FAILED)))
    succeeded = _count(
        session,
        select(func.count())
        .select_from(Event)
        .where(Event.name == EventName.PAYMENT_SUCCEEDED, col(Event.created_at) >= since),
    )
    if not failed and not succeeded:
        say = "No payments were reported in the last 24 hours."
        return say, say
    say = (
        f"In the last 24 hours {_plural(succeeded, 'payment')} went through and "
        f"{len(failed)} failed."
    )
    if failed:
        last = max(failed, key=lambda event: event.created_at).payload
        amount = " ".join(str(last.get(key, "")) for key in ("amount", "currency")).strip()
        who = last.get("customer") or "a customer"
        reason = last.get("reason") or "no reason given"
        say += f" The last failure was {amount or 'a payment'} from {who}: {reason}."
    return say, say


def objects_list(session: Session, user: User) -> Answer:
    objects = list(
        session.exec(
            select(DurableObject)
            .where(DurableObject.kind != ObjectKind.MONITOR)  # a monitor's check is internal
            .order_by(col(DurableObject.name))
        )
    )
    if not objects:
        say = "There are no objects yet. Say create, and what it should do."
        return say, say

    def state(obj: DurableObject) -> str:
        live = f"live v{obj.deployed_version}" if obj.deployed_version else "not deployed"
        return f"{obj.name} ({live}, latest v{obj.current_version})"

    names = ", ".join(obj.name for obj in objects[:LISTED])
    more = f" and {len(objects) - LISTED} more" if len(objects) > LISTED else ""
    say = f"There {'is' if len(objects) == 1 else 'are'} {_plural(len(objects), 'object')}: "
    return say + names + more + ".", "Objects:\n" + "\n".join(state(obj) for obj in objects)


def monitors_list(session: Session, user: User) -> Answer:
    mine = monitors.monitors_of(session, user.id)
    if not mine:
        say = "You have no monitors. Say, for example, call me when a new user signs up."
        return say, say
    # Numbered, so "pause monitor 3" can follow; how each tells them, as the person says it.
    phrases = [
        f"number {m.id}, by {monitors.by_channel(m.channel)} when "
        f"{condition_phrase(m.event_name, m.condition)}" + ("" if m.active else " (paused)")
        for m in mine
    ]
    more = f"; and {len(mine) - LISTED} more" if len(mine) > LISTED else ""
    say = f"You have {_plural(len(mine), 'monitor')}: " + "; ".join(phrases[:LISTED]) + more
    say += ". Say pause, resume or delete and its number to change one."
    return say, "Your monitors:\n" + "\n".join(phrases) + (
        "\nReply PAUSE, RESUME or DELETE and a number to change one."
    )


def tasks_latest(session: Session, user: User) -> Answer:
    task = session.exec(select(Task).order_by(col(Task.id).desc()).limit(1)).first()
    if task is None:
        say = "No background tasks have run yet."
        return say, say
    if task.status == TaskStatus.RUNNING:
        state = f"is running, {task.progress}% done: {task.message}"
    elif task.status == TaskStatus.FAILED:
        state = f"failed: {(task.error or '').splitlines()[0][:200]}"
    else:
        state = f"{task.status}: {task.message}"
    say = f"The latest task, {task.kind} number {task.id}, {state}."
    return say, say


def system_status(session: Session, user: User) -> Answer:
    hour_ago = utcnow() - timedelta(hours=1)
    running = _count(
        session, select(func.count()).select_from(Task).where(Task.status == TaskStatus.RUNNING)
    )
    failed = _count(
        session,
        select(func.count())
        .select_from(Task)
        .where(Task.status == TaskStatus.FAILED, col(Task.finished_at) >= hour_ago),
    )
    live = _count(
        session,
        select(func.count())
        .select_from(DurableObject)
        .where(col(DurableObject.deployed_version).is_not(None)),
    )
    health = "All is well." if not failed else "Something needs a look."
    say = (
        f"{health} {_plural(live, 'object')} live, {_plural(running, 'task')} running, "
        f"{_plural(failed, 'failed task')} in the last hour."
    )
    return say, say


ANSWERS: dict[str, Callable[[Session, User], Answer]] = {
    QuerySubject.USERS_COUNT: users_count,
    QuerySubject.USERS_LATEST: users_latest,
    QuerySubject.PAYMENTS_STATUS: payments_status,
    QuerySubject.OBJECTS_LIST: objects_list,
    QuerySubject.MONITORS_LIST: monitors_list,
    QuerySubject.TASKS_LATEST: tasks_latest,
    QuerySubject.SYSTEM_STATUS: system_status,
}


def answer(session: Session, user: User, subject: str) -> Answer:
    """The answer to a question about `subject` (a QuerySubject)."""
    return ANSWERS.get(subject, system_status)(session, user)
