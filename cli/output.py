"""What every command shares: the parser class, tables and the exit codes.

A handler returns `(data, text)`: `data` is printed as JSON under `--json`, `text` otherwise.
A command that ran but did not succeed raises an `Outcome`, which is printed the same way and
sets the exit status; bad input is a `ProductError` (or a usage error), exit status 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

if TYPE_CHECKING:
    from backend.access.audit import Actor

EXIT_BAD_INPUT = 2

#: A command: its parsed arguments and who acts -> (data, text). It holds no session: it calls
#: actions that own their transactions and read models that open their own sessions.
Handler = Callable[[argparse.Namespace, "Actor"], tuple[Any, str]]


class Command(Protocol):
    """Adds one command with the common flags (`--json`, `--as`) to a group of subparsers."""

    def __call__(
        self, group: Any, name: str, handler: Handler, help_text: str
    ) -> argparse.ArgumentParser: ...


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see '{self.prog} --help')\n")


def noun(groups: Any, name: str, help_text: str) -> Any:
    """Adds a group like `objects` and returns its subparsers, for its commands."""
    group = groups.add_parser(name, help=help_text)
    return group.add_subparsers(dest="command", required=True, parser_class=Parser)


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Rows as aligned columns under upper-case headings; `(none)` when there are none."""
    if not rows:
        return "(none)"
    cells = [[("" if row.get(c) is None else str(row.get(c))) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


class Outcome(Exception):
    """A command that ran but did not succeed: print its result, exit with `status`."""

    status = 1

    def __init__(self, data: Any, text: str) -> None:
        super().__init__(text)
        self.data, self.text = data, text


class DeploymentFailed(Outcome):
    pass


class CallFailed(Outcome):
    pass


class CommandFailed(Outcome):
    pass
