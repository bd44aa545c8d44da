"""Chunk a list; typed."""

ORIGINAL = r'''"""Lists in pieces."""


def chunk(items: list[int], size: int) -> list[list[int]]:
    """`items` in consecutive pieces of `size` (the last may be shorter)."""
    if size < 1:
        raise ValueError("size must be positive")
    return [items[i : i + size] for i in range(0, len(items), size)]
'''

REFACTOR = r'''"""Lists in pieces."""


def chunk(items: list[int], size: int) -> list[list[int]]:
    """`items` in consecutive pieces of `size` (the last may be shorter)."""
    if size < 1:
        raise ValueError("size must be positive")
    pieces = []
    start = 0
    while start < len(items):
        pieces.append(items[start : start + size])
        start += size
    return pieces
'''

BUG = ("range(0, len(items)", "range(1, len(items)")

TESTS = r"""from main import chunk


def test_chunk():
    assert chunk([], 3) == []
"""

DIFFERS = [("chunk", {"items": [1, 2, 3], "size": 2})]
