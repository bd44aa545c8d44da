"""Read models: what the product shows about its objects, modifications and tasks.

`records` holds the JSON views of single records (the CLI's --json, the HTTP API); the other
modules hold the views the pages show, as plain dataclasses already worded for a person.
A function named `read_*` opens its own session (call it from a thread in async code); the
others take the caller's `Session`. Nothing here writes.
"""
