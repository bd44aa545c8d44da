"""Greedy word wrap; typed."""

ORIGINAL = r'''"""Wrapping."""


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` characters (longer words get a line of their own)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines
'''

REFACTOR = r'''"""Wrapping."""


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` characters (longer words get a line of their own)."""
    lines: list[list[str]] = []
    length = 0
    for word in text.split():
        if lines and length + 1 + len(word) <= width:
            lines[-1].append(word)
            length += 1 + len(word)
        else:
            lines.append([word])
            length = len(word)
    return [" ".join(line) for line in lines]
'''

BUG = ("len(word) <= width", "len(word) < width")

TESTS = r"""from main import wrap


def test_wrap():
    assert wrap("a b c", 1) == ["a", "b", "c"]
"""

DIFFERS = [("wrap", {"text": "ab cd", "width": 5})]
