"""Read models: what the doors show (pages, the CLI, the HTTP API), read in one place.

One family, one naming rule. A read model is a dataclass named for what it shows; the
suffix says its shape:

- `<Thing>Record`: one record in full, as the CLI's --json prints it and the HTTP API
  answers it (`as_json()`); `records.py`, and `monitors.py`/`notifications.py` for theirs.
- `<Thing>Row`: one line of a page's list or table, already worded for a person.
- any other name (`ObjectSnapshot`, `ModificationDetail`, `MonitorDetail`, `PhoneStatus`,
  `SettingsOverview`, `DeployJob`, ...): what one page, or one part of a page, shows.

Functions: `read_<what>(...)` opens its own session and returns read models: it is what a
door calls (from a thread in async code). A builder named after its class in snake_case
(`object_record(obj)`, `token_row(token)`) words a row already loaded: inside backend, or
from the row an action answered. A function that takes a `Session` (`summaries`,
`object_snapshot`, `queries.*`) is a step of another read model, for backend only. Nothing
here writes, and doors only format what these give them.
"""
