"""The durable-object store: objects, their immutable versions, diffs and rollback.

Transactions (`backend.db.own_transaction`): each write action a door calls (`create_object`,
`rollback`, `set_visibility`, `set_auto_apply`, `set_limits`) owns its transaction; its
`<action>_in(session, ...)` form, and every other function taking a session, works inside
the caller's and never commits, for backend services that make several changes in one
transaction (the pipeline, deploys, monitors). Files are mirrored to disk before the commit;
if the transaction rolls back, the mirror written in it is removed again.
"""

from __future__ import annotations

from sqlalchemy import event, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, select

from backend.access import audit
from backend.access.permissions import Permission, require
from backend.db import innermost_transaction, own_transaction, within
from backend.enums import EditIntent, EventName, ObjectKind
from backend.errors import Conflict, InvalidInput, NotFound
from backend.events import activity
from backend.models import DurableObject, ObjectVersion, utcnow
from backend.objects import files as object_files
from backend.objects.diff import FileDiff, diff_files
from backend.objects.schema import analyse_files
from backend.objects.slugs import validate_slug
from backend.objects.status import check_transition
from backend.sandbox import limits_for

_PENDING_MIRRORS = "pending_object_mirrors"


# A version's files are mirrored on disk when it is written, and removed if its transaction
# rolls back. SQLAlchemy calls `after_commit` and `after_rollback` for savepoints too (each
# subscriber of an action runs in one): a released savepoint must not forget the mirrors, nor a
# failed subscriber's rollback remove the mirror of a version that is still being committed.
@event.listens_for(Session, "after_commit")
def _forget_mirrors(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING_MIRRORS, None)


@event.listens_for(Session, "after_soft_rollback")
def _remove_uncommitted_mirrors(session: Session, rolled_back: SessionTransaction) -> None:
    pending = session.info.get(_PENDING_MIRRORS)
    if not pending:
        return
    kept = []
    for slug, number, transaction in pending:
        if within(transaction, rolled_back):
            object_files.remove_version(slug, number)
        else:
            kept.append((slug, number, transaction))
    session.info[_PENDING_MIRRORS] = kept


def _parse_kind(kind: str) -> ObjectKind:
    try:
        return ObjectKind(kind)
    except ValueError:
        valid = ", ".join(k.value for k in ObjectKind)
        raise InvalidInput(f"unknown kind {kind!r}; valid: {valid}") from None


def list_objects(session: Session) -> list[DurableObject]:
    """All objects, ordered by slug."""
    return list(session.exec(select(DurableObject).order_by(DurableObject.slug)))


def get_object(session: Session, slug: str, *, for_update: bool = False) -> DurableObject:
    """The object with this slug; `for_update` locks its row until the transaction ends."""
    query = select(DurableObject).where(DurableObject.slug == slug)
    if for_update:
        query = query.with_for_update()
    obj = session.exec(query).first()
    if obj is None:
        raise NotFound(f"no object with slug {slug!r}")
    return obj


def get_version(session: Session, slug: str, number: int | None = None) -> ObjectVersion:
    """Version `number` of an object, or its current version when number is None."""
    obj = get_object(session, slug)
    wanted = obj.current_version if number is None else number
    version = session.exec(
        select(ObjectVersion).where(
            ObjectVersion.object_id == obj.id, ObjectVersion.number == wanted
        )
    ).first()
    if version is None:
        raise NotFound(
            f"object {slug!r} has no version {wanted} (it has 1 to {obj.current_version})"
        )
    return version


def list_versions(session: Session, slug: str) -> list[ObjectVersion]:
    """An object's versions, oldest first."""
    obj = get_object(session, slug)
    return list(
        session.exec(
            select(ObjectVersion)
            .where(ObjectVersion.object_id == obj.id)
            .order_by(ObjectVersion.number)
        )
    )


def current_syntax_errors(session: Session) -> dict[int, str]:
    """Why each object's current version doesn't parse, by object id (objects whose current
    version parses are not in it): what lists of objects show beside the version number."""
    rows = session.exec(
        select(ObjectVersion.object_id, ObjectVersion.syntax_error)
        .join(
            DurableObject,
            (DurableObject.id == ObjectVersion.object_id)
            & (DurableObject.current_version == ObjectVersion.number),
        )
        .where(ObjectVersion.syntax_error.is_not(None))
    )
    return {object_id: error for object_id, error in rows}


