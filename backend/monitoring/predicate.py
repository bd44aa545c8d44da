"""Whether a value passes a monitor's comparison: the one definition, used in-process and
copied verbatim into each monitor's check object (so it must need nothing but Python)."""


def holds(actual, op, expected):
    """`actual op expected`, for the ops ==, !=, >, >=, <, <=, contains and endswith.

    Numbers compare as numbers (also when one side is a numeric string), text compares
    case-insensitively, and a missing value never passes except for !=.
    """
    if actual is None:
        return op == "!=" and expected is not None
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = str(actual).lower() == str(expected).lower()
        return same if op == "==" else (not same if op == "!=" else False)
    if op in ("contains", "endswith"):
        text, part = str(actual).lower(), str(expected).lower()
        return part in text if op == "contains" else text.endswith(part)
    try:
        left, right = float(actual), float(expected)
    except (TypeError, ValueError):
        left, right = str(actual).lower(), str(expected).lower()
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    return False
