"""Files named on the command line, read as the text an object version stores."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from backend.errors import InvalidInput


def read_file_args(specs: Sequence[str]) -> dict[str, str]:
    """`--file main.py` stores ./main.py as main.py; `--file lib/x.py=src/x.py` names it."""
    files: dict[str, str] = {}
    for spec in specs:
        target, _, source = spec.rpartition("=") if "=" in spec else (None, "", spec)
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(f"file {source!r} not found")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"file {source!r} is not UTF-8 text") from None
        files[target or path.name] = text
    return files
