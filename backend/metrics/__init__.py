"""How deployed objects are doing: their calls as per-minute aggregates in the database.

- `record`: `record_call` (on every call; an in-memory append, nothing else) and the
  background flusher that merges each process's buffer into `ObjectCallMinute` rows;
- `queries`: counts, errors by kind and latency percentiles over a window, per object,
  function and version, the busiest and the failing objects;
- `rollup`: old minutes into hours, expired hours deleted (the worker's periodic chore).
"""
