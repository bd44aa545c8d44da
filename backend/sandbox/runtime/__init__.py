"""Code that runs inside the sandbox: the worker process and the per-call child.

This folder is copied verbatim into a read-only runtime folder that the worker imports from
(it never sees the rest of `backend`), so every module here imports only the standard library
and its siblings, by their top-level names (`import frames`, not `from . import frames`).
The host imports two of them too (`frames` for the protocol, `storage` for its key limit), as
`backend.sandbox.runtime.frames` and `backend.sandbox.runtime.storage`.
"""