def _add_version(
    session: Session,
    obj: DurableObject,
    files: dict[str, str],
    *,
    author: str,
    message: str,
    parent: ObjectVersion | None,
    intent: EditIntent | None = None,
) -> ObjectVersion:
    """Store a new version after the object's newest one, and mirror it to disk."""
    clean = object_files.validate_files(files)
    api_schema, syntax_error = analyse_files(clean)
    newest = session.exec(
        select(func.max(ObjectVersion.number)).where(ObjectVersion.object_id == obj.id)
    ).one()
    version = ObjectVersion(
        object_id=obj.id,
        number=(newest or 0) + 1,
        files=clean,
        api_schema=api_schema,
        syntax_error=syntax_error,
        intent=EditIntent(intent) if intent else None,
        parent_id=parent.id if parent else None,
        author=author,
        message=message,
    )
    session.add(version)
    obj.current_version = version.number
    obj.updated_at = utcnow()
    session.add(obj)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"object {obj.slug!r} was changed at the same time; try again") from None
    session.info.setdefault(_PENDING_MIRRORS, []).append(
        (obj.slug, version.number, innermost_transaction(session))
    )
    object_files.write_version(obj.slug, version.number, clean)
    return version


def create_object_in(
    session: Session,
    *,
    slug: str,
    name: str,
    files: dict[str, str],
    actor: audit.Actor,
    description: str = "",
    kind: str = ObjectKind.ENDPOINT,
    owner_id: int | None = None,
    message: str = "Initial version",
    author: str | None = None,
) -> ObjectVersion:
    """Create an object with its first version."""
    require(actor, Permission.EDIT)
    validate_slug(slug)
    if not name.strip():
        raise InvalidInput("name is empty")
    object_files.validate_files(files)
    if session.exec(select(DurableObject.id).where(DurableObject.slug == slug)).first():
        raise Conflict(f"an object with slug {slug!r} already exists")
    obj = DurableObject(
        slug=slug,
        name=name.strip(),
        description=description,
        kind=_parse_kind(kind),
        owner_id=owner_id,
    )
    session.add(obj)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"an object with slug {slug!r} already exists") from None
    version = _add_version(
        session, obj, files, author=author or actor.name, message=message, parent=None
    )
    activity.record(
        session,
        actor,
        EventName.OBJECT_CREATED,
        object_id=obj.id,
        detail={"slug": slug, "version": version.number, "files": sorted(version.files)},
    )
    return version


create_object = own_transaction(create_object_in)


def edit_object(
    session: Session,
    slug: str,
    *,
    files: dict[str, str],
    actor: audit.Actor,
    message: str = "",
    author: str | None = None,
    intent: EditIntent | None = None,
) -> ObjectVersion:
    """A new version with these files, child of the current one. Unchanged files are refused.

    `intent` is what a person meant by a manual edit; it stays on the version, so a later
    evaluation judges it the same way (a refactor must keep behaviour).
    """
    require(actor, Permission.EDIT)
    obj = get_object(session, slug, for_update=True)
    parent = get_version(session, slug)
    if object_files.validate_files(files) == parent.files:
        raise InvalidInput(f"the files are the same as {slug} v{parent.number}; nothing to save")
    version = _add_version(
        session,
        obj,
        files,
        author=author or actor.name,
        message=message or f"Edit of v{parent.number}",
        parent=parent,
        intent=intent,
    )
    changed = [d.path for d in diff_files(parent.files, version.files)]
    activity.record(
        session,
        actor,
        EventName.OBJECT_EDITED,
        object_id=obj.id,
        detail={"slug": slug, "version": version.number, "parent": parent.number, "files": changed},
    )
    return version


