"""One scripted change, shared by the pipeline and browser tests: an arithmetic object gets
`sub`; API_BREAK renames a parameter of `add`, which the evaluator rejects."""

from __future__ import annotations

MAIN = '''"""Arithmetic helpers."""


def add(x: int, y: int) -> int:
    """Return the sum of x and y."""
    return x + y
'''
TESTS = "from main import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
GOOD_MAIN = (
    MAIN
    + '''

def sub(x: int, y: int) -> int:
    """Return x minus y."""
    return x - y
'''
)
GOOD_TESTS = TESTS + "\n\ndef test_sub():\n    from main import sub\n\n    assert sub(5, 3) == 2\n"
PLAN = {
    "summary": "Add sub(x, y).",
    "steps": ["write sub in main.py", "test it"],
    "constraints": [],
    "changes_api": False,
    "changes_behaviour": False,
}
GOOD = {
    "files": [
        {"path": "main.py", "content": GOOD_MAIN},
        {"path": "test_main.py", "content": GOOD_TESTS},
    ],
    "explanation": "Added sub with a test.",
}
API_BREAK = {
    "files": [
        {"path": "main.py", "content": MAIN.replace("y: int", "z: int").replace("+ y", "+ z")}
    ],
    "explanation": "Renamed y.",
}


def make_arith() -> None:
    """The object the scripted change adds `sub` to, in the configured database."""
    from backend import db
    from backend.access import audit
    from backend.objects.store import create_object_in

    with db.session_scope() as session:
        create_object_in(
            session,
            slug="arith",
            name="Arithmetic",
            files={"main.py": MAIN, "test_main.py": TESTS},
            actor=audit.SYSTEM,
        )
