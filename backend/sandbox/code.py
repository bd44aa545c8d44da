"""An object's files as the sandbox receives them: read once, keyed by content.

The worker keeps a small cache of code versions by key (a SHA-256 of the paths and bytes),
so the host sends a version's files to a worker only the first time that worker needs them.
Reading here follows no symbolic links and skips hidden entries and `__pycache__`, so a link
planted in an object's folder can't make the host read a file on the object's behalf.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from backend.errors import InvalidInput, NotFound

#: The most code an object may hold, and so the most the sandbox reads for one version. The
#: store checks a version against these when it is written (`backend.objects.files`); they
#: live here, below the store, because the sandbox checks them again when it reads a folder.
MAX_FILE_BYTES = 1_000_000
MAX_TOTAL_BYTES = 5_000_000
MAX_FILES = 200

_CACHE_SIZE = 64


@dataclass(frozen=True)
class CodeSnapshot:
    key: str
    files: dict[str, str]


_cache: OrderedDict[tuple[str, tuple[tuple[str, int, int, int], ...]], CodeSnapshot] = OrderedDict()
_lock = threading.Lock()


def _listing(root: str) -> list[tuple[str, int, int, int]]:
    """(relative path, size, mtime_ns, inode) of every regular file, without following links."""
    found: list[tuple[str, int, int, int]] = []
    pending = [""]
    while pending:
        relative = pending.pop()
        with os.scandir(os.path.join(root, relative) if relative else root) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name == "__pycache__":
                    continue
                path = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                elif entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    found.append((path, info.st_size, info.st_mtime_ns, info.st_ino))
                if len(found) > MAX_FILES:
                    raise InvalidInput(f"an object may hold at most {MAX_FILES} files")
    found.sort()
    return found


def snapshot(code_dir: Path | str) -> CodeSnapshot:
    """The files of `code_dir` (path -> UTF-8 text) and their content key."""
    root = os.path.realpath(code_dir)
    if not os.path.isdir(root):
        raise NotFound(f"no object code folder at {code_dir}")
    listing = tuple(_listing(root))
    cache_key = (root, listing)
    with _lock:
        cached = _cache.get(cache_key)
        if cached is not None:
            _cache.move_to_end(cache_key)
            return cached
    if sum(size for _, size, _, _ in listing) > MAX_TOTAL_BYTES:
        raise InvalidInput(f"the object's files add up to more than {MAX_TOTAL_BYTES} bytes")
    digest = hashlib.sha256()
    files: dict[str, str] = {}
    for relative, _, _, _ in listing:
        fd = os.open(os.path.join(root, relative), os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_TOTAL_BYTES + 1)
        try:
            files[relative] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"file {relative!r} is not UTF-8 text") from exc
        digest.update(relative.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    result = CodeSnapshot(digest.hexdigest(), files)
    with _lock:
        _cache[cache_key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result
