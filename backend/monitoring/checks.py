"""A monitor's check as code: `check(event) -> bool`, generated from its declarative form.

The generated code is a durable object of kind monitor, so a person can ask for a change
("only for addresses at gmail.com") through the modification pipeline, see the diff and
approve it. While the object is at its generated version, the dispatcher evaluates the
declarative form in-process (the same comparison, `predicate.holds`); once a changed version
is deployed, the check runs in the sandbox like any object code.
"""

from __future__ import annotations

import inspect
import pprint
from typing import Any

from backend.monitoring import predicate

_HEADER = '''"""Monitor {monitor_id}: {what}.

The product calls check(event) for each event named {event!r}; True tells the monitor's
owner. An event is {{"name": ..., "payload": {{...}}, "metric_value": number or None}}.
"""

EVENT = {event!r}
{constants}

'''
_EVENT_CHECK = '''
def check(event: dict) -> bool:
    """Whether this event is one to tell the owner about: every filter holds."""
    if event.get("name") != EVENT:
        return False
    payload = event.get("payload") or {}
    return all(holds(payload.get(f["field"]), f["op"], f["value"]) for f in FILTERS)
'''
_METRIC_CHECK = '''
def check(event: dict) -> bool:
    """Whether the metric, measured when this event arrived, crosses the threshold."""
    return holds(event.get("metric_value"), OP, VALUE)
'''


def check_source(monitor_id: int, event: str, condition: dict[str, Any], what: str) -> str:
    """The main.py of a monitor's check object."""
    if condition.get("kind") == "metric":
        constants = (
            f"METRIC = {condition['metric']!r}\nOP = {condition['op']!r}\n"
            f"VALUE = {condition['value']!r}\n"
            f"WINDOW_MINUTES = {condition.get('window_minutes')!r}\n"
        )
        body = _METRIC_CHECK
    else:
        filters = pprint.pformat(condition.get("filters") or [], sort_dicts=False, width=90)
        constants = f"FILTERS = {filters}\n"
        body = _EVENT_CHECK
    header = _HEADER.format(monitor_id=monitor_id, what=what, event=event, constants=constants)
    helper = inspect.getsource(predicate).split('"""', 2)[2].lstrip()
    return header + "\n" + helper + "\n" + body


def event_for_check(name: str, payload: dict[str, Any], metric_value: float | None) -> dict:
    """What a check object is called with."""
    return {"name": name, "payload": payload, "metric_value": metric_value}
