"""Unified diffs between two versions' files, file by file."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import Literal

Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class FileDiff:
    path: str
    change: Change
    diff: str
    added_lines: int
    removed_lines: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _file_diff(path: str, old: str | None, new: str | None, labels: tuple[str, str]) -> FileDiff:
    old_lines = (old or "").splitlines(keepends=True)
    new_lines = (new or "").splitlines(keepends=True)
    lines = list(
        difflib.unified_diff(
            old_lines,
            new_lines,
            fromfile=f"{labels[0]}/{path}" if old is not None else "/dev/null",
            tofile=f"{labels[1]}/{path}" if new is not None else "/dev/null",
        )
    )
    # difflib leaves a last line without its newline unterminated; say so, as git does.
    text = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
    body = [line for line in lines[2:] if not line.startswith("@@")]
    change: Change = "added" if old is None else "removed" if new is None else "changed"
    return FileDiff(
        path=path,
        change=change,
        diff=text,
        added_lines=sum(1 for line in body if line.startswith("+")),
        removed_lines=sum(1 for line in body if line.startswith("-")),
    )


def diff_files(
    old: dict[str, str], new: dict[str, str], labels: tuple[str, str] = ("a", "b")
) -> list[FileDiff]:
    """The files that differ between two versions, sorted by path; equal files are left out."""
    return [
        _file_diff(path, old.get(path), new.get(path), labels)
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]


def render(diffs: list[FileDiff]) -> str:
    """All file diffs as one patch text."""
    return "".join(file_diff.diff for file_diff in diffs)
