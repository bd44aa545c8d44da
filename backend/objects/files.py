"""An object's files: validation of the path -> text map, and the mirror on disk.

The database is the source of truth; `data/objects/<slug>/v<N>/` mirrors each version so a
person (or a sandbox) can read the files as files. Bytes on disk are the UTF-8 encoding of the
stored text, with no newline translation, so reading back gives the identical text.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path, PurePosixPath

from backend.config import get_settings
from backend.errors import InvalidInput
from backend.sandbox.code import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES

ENTRY_FILE = "main.py"
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def validate_path(path: str) -> str:
    """A relative POSIX path of plain segments (no '..', no absolute paths, no hidden files)."""
    if not path or "\\" in path or path.startswith("/"):
        raise InvalidInput(f"file path {path!r} must be relative, with '/' between folders")
    segments = PurePosixPath(path).parts
    if any(not _SEGMENT.match(segment) for segment in segments):
        raise InvalidInput(
            f"file path {path!r} may only hold letters, digits, '_', '-' and '.', "
            "and no segment may start with '.'"
        )
    return "/".join(segments)


def validate_files(files: dict[str, str]) -> dict[str, str]:
    """Check a version's files; returns them with normalised paths, sorted by path."""
    if not files:
        raise InvalidInput("an object needs at least one file")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"an object may hold at most {MAX_FILES} files, not {len(files)}")
    clean: dict[str, str] = {}
    total = 0
    for raw_path, text in files.items():
        path = validate_path(raw_path)
        if path in clean:
            raise InvalidInput(f"file {path!r} is given twice")
        if not isinstance(text, str):
            raise InvalidInput(f"file {path!r} must be text")
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise InvalidInput(f"file {path!r} is not valid UTF-8 text: {exc.reason}") from exc
        if size > MAX_FILE_BYTES:
            raise InvalidInput(f"file {path!r} is {size} bytes; the limit is {MAX_FILE_BYTES}")
        total += size
        clean[path] = text
    if total > MAX_TOTAL_BYTES:
        raise InvalidInput(f"the files add up to {total} bytes; the limit is {MAX_TOTAL_BYTES}")
    if ENTRY_FILE not in clean:
        raise InvalidInput(f"an object needs a {ENTRY_FILE} (its entry point)")
    return dict(sorted(clean.items()))


def version_dir(slug: str, number: int) -> Path:
    """Where version `number` of object `slug` is mirrored."""
    return get_settings().objects_dir / slug / f"v{number}"


def write_version(slug: str, number: int, files: dict[str, str]) -> Path:
    """Mirror a version's files to disk, replacing any stale copy all at once."""
    target = version_dir(slug, number)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    try:
        for path, text in files.items():
            destination = staging / path
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(text.encode("utf-8"))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def remove_version(slug: str, number: int) -> None:
    """Remove a mirrored version (used when its database transaction fails)."""
    shutil.rmtree(version_dir(slug, number), ignore_errors=True)


def read_version(slug: str, number: int) -> dict[str, str]:
    """Read a mirrored version back as path -> text."""
    root = version_dir(slug, number)
    if not root.is_dir():
        raise FileNotFoundError(f"no files on disk for {slug} v{number} at {root}")
    return {
        path.relative_to(root).as_posix(): path.read_bytes().decode("utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