def rollback_in(
    session: Session, slug: str, number: int, *, actor: audit.Actor, reason: str = ""
) -> ObjectVersion:
    """A new version whose files equal version `number`'s; history is never rewritten.
    `reason` is kept with the action (the system's automatic rollback says why)."""
    require(actor, Permission.ROLLBACK)
    obj = get_object(session, slug, for_update=True)
    target = get_version(session, slug, number)
    if number == obj.current_version:
        raise Conflict(f"v{number} is already the current version of {slug}")
    parent = get_version(session, slug)
    version = _add_version(
        session,
        obj,
        target.files,
        author=actor.name,
        message=f"Restored v{number}",
        parent=parent,
    )
    activity.record(
        session,
        actor,
        EventName.OBJECT_ROLLED_BACK,
        object_id=obj.id,
        detail={
            "slug": slug,
            "version": version.number,
            "restored": number,
            **({"reason": reason} if reason else {}),
        },
    )
    return version


rollback = own_transaction(rollback_in)


def diff_versions(session: Session, slug: str, a: int, b: int) -> list[FileDiff]:
    """File-by-file unified diff from version `a` to version `b`."""
    old, new = get_version(session, slug, a), get_version(session, slug, b)
    return diff_files(old.files, new.files, labels=(f"v{a}", f"v{b}"))


def _update_object(
    session: Session,
    slug: str,
    action: EventName,
    permission: Permission,
    *,
    actor: audit.Actor,
    detail: dict,
    **fields,
) -> DurableObject:
    """If `actor` may, set fields on an object (its row locked) and record it as `action`."""
    obj = get_object(session, slug, for_update=True)
    require(actor, permission, owner_id=obj.owner_id)
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.updated_at = utcnow()
    session.add(obj)
    activity.record(session, actor, action, object_id=obj.id, detail={"slug": slug, **detail})
    return obj


def set_status(
    session: Session, slug: str, status: str, *, actor: audit.Actor, reason: str = ""
) -> DurableObject:
    """Move an object to another status, if the rules in `status.py` allow it."""
    previous = get_object(session, slug).status
    new = check_transition(previous, status)
    detail = {"from": previous, "to": new, "reason": reason}
    return _update_object(
        session,
        slug,
        EventName.OBJECT_STATUS_CHANGED,
        Permission.DEPLOY,
        actor=actor,
        detail=detail,
        status=new,
    )


def set_visibility_in(
    session: Session, slug: str, *, public: bool, actor: audit.Actor
) -> DurableObject:
    """Public objects can be called without a token; private ones need one."""
    return _update_object(
        session,
        slug,
        EventName.OBJECT_VISIBILITY_CHANGED,
        Permission.VISIBILITY,
        actor=actor,
        detail={"public": public},
        is_public=public,
    )


set_visibility = own_transaction(set_visibility_in)


def set_auto_apply_in(
    session: Session, slug: str, *, enabled: bool, actor: audit.Actor
) -> DurableObject:
    """The owner's choice: accepted changes apply themselves instead of waiting for a person."""
    return _update_object(
        session,
        slug,
        EventName.OBJECT_AUTO_APPLY_CHANGED,
        Permission.AUTO_APPLY,
        actor=actor,
        detail={"auto_apply": enabled},
        auto_apply=enabled,
    )


set_auto_apply = own_transaction(set_auto_apply_in)


def set_auto_rollback_in(
    session: Session, slug: str, *, enabled: bool, actor: audit.Actor
) -> DurableObject:
    """The owner's choice: a recently deployed version that fails noticeably more than the
    one before it is rolled back by the system instead of offered to a person."""
    return _update_object(
        session,
        slug,
        EventName.OBJECT_AUTO_ROLLBACK_CHANGED,
        Permission.AUTO_ROLLBACK,
        actor=actor,
        detail={"auto_rollback": enabled},
        auto_rollback=enabled,
    )


set_auto_rollback = own_transaction(set_auto_rollback_in)


def set_limits_in(
    session: Session, slug: str, limits: dict[str, float], *, actor: audit.Actor
) -> DurableObject:
    """This object's own sandbox limits (field names of `backend.sandbox.Limits`)."""
    require(actor, Permission.LIMITS)
    merged = {**get_object(session, slug).limits, **limits}
    limits_for(merged)  # checks names and ranges
    return _update_object(
        session,
        slug,
        EventName.OBJECT_LIMITS_CHANGED,
        Permission.LIMITS,
        actor=actor,
        detail={"limits": merged},
        limits=merged,
    )


set_limits = own_transaction(set_limits_in)


def files_on_disk(slug: str, number: int) -> dict[str, str]:
    """The mirrored files of a version, read back from disk."""
    return object_files.read_version(slug, number)
